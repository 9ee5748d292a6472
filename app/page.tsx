import type { Metadata } from "next";
import Link from "next/link";
import { guardPage } from "@/app/_server/guard";
import { db } from "@/lib/db/client";
import { listCatalog } from "@/lib/db/catalog";

export const metadata: Metadata = { title: "SAEs" };
export const dynamic = "force-dynamic";

const fmt = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? "—" : v.toFixed(digits));

const STATUS_STYLE: Record<string, string> = {
  READY: "bg-emerald-100 text-emerald-900",
  FAILED: "bg-red-100 text-red-900",
  CANCELLED: "bg-slate-200 text-slate-700",
  QUEUED: "bg-slate-100 text-slate-700",
  TRAINING: "bg-sky-100 text-sky-900",
  EVALUATING: "bg-sky-100 text-sky-900",
  RECORDING: "bg-amber-100 text-amber-900",
};

export default async function Home() {
  await guardPage("/");
  const models = await listCatalog(db());
  return (
    <div className="space-y-8">
      <h1 className="text-2xl font-semibold">Models, hooks and SAEs</h1>
      {models.length === 0 && (
        <p className="rounded border border-dashed border-slate-300 bg-white p-6 text-slate-600">
          No models yet. Start the demo pipeline with <code>npm run demo</code>, or enqueue one with <code>featurelab enqueue</code>.
        </p>
      )}
      {models.map((model) => (
        <section key={model.id} aria-labelledby={`model-${model.id}`} className="space-y-4">
          <h2 id={`model-${model.id}`} className="text-lg font-semibold">
            {model.name}{" "}
            <span className="text-sm font-normal text-slate-500">
              d_model {model.dModel} · {model.nLayers} layers · vocab {model.vocabSize}
            </span>
          </h2>
          {model.hooks
            .filter((hook) => hook.saes.length > 0)
            .map((hook) => (
              <div key={hook.id} className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
                <div className="flex items-center justify-between border-b border-slate-100 px-4 py-2">
                  <h3 className="font-mono text-sm">{hook.name}</h3>
                  <Link href={`/compare?hook=${hook.id}`} className="text-sm text-sky-700 underline">
                    Compare these SAEs
                  </Link>
                </div>
                <table className="w-full text-sm">
                  <thead className="text-left text-slate-500">
                    <tr>
                      <th className="px-4 py-2 font-medium">SAE</th>
                      <th className="px-4 py-2 font-medium">Architecture</th>
                      <th className="px-4 py-2 text-right font-medium">Width</th>
                      <th className="px-4 py-2 text-right font-medium">L0</th>
                      <th className="px-4 py-2 text-right font-medium">FVU</th>
                      <th className="px-4 py-2 text-right font-medium">Δ LM loss</th>
                      <th className="px-4 py-2 font-medium">Status</th>
                    </tr>
                  </thead>
                  <tbody>
                    {hook.saes.map((sae) => (
                      <tr key={sae.id} className="border-t border-slate-100">
                        <td className="px-4 py-2">
                          <Link href={`/saes/${sae.id}`} className="text-sky-700 underline">
                            {sae.name}
                          </Link>
                        </td>
                        <td className="px-4 py-2">{sae.architecture}</td>
                        <td className="px-4 py-2 text-right tabular-nums">{sae.dSae.toLocaleString()}</td>
                        <td className="px-4 py-2 text-right tabular-nums">{fmt(sae.l0, 1)}</td>
                        <td className="px-4 py-2 text-right tabular-nums">{fmt(sae.fvu)}</td>
                        <td className="px-4 py-2 text-right tabular-nums">{fmt(sae.deltaLoss)}</td>
                        <td className="px-4 py-2">
                          <span className={`rounded px-2 py-0.5 text-xs font-medium ${STATUS_STYLE[sae.status] ?? ""}`}>{sae.status.toLowerCase()}</span>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ))}
        </section>
      ))}
    </div>
  );
}
