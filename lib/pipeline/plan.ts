/**
 * From a pipeline spec to jobs: sweeps fan out into one SAE per combination of
 * swept values; all trained SAEs share one harvest (the activations of the
 * spec's hook); each SAE is then trained (or imported), evaluated and
 * recorded. Pure: the enqueuer (lib/db/jobs.ts) turns the plan into rows.
 */
import type { Architecture } from "@/lib/sae/params";
import type { ImportEntry, PipelineSpec, SaeEntry } from "@/lib/pipeline/spec";
import { DEFAULT_PIPELINE_RECIPE } from "@/lib/sae/train/recipes";

export type PlannedJobKind = "HARVEST" | "TRAIN" | "EVALUATE" | "RECORD" | "IMPORT" | "EXPLAIN";

/** One SAE the pipeline produces, trained here or imported. */
export interface PlannedSae {
  key: string;
  name: string;
  architecture: Architecture;
  /** trained: the merged training options (engine names) and the index of its `saes` entry; imported: the import entry */
  source: { kind: "train"; options: Record<string, unknown>; entry: number } | { kind: "import"; entry: ImportEntry };
}

export interface PlannedJob {
  key: string;
  kind: PlannedJobKind;
  saeKey?: string;
  /** keys of the jobs that must succeed first */
  after: string[];
  /**
   * pg-boss priority (higher first): finishing an SAE that is already trained
   * beats starting the next one, so the first dashboards come early.
   */
  priority: number;
}

export interface PipelinePlan {
  saes: PlannedSae[];
  jobs: PlannedJob[];
  /** the token sets the harvest job must produce */
  splits: ("train" | "recording" | "eval")[];
}

export const JOB_PRIORITY: Record<PlannedJobKind, number> = {
  RECORD: 4000,
  EXPLAIN: 3500,
  EVALUATE: 3000,
  IMPORT: 2000,
  TRAIN: 1000,
  HARVEST: 0,
};

/** Within a kind, SAEs go in the spec's order (the first listed is the first dashboard). */
function priorityOf(kind: PlannedJobKind, saeIndex: number): number {
  return JOB_PRIORITY[kind] + Math.max(0, 999 - saeIndex);
}

type SweepValues = { lambda?: number; k?: number; targetL0?: number; dSae?: number };

function combinations(sweep: SaeEntry["sweep"]): SweepValues[] {
  let out: SweepValues[] = [{}];
  for (const knob of ["dSae", "lambda", "k", "targetL0"] as const) {
    const values = sweep?.[knob];
    if (!values) continue;
    out = out.flatMap((c) => values.map((v) => ({ ...c, [knob]: v })));
  }
  return out;
}

function formatValue(v: number): string {
  return Number.isInteger(v)
    ? String(v)
    : v
        .toPrecision(3)
        .replace(/\.?0+$/, "")
        .replace(/\.?0+e/, "e");
}

export function planPipeline(spec: PipelineSpec): PipelinePlan {
  const saes: PlannedSae[] = [];
  const names = new Set<string>();
  const uniqueName = (base: string) => {
    let name = base;
    for (let i = 2; names.has(name); i++) name = `${base} (${i})`;
    names.add(name);
    return name;
  };
  for (const [entryIndex, entry] of spec.saes.entries()) {
    for (const combo of combinations(entry.sweep)) {
      const options: Record<string, unknown> = {
        recipe: DEFAULT_PIPELINE_RECIPE,
        ...spec.train,
        ...entry.train,
        architecture: entry.architecture,
      };
      if (entry.dSae !== undefined) options.dSae = entry.dSae;
      Object.assign(options, combo);
      const parts = [entry.name ?? entry.architecture];
      if (typeof options.dSae === "number") parts.push(String(options.dSae));
      for (const [knob, v] of Object.entries(combo)) if (knob !== "dSae") parts.push(`${knob}=${formatValue(v)}`);
      saes.push({
        key: `sae${saes.length}`,
        name: uniqueName(parts.join(" ")),
        architecture: entry.architecture,
        source: { kind: "train", options, entry: entryIndex },
      });
    }
  }
  for (const entry of spec.imports) {
    const base = entry.name ?? entry.path.split(/[\\/]/).filter(Boolean).slice(-2).join("/");
    saes.push({
      key: `sae${saes.length}`,
      name: uniqueName(base),
      architecture: "jumprelu", // refined from the file when enqueued
      source: { kind: "import", entry },
    });
  }

  const trains = saes.some((s) => s.source.kind === "train");
  const jobs: PlannedJob[] = [{ key: "harvest", kind: "HARVEST", after: [], priority: JOB_PRIORITY.HARVEST }];
  for (const [i, sae] of saes.entries()) {
    const first = sae.source.kind === "train" ? "TRAIN" : "IMPORT";
    const firstKey = `${first.toLowerCase()}:${sae.key}`;
    jobs.push({ key: firstKey, kind: first, saeKey: sae.key, after: first === "TRAIN" ? ["harvest"] : [], priority: priorityOf(first, i) });
    jobs.push({
      key: `evaluate:${sae.key}`,
      kind: "EVALUATE",
      saeKey: sae.key,
      after: first === "TRAIN" ? [firstKey] : [firstKey, "harvest"],
      priority: priorityOf("EVALUATE", i),
    });
    jobs.push({
      key: `record:${sae.key}`,
      kind: "RECORD",
      saeKey: sae.key,
      after: [`evaluate:${sae.key}`],
      priority: priorityOf("RECORD", i),
    });
    if (spec.explain)
      jobs.push({
        key: `explain:${sae.key}`,
        kind: "EXPLAIN",
        saeKey: sae.key,
        after: [`record:${sae.key}`],
        priority: priorityOf("EXPLAIN", i),
      });
  }
  return { saes, jobs, splits: trains ? ["train", "recording", "eval"] : ["recording", "eval"] };
}
