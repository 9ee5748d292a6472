"use client";
/**
 * The new-pipeline form: builds a pipeline spec (lib/pipeline/spec.ts) from
 * its fields and posts it; the server validates it with the CLI's schema and
 * answers one issue per bad field, by its path in the spec, which is shown
 * beside the input for that path (or above the form when no input has it).
 */
import Link from "next/link";
import { useState } from "react";
import { api, ApiError } from "@/app/_components/api-client";

export interface ModelChoice {
  value: string;
  label: string;
  hooks: string[];
}

interface SaeRow {
  architecture: string;
  /** comma-separated values of the architecture's sparsity knob */
  sweep: string;
}

interface ImportRow {
  format: "saelens" | "gemma-scope";
  path: string;
}

interface Issue {
  path: string;
  message: string;
}

/** "0.001, 0.01" → [0.001, 0.01]; a value that is not a number is sent as written, for the server to name. */
function values(list: string): unknown[] {
  return list
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "")
    .map((v) => (Number.isFinite(Number(v)) ? Number(v) : v));
}
const num = (v: string): unknown => (v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : v);

/** A labelled input with the issues the server found at its path. */
function Field({ path, label, errors, children }: { path: string; label: string; errors: Issue[]; children: React.ReactNode }) {
  return (
    <label className="block text-sm">
      <span className="text-slate-700">{label}</span>
      {children}
      {errors.map((e, k) => (
        <span key={k} role="alert" className="block text-xs text-red-700" data-error-for={path}>
          {e.message}
        </span>
      ))}
    </label>
  );
}

