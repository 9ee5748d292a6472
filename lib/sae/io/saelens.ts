/**
 * SAELens-compatible SAE folders: `sae_weights.safetensors` (W_enc [d_in, d_sae],
 * b_enc, W_dec [d_sae, d_in], b_dec, threshold / b_gate, r_mag, b_mag) plus
 * `cfg.json`. We always save folded parameters (raw activations in,
 * `apply_b_dec_to_input: false`, `normalize_activations: "none"`); on load we
 * fold SAELens' `apply_b_dec_to_input` so the result follows params.ts.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { inspectSafetensors, readSafetensorsFile, writeSafetensorsFile, type NamedTensor } from "@/lib/formats/safetensors";
import { writeFileAtomic } from "@/lib/formats/atomic-write";
import { TensorFormatError } from "@/lib/formats/errors";
import { trackProgress } from "@/lib/formats/read-progress";
import { expectShapes, type SaeFileSummary, type SaeReadOptions } from "@/lib/sae/io/sae-file";
import { ARCHITECTURES, type Architecture, type SaeParams } from "@/lib/sae/params";
import { validateSaeParams } from "@/lib/sae/params-validate";
import { ARCHITECTURE_MODULES } from "@/lib/sae/architectures/index";

export const WEIGHTS_FILE = "sae_weights.safetensors";
export const CFG_FILE = "cfg.json";

const cfgSchema = z
  .object({
    d_in: z.number().int().positive(),
    d_sae: z.number().int().positive(),
    architecture: z.string().default("standard"),
    apply_b_dec_to_input: z.boolean().default(false),
    normalize_activations: z.string().nullable().default("none"),
    k: z.number().int().positive().optional(),
    activation_fn_kwargs: z.object({ k: z.number().int().positive().optional() }).passthrough().nullable().optional(),
    featurelab: z
      .object({ architecture: z.enum(ARCHITECTURES) })
      .passthrough()
      .optional(),
  })
  .passthrough();

export type SaeLensCfg = z.infer<typeof cfgSchema>;

/** cfg.json for an SAE: each architecture's SAELens name and fields from its module (BatchTopK is saved as JumpReLU, as SAELens does). */
export function saeLensCfg(p: SaeParams, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { saelens } = ARCHITECTURE_MODULES[p.architecture];
  return {
    architecture: saelens.writes,
    d_in: p.dIn,
    d_sae: p.dSae,
    dtype: "float32",
    device: "cpu",
    apply_b_dec_to_input: false,
    normalize_activations: "none",
    ...extra,
    featurelab: { architecture: p.architecture, ...((extra.featurelab as object) ?? {}) },
    ...saelens.cfg?.(p),
  };
}

export function saeTensors(p: SaeParams): Record<string, NamedTensor> {
  const shapes = requiredTensors(p.architecture, p.dIn, p.dSae);
  return Object.fromEntries(
    Object.entries(shapes).map(([name, shape]) => [name, { data: p[name as keyof SaeParams] as Float32Array, shape }]),
  );
}

/** Writes `dir/sae_weights.safetensors` and `dir/cfg.json` (each atomically). */
export async function saveSaeLens(dir: string, p: SaeParams, extraCfg: Record<string, unknown> = {}): Promise<void> {
  validateSaeParams(p, `SAE to save in ${dir}`);
  await writeSafetensorsFile(path.join(dir, WEIGHTS_FILE), saeTensors(p));
  await writeFileAtomic(path.join(dir, CFG_FILE), JSON.stringify(saeLensCfg(p, extraCfg), null, 2) + "\n");
}

