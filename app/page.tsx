import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { guardPage } from "@/app/_server/guard";
import { db } from "@/lib/db/client";
import { listCatalog } from "@/lib/db/catalog";
import { architectureStyle } from "@/app/_components/charts/palette";
import { AutoRefresh } from "@/app/_components/feature/auto-refresh";
import { progressSummary, StatusBadge } from "@/app/_components/feature/sae-status";
import { TableHead } from "@/app/_components/table-head";

export const metadata: Metadata = { title: "SAEs" };
export const dynamic = "force-dynamic";

const fmt = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? "—" : Number(v.toPrecision(digits)).toString());
const IN_PROGRESS = new Set(["QUEUED", "TRAINING", "EVALUATING", "RECORDING"]);

export default async function Home() {
  const user = await guardPage("/");
  // Raters are blinded to SAE identities (see BROWSERS): their start page is their rating queue.
  if (user.role === "RATER") redirect("/rate");
  const models = await listCatalog(db());
  const busy = models.some((m) => m.hooks.some((h) => h.saes.some((s) => IN_PROGRESS.has(s.status))));
  return (
    <div className="space-y-8">
      <AutoRefresh active={busy} />
      <h1 className="text-2xl font-semibold">Models, hooks and SAEs</h1>
      {models.length === 0 && (
        <p className="rounded border border-dashed border-slate-300 bg-white p-6 text-slate-600">
          No models yet. Start the demo pipeline with <code>npm run demo</code>, or enqueue one with <code>featurelab enqueue</code>.
        </p>
      )}
      {models.map((model) => {
        const withSaes = model.hooks.filter((hook) => hook.saes.length > 0);
        const without = model.hooks.filter((hook) => hook.saes.length === 0);
        return (
          <section key={model.id} aria-labelledby={`model-${model.id}`} className="space-y-4">
            <h2 id={`model-${model.id}`} className="text-lg font-semibold">
              {model.name}{" "}
              <span className="text-sm font-normal text-slate-500">
                d_model {model.dModel} · {model.nLayers} layers · vocab {model.vocabSize.toLocaleString()} · {model.hooks.length} hooks
              </span>
            </h2>
            {withSaes.map((hook) => (
              <div key={hook.id} className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
                <div className="flex flex-wrap items-center justify-between gap-2 border-b border-slate-100 px-4 py-2">
                  <h3 className="font-mono text-sm">{hook.name}</h3>
                  {hook.saes.length > 1 && (
                    <Link href={`/compare?hook=${hook.id}`} className="text-sm text-sky-700 underline">
                      Compare these {hook.saes.length} SAEs
                    </Link>
                  )}
                </div>
                <table className="w-full text-sm">
                  <TableHead
                    columns={[
                      "SAE",
                      "Architecture",
                      { label: "Width", numeric: true },
                      { label: "L0", numeric: true },
                      { label: "FVU", numeric: true },
                      { label: "Δ LM loss", numeric: true },
                      "Status",
                    ]}
                    cell="px-4 py-2"
                  />
                  <tbody>
                    {hook.saes.map((sae) => {
                      const progress = progressSummary(sae.status, sae.progress);
                      const style = architectureStyle(sae.architecture);
                      return (
                        <tr key={sae.id} className="border-t border-slate-100" data-sae={sae.id}>
                          <td className="px-4 py-2">
                            <Link href={`/saes/${sae.id}`} className="text-sky-700 underline">
                              {sae.name}
                            </Link>
                            {sae.source === "IMPORTED" && <span className="ml-1 text-xs text-slate-500">imported</span>}
                          </td>
                          <td className="px-4 py-2">
                            <span style={{ color: style.color }} aria-hidden="true">
                              ■
                            </span>{" "}
                            {style.label}
                          </td>
                          <td className="px-4 py-2 text-right tabular-nums">{sae.dSae.toLocaleString()}</td>
                          <td className="px-4 py-2 text-right tabular-nums">{fmt(sae.l0)}</td>
                          <td className="px-4 py-2 text-right tabular-nums">{fmt(sae.fvu)}</td>
                          <td className="px-4 py-2 text-right tabular-nums">{fmt(sae.deltaLoss)}</td>
                          <td className="px-4 py-2">
                            <StatusBadge status={sae.status} />
                            {progress && (
                              <span className="ml-2 inline-flex items-center gap-1 text-xs text-slate-600">
                                {progress.share !== null && (
                                  <progress
                                    value={progress.share}
                                    max={1}
                                    className="h-1.5 w-16"
                                    aria-label={`${sae.status.toLowerCase()} progress`}
                                  />
                                )}
                                {progress.text}
                              </span>
                            )}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            ))}
            {without.length > 0 && (
              <p className="text-xs text-slate-500">
                Hooks without SAEs: <span className="font-mono">{without.map((h) => h.name).join(", ")}</span>
              </p>
            )}
          </section>
        );
      })}
    </div>
  );
}