/** A list of like rows (SAEs to train, imports), each with its fields and a Remove button, and an Add button. */
function Rows<T>({
  legend,
  rows,
  onChange,
  fresh,
  add,
  children,
}: {
  legend: string;
  rows: T[];
  onChange: (rows: T[]) => void;
  fresh: () => T;
  add: string;
  children: (row: T, i: number, update: (patch: Partial<T>) => void) => React.ReactNode;
}) {
  const button = "rounded border border-slate-300 px-2 py-1 text-sm";
  return (
    <fieldset className="space-y-2">
      <legend className="mb-1 text-sm font-medium">{legend}</legend>
      {rows.map((row, i) => (
        <div key={i} className="grid items-end gap-3 sm:grid-cols-[10rem_1fr_auto]">
          {children(row, i, (patch) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r))))}
          <button type="button" className={button} onClick={() => onChange(rows.filter((_, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" className={button} onClick={() => onChange([...rows, fresh()])}>
        {add}
      </button>
    </fieldset>
  );
}

/** Registering a model folder on the server: it must load; its hooks are then offered for the pipeline. */
function RegisterModel({ onRegistered }: { onRegistered: (m: ModelChoice) => void }) {
  const [folder, setFolder] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function register(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await api<{ model: { name: string; folder: string; hooks: string[] } }>("/api/admin/models", { body: { folder } });
      onRegistered({
        value: folder.trim() === "bundled" ? "bundled" : r.model.folder,
        label: `${r.model.name} (${r.model.folder})`,
        hooks: r.model.hooks,
      });
      setFolder("");
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "The request failed; check your connection and try again.");
    } finally {
      setBusy(false);
    }
  }
  return (
    <form
      onSubmit={register}
      className="flex flex-wrap items-end gap-2 rounded-lg border border-slate-200 bg-white p-3 text-sm"
      aria-label="Register a model"
    >
      <label className="block min-w-64 flex-1">
        <span className="text-slate-700">Register a model folder on the server (model.onnx + tokenizer.json)</span>
        <input
          className="mt-0.5 block w-full rounded border border-slate-300 px-2 py-1"
          value={folder}
          onChange={(e) => setFolder(e.target.value)}
        />
        {error && (
          <span role="alert" className="block text-xs text-red-700" data-error-for="register-model">
            {error}
          </span>
        )}
      </label>
      <button
        type="submit"
        disabled={busy || folder.trim() === ""}
        className="rounded border border-slate-300 px-2 py-1 disabled:opacity-50"
      >
        Register model
      </button>
    </form>
  );
}

/**
 * `sweepKnobs`: each architecture (in the order offered) and the knob a sweep
 * varies, from its module: k for the top-k architectures, the target L0 for
 * the rest (JumpReLU under the modern recipe pipelines train with; Gated and
 * ReLU through the controller that adapts their lambda to it).
 */
export function NewPipelineForm({ models: initialModels, sweepKnobs }: { models: ModelChoice[]; sweepKnobs: Record<string, string> }) {
  const knobOf = (architecture: string) => sweepKnobs[architecture];
  const [models, setModels] = useState(initialModels);
  const [name, setName] = useState("");
  const [model, setModel] = useState(models[0]?.value ?? "bundled");
  const [hook, setHook] = useState("mid");
  const [contextLength, setContextLength] = useState("128");
  const [tokens, setTokens] = useState({ train: "200000", recording: "24000", eval: "2048" });
  const [train, setTrain] = useState({ dSae: "512", totalSteps: "200", batchSize: "1024" });
  const [saes, setSaes] = useState<SaeRow[]>([{ architecture: "jumprelu", sweep: "16, 32" }]);
  const [imports, setImports] = useState<ImportRow[]>([]);
  const [explain, setExplain] = useState<string | null>("24");
  const [issues, setIssues] = useState<Issue[]>([]);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<{ pipelineId: string; hook: string; saes: { name: string }[] } | null>(null);

  const fieldPaths = [
    "name",
    "model",
    "hook",
    "harvest.contextLength",
    ...["train", "recording", "eval"].map((s) => `harvest.${s}.tokens`),
    ...["dSae", "totalSteps", "batchSize"].map((k) => `train.${k}`),
    ...saes.flatMap((_, i) => [`saes.${i}.architecture`, `saes.${i}.sweep`]),
    ...imports.flatMap((_, i) => [`imports.${i}.format`, `imports.${i}.path`]),
    "explain.featuresPerSae",
  ];
  /** an issue belongs to the field whose path is its longest prefix ("saes.0.sweep.lambda.1" → "saes.0.sweep") */
  const ownerOf = (issuePath: string) =>
    fieldPaths.filter((f) => issuePath === f || issuePath.startsWith(`${f}.`)).sort((a, b) => b.length - a.length)[0] ?? null;
  const errorsFor = (field: string) => issues.filter((i) => ownerOf(i.path) === field);
  const unplaced = issues.filter((i) => ownerOf(i.path) === null);

  const input = "mt-0.5 block w-full rounded border border-slate-300 px-2 py-1";

  function spec() {
    return {
      name: name.trim(),
      model,
      hook: hook.trim(),
      harvest: {
        contextLength: num(contextLength),
        train: { corpus: "bundled:train", tokens: num(tokens.train) },
        recording: { corpus: "bundled:recording", tokens: num(tokens.recording) },
        eval: { corpus: "bundled:heldout", tokens: num(tokens.eval) },
      },
      train: { dSae: num(train.dSae), totalSteps: num(train.totalSteps), batchSize: num(train.batchSize) },
      saes: saes.map((s) => {
        const sweep = values(s.sweep);
        return { architecture: s.architecture, ...(sweep.length ? { sweep: { [knobOf(s.architecture)]: sweep } } : {}) };
      }),
      imports: imports.map((i) => ({ format: i.format, path: i.path.trim() })),
      ...(explain !== null ? { explain: { explainer: "builtin", featuresPerSae: num(explain) } } : {}),
    };
  }

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setIssues([]);
    setMessage(null);
    try {
      setCreated(await api("/api/admin/pipelines", { body: { spec: spec() } }));
    } catch (err) {
      if (err instanceof ApiError) {
        setMessage(err.message);
        setIssues((err.body as { issues?: Issue[] } | undefined)?.issues ?? []);
      } else setMessage("The request failed; check your connection and try again.");
    } finally {
      setBusy(false);
    }
  }

  if (created)
    return (
      <div className="rounded border border-emerald-300 bg-emerald-50 p-3 text-sm" role="status" data-testid="pipeline-created">
        Pipeline started on <span className="font-mono">{created.hook}</span>: {created.saes.map((s) => s.name).join(", ")}.{" "}
        <Link href="/admin/jobs" className="text-sky-800 underline">
          Follow it on the jobs board
        </Link>
        .
      </div>
    );

  const hooks = models.find((m) => m.value === model)?.hooks ?? [];
  const registered = (m: ModelChoice) => {
    setModels([...models.filter((x) => x.value !== m.value), m]);
    setModel(m.value);
  };
  return (
    <div className="space-y-4">
      <RegisterModel onRegistered={registered} />
      <form onSubmit={submit} className="space-y-4 rounded-lg border border-slate-200 bg-white p-4" noValidate>
        {message && (
          <div
            role="alert"
            className="rounded border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800"
            data-testid="pipeline-errors"
          >
            {message}
            {unplaced.map((i, k) => (
              <div key={k}>
                {i.path || "spec"}: {i.message}
              </div>
            ))}
          </div>
        )}
        <div className="grid gap-3 sm:grid-cols-3">
          <Field path="name" errors={errorsFor("name")} label="Name">
            <input className={input} value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field path="model" errors={errorsFor("model")} label="Model">
            <select className={input} value={model} onChange={(e) => setModel(e.target.value)}>
              {models.map((m) => (
                <option key={m.value} value={m.value}>
                  {m.label}
                </option>
              ))}
            </select>
          </Field>
          <Field path="hook" errors={errorsFor("hook")} label="Hook">
            <input className={input} value={hook} onChange={(e) => setHook(e.target.value)} list="hooks" />
            <datalist id="hooks">
              <option value="mid">mid-depth residual stream</option>
              {hooks.map((h) => (
                <option key={h} value={h} />
              ))}
            </datalist>
          </Field>
        </div>
        <fieldset className="grid gap-3 sm:grid-cols-4">
          <legend className="mb-1 text-sm font-medium">Harvest (bundled corpus)</legend>
          <Field path="harvest.contextLength" errors={errorsFor("harvest.contextLength")} label="Context length">
            <input className={input} inputMode="numeric" value={contextLength} onChange={(e) => setContextLength(e.target.value)} />
          </Field>
          {(["train", "recording", "eval"] as const).map((s) => (
            <Field
              key={s}
              path={`harvest.${s}.tokens`}
              errors={errorsFor(`harvest.${s}.tokens`)}
              label={`${s === "eval" ? "Evaluation" : s[0].toUpperCase() + s.slice(1)} tokens`}
            >
              <input
                className={input}
                inputMode="numeric"
                value={tokens[s]}
                onChange={(e) => setTokens({ ...tokens, [s]: e.target.value })}
              />
            </Field>
          ))}
        </fieldset>
        <fieldset className="grid gap-3 sm:grid-cols-3">
          <legend className="mb-1 text-sm font-medium">Training (every SAE)</legend>
          {(
            [
              ["dSae", "Width (dSae)"],
              ["totalSteps", "Steps"],
              ["batchSize", "Batch size"],
            ] as const
          ).map(([k, label]) => (
            <Field key={k} path={`train.${k}`} errors={errorsFor(`train.${k}`)} label={label}>
              <input className={input} inputMode="numeric" value={train[k]} onChange={(e) => setTrain({ ...train, [k]: e.target.value })} />
            </Field>
          ))}
        </fieldset>
        <Rows
          legend="SAEs to train (one per sweep value)"
          rows={saes}
          onChange={setSaes}
          fresh={() => ({ architecture: "topk", sweep: "32" })}
          add="Add an SAE"
        >
          {(s, i, update) => (
            <>
              <Field path={`saes.${i}.architecture`} errors={errorsFor(`saes.${i}.architecture`)} label="Architecture">
                <select className={input} value={s.architecture} onChange={(e) => update({ architecture: e.target.value })}>
                  {Object.keys(sweepKnobs).map((a) => (
                    <option key={a}>{a}</option>
                  ))}
                </select>
              </Field>
              <Field
                path={`saes.${i}.sweep`}
                errors={errorsFor(`saes.${i}.sweep`)}
                label={`Sweep over ${knobOf(s.architecture)} (comma-separated; empty: the training default)`}
              >
                <input className={input} value={s.sweep} onChange={(e) => update({ sweep: e.target.value })} />
              </Field>
            </>
          )}
        </Rows>
        <Rows
          legend="Imports (SAEs already on the server)"
          rows={imports}
          onChange={setImports}
          fresh={() => ({ format: "saelens" as const, path: "" })}
          add="Add an import"
        >
          {(r, i, update) => (
            <>
              <Field path={`imports.${i}.format`} errors={errorsFor(`imports.${i}.format`)} label="Format">
                <select className={input} value={r.format} onChange={(e) => update({ format: e.target.value as ImportRow["format"] })}>
                  <option value="saelens">SAELens folder</option>
                  <option value="gemma-scope">Gemma Scope params.npz</option>
                </select>
              </Field>
              <Field path={`imports.${i}.path`} errors={errorsFor(`imports.${i}.path`)} label="Path on the server">
                <input className={input} value={r.path} onChange={(e) => update({ path: e.target.value })} />
              </Field>
            </>
          )}
        </Rows>
        <fieldset className="flex flex-wrap items-end gap-3">
          <label className="flex items-center gap-1.5 text-sm">
            <input type="checkbox" checked={explain !== null} onChange={(e) => setExplain(e.target.checked ? "24" : null)} />
            Explain and score a sample of each SAE&apos;s features (built-in explainer)
          </label>
          {explain !== null && (
            <Field path="explain.featuresPerSae" errors={errorsFor("explain.featuresPerSae")} label="Features per SAE">
              <input className={input} inputMode="numeric" value={explain} onChange={(e) => setExplain(e.target.value)} />
            </Field>
          )}
        </fieldset>
        <button type="submit" disabled={busy} className="rounded bg-slate-900 px-3 py-1.5 text-sm text-white disabled:opacity-50">
          {busy ? "Starting…" : "Start pipeline"}
        </button>
      </form>
    </div>
  );
}