async function readCfg(dir: string): Promise<SaeLensCfg> {
  const cfgPath = path.join(dir, CFG_FILE);
  let cfgRaw: unknown;
  try {
    cfgRaw = JSON.parse(await fs.readFile(cfgPath, "utf8"));
  } catch (e) {
    throw new TensorFormatError(`${cfgPath}: cannot read SAELens config (${(e as Error).message})`);
  }
  const parsed = cfgSchema.safeParse(cfgRaw);
  if (!parsed.success)
    throw new TensorFormatError(
      `${cfgPath}: invalid SAELens config: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  return parsed.data;
}

function architectureOf(cfg: SaeLensCfg, source: string): Architecture {
  const a =
    cfg.featurelab?.architecture ?? ARCHITECTURES.find((name) => ARCHITECTURE_MODULES[name].saelens.reads.includes(cfg.architecture));
  if (!a) throw new TensorFormatError(`${source}: unknown SAELens architecture "${cfg.architecture}"`);
  return a;
}

/** The tensors an SAE of this architecture is read from, with their shapes. */
function requiredTensors(architecture: Architecture, dIn: number, dSae: number): Record<string, number[]> {
  const t: Record<string, number[]> = { W_enc: [dIn, dSae], W_dec: [dSae, dIn], b_dec: [dIn] };
  for (const name of ARCHITECTURE_MODULES[architecture].saelens.tensors) t[name] = [dSae];
  return t;
}

/** cfg.json plus the weights' header: what a full load would give, without reading the weights. */
export async function inspectSaeLens(dir: string): Promise<SaeFileSummary> {
  const cfg = await readCfg(dir);
  const weightsPath = path.join(dir, WEIGHTS_FILE);
  const architecture = architectureOf(cfg, weightsPath);
  const { entries } = await inspectSafetensors(weightsPath);
  const required = requiredTensors(architecture, cfg.d_in, cfg.d_sae);
  expectShapes(weightsPath, Object.fromEntries(entries.map((e) => [e.name, e.shape])), required, `a SAELens ${architecture} SAE`);
  const bytes = entries.filter((e) => e.name in required).reduce((s, e) => s + (e.end - e.begin), 0);
  return { architecture, dIn: cfg.d_in, dSae: cfg.d_sae, bytes };
}

export async function loadSaeLens(dir: string, options: SaeReadOptions = {}): Promise<{ params: SaeParams; cfg: SaeLensCfg }> {
  const cfg = await readCfg(dir);
  const weightsPath = path.join(dir, WEIGHTS_FILE);
  const required = requiredTensors(architectureOf(cfg, weightsPath), cfg.d_in, cfg.d_sae);
  const names = Object.keys(required);
  const progress = options.onProgress ? trackProgress((await inspectSaeLens(dir)).bytes, options.onProgress) : null;
  const { tensors } = await readSafetensorsFile(weightsPath, { names, counter: progress?.count });
  progress?.done();
  return { params: saeLensToParams(cfg, tensors, weightsPath), cfg };
}

export function saeLensToParams(cfg: SaeLensCfg, tensors: Record<string, NamedTensor>, source: string): SaeParams {
  if (cfg.normalize_activations && cfg.normalize_activations !== "none")
    throw new TensorFormatError(
      `${source}: normalize_activations "${cfg.normalize_activations}" is not supported; fold the scale into the weights first`,
    );
  const architecture = architectureOf(cfg, source);
  const shapes = Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, v.shape]));
  expectShapes(source, shapes, requiredTensors(architecture, cfg.d_in, cfg.d_sae), `a SAELens ${architecture} SAE`);
  const get = (name: string): Float32Array => {
    const t = tensors[name];
    if (!t) throw new TensorFormatError(`${source}: tensor ${name} is missing (needed for ${architecture})`);
    if (!(t.data instanceof Float32Array)) throw new TensorFormatError(`${source}: tensor ${name} is not a float tensor`);
    return t.data;
  };
  const { d_in: dIn, d_sae: dSae } = cfg;
  const { saelens } = ARCHITECTURE_MODULES[architecture];
  const p: SaeParams = {
    architecture,
    dIn,
    dSae,
    W_enc: get("W_enc"),
    W_dec: get("W_dec"),
    b_dec: get("b_dec"),
    // an architecture without b_enc in its layout (Gated) has zeros
    b_enc: new Float32Array(dSae),
    ...saelens.fromCfg?.(cfg),
  };
  for (const name of saelens.tensors) p[name] = get(name);
  validateSaeParams(p, source);
  if (cfg.apply_b_dec_to_input) foldDecoderBiasIntoEncoder(p);
  return p;
}

/**
 * SAELens' `apply_b_dec_to_input` encodes (x - b_dec); our saved form encodes x.
 * pre = (x - b_dec) W_enc + b = x W_enc + (b - b_dec W_enc)  (Gemma Scope appendix A).
 */
function foldDecoderBiasIntoEncoder(p: SaeParams): void {
  const shift = new Float64Array(p.dSae);
  for (let i = 0; i < p.dIn; i++) {
    const bi = p.b_dec[i];
    if (bi === 0) continue;
    const row = i * p.dSae;
    for (let j = 0; j < p.dSae; j++) shift[j] += bi * p.W_enc[row + j];
  }
  // the training fold with input scale 1 (fold.ts)
  ARCHITECTURE_MODULES[p.architecture].saved.foldInput(p, shift, 1);
}
