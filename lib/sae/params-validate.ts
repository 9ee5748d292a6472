/**
 * Shape and value checks for `SaeParams` at the boundaries (loading a file,
 * building an encoder), so a malformed SAE fails with a message naming the
 * field instead of producing garbage or a native onnxruntime error.
 */
import { ARCHITECTURES, type SaeParams } from "@/lib/sae/params";
import { ARCHITECTURE_MODULES } from "@/lib/sae/architectures/index";

export class SaeParamsError extends Error {
  override name = "SaeParamsError";
}

export function validateSaeParams(p: SaeParams, source: string): void {
  const fail = (msg: string): never => {
    throw new SaeParamsError(`${source}: ${msg}`);
  };
  if (!ARCHITECTURES.includes(p.architecture))
    fail(`unknown architecture "${p.architecture}" (expected one of ${ARCHITECTURES.join(", ")})`);
  if (!Number.isInteger(p.dIn) || p.dIn <= 0) fail(`dIn must be a positive integer, got ${p.dIn}`);
  if (!Number.isInteger(p.dSae) || p.dSae <= 0) fail(`dSae must be a positive integer, got ${p.dSae}`);
  const expect = (name: keyof SaeParams, len: number) => {
    const a = p[name];
    if (!(a instanceof Float32Array)) fail(`${String(name)} is missing (needed for ${p.architecture})`);
    else if (a.length !== len) fail(`${String(name)} has ${a.length} values, expected ${len}`);
    else for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) fail(`${String(name)}[${i}] is ${a[i]} (not finite)`);
  };
  expect("W_enc", p.dIn * p.dSae);
  expect("W_dec", p.dSae * p.dIn);
  expect("b_enc", p.dSae);
  expect("b_dec", p.dIn);
  const { saved } = ARCHITECTURE_MODULES[p.architecture];
  for (const name of saved.vectors) expect(name, p.dSae);
  const problem = saved.check?.(p);
  if (problem) fail(problem);
}
