/** An SAE's overview: metrics, training curves, density histogram, and its sortable, filterable feature list. */
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { guardPage } from "@/app/_server/guard";
import { db } from "@/lib/db/client";
import {
  densityHistogram,
  FEATURE_SORTS,
  FEATURE_STATUSES,
  getSaeDetail,
  getTrainingCurve,
  listFeatures,
  listSiblings,
  parseFeatureListQuery,
  type FeatureListQuery,
} from "@/lib/db/browse";
import { END } from "@/lib/db/feature-list-cursor";
import { TrainingCurves } from "@/app/_components/charts/training-curves";
import { DensityHistogram } from "@/app/_components/charts/density-histogram";
import { countedOn } from "@/app/_components/counted-on";
import { architectureStyle } from "@/app/_components/charts/palette";
import { StatusBadge, SaeProgress } from "@/app/_components/feature/sae-status";
import { SaeBreadcrumb } from "@/app/_components/feature/sae-breadcrumb";
import { MetricTiles } from "@/app/_components/metric-tiles";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "SAE" };

type Search = Promise<Record<string, string | string[] | undefined>>;

const fmt = (v: number | null | undefined, digits = 4) => (v === null || v === undefined ? "—" : Number(v.toPrecision(digits)).toString());

/** A link to the list with `change` applied; the page position (after/before) is dropped unless `change` sets one. */
function listHref(saeId: string, q: FeatureListQuery, change: Partial<FeatureListQuery>): string {
  const merged = { ...q, after: undefined, before: undefined, ...change };
  const params = new URLSearchParams();
  const defaults: Record<string, unknown> = { sort: "index", dir: "asc", status: "all", rated: "any", q: "", pageSize: 50 };
  for (const [k, v] of Object.entries(merged)) if (v !== undefined && v !== defaults[k]) params.set(k, String(v));
  const s = params.toString();
  return `/saes/${saeId}${s ? `?${s}` : ""}#features`;
}

export default async function SaePage({ params, searchParams }: { params: Promise<{ saeId: string }>; searchParams: Search }) {
  const user = await guardPage("/saes/[saeId]");
  const { saeId } = await params;
  const sae = await getSaeDetail(db(), saeId);
  if (!sae) notFound();
  const { query, problems } = parseFeatureListQuery(await searchParams);
  const [curve, histogram, siblings, list] = await Promise.all([
    getTrainingCurve(db(), sae.id),
    densityHistogram(db(), sae.id),
    listSiblings(db(), sae.hook.id),
    listFeatures(db(), sae.id, query, user),
  ]);
  const others = siblings.filter((s) => s.id !== sae.id);
  const metrics: [string, string, string][] = [
    ["L0", fmt(sae.l0), "active features per token"],
    ["Δ LM loss", fmt(sae.deltaLoss), "CE with the SAE spliced in, minus clean CE"],
    ["FVU", fmt(sae.fvu), "fraction of variance unexplained"],
    ["Loss recovered", fmt(sae.lossRecovered), "vs zero ablation"],
    ["KL", fmt(sae.klDiv), "clean vs spliced next-token"],
    ["Cosine", fmt(sae.cosine), "x vs reconstruction"],
    [
      "Dead",
      sae.deadCount === null ? "—" : String(sae.deadCount),
      `of ${sae.dSae.toLocaleString()} features, ${countedOn(sae.countTokens)}`,
    ],
    ["> 10% of tokens", sae.denseCount === null ? "—" : String(sae.denseCount), `dense features, ${countedOn(sae.countTokens)}`],
  ];
  const sortHeader = (key: (typeof FEATURE_SORTS)[number], label: string) => {
    const active = query.sort === key;
    const dir = active && query.dir === "desc" ? "asc" : "desc";
    return (
      <th className="px-3 py-2 font-medium" aria-sort={active ? (query.dir === "asc" ? "ascending" : "descending") : "none"}>
        <Link href={listHref(sae.id, query, { sort: key, dir: key === "index" && !active ? "asc" : dir })} className="hover:underline">
          {label} {active ? (query.dir === "asc" ? "▲" : "▼") : ""}
        </Link>
      </th>
    );
  };

  return (
    <div className="space-y-8">
      <SaeBreadcrumb modelName={sae.model.name} hookName={sae.hook.name} />
      <header className="flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-semibold">{sae.name}</h1>
        <span className="text-slate-600">
          <span style={{ color: architectureStyle(sae.architecture).color }}>■</span> {architectureStyle(sae.architecture).label} · width{" "}
          {sae.dSae.toLocaleString()} · d_in {sae.dIn} · {sae.source.toLowerCase()}
          {sae.trainedTokens > 0 ? ` · ${sae.trainedTokens.toLocaleString()} training tokens` : ""}
        </span>
        <StatusBadge status={sae.status} />
        <div className="ml-auto flex gap-2 text-sm">
          <Link href={`/saes/${sae.id}/text-test`} className="rounded border border-slate-300 px-2 py-1 hover:bg-slate-50">
            Test on your text
          </Link>
          <Link href={`/compare?hook=${sae.hook.id}`} className="rounded border border-slate-300 px-2 py-1 hover:bg-slate-50">
            Compare SAEs on this hook
          </Link>
        </div>
      </header>
      <SaeProgress status={sae.status} progress={sae.progress} error={sae.error} />

      <section aria-labelledby="metrics">
        <h2 id="metrics" className="mb-2 text-lg font-semibold">
          Metrics
        </h2>
        <MetricTiles tiles={metrics} testId="sae-metrics" />
      </section>

      <section aria-labelledby="curves">
        <h2 id="curves" className="mb-2 text-lg font-semibold">
          Training curves
        </h2>
        <TrainingCurves points={curve} />
      </section>

      <section aria-labelledby="density">
        <h2 id="density" className="mb-2 text-lg font-semibold">
          Feature density
        </h2>
        <DensityHistogram
          series={[{ name: sae.name, ...histogram, deadCount: sae.deadCount, denseCount: sae.denseCount, countTokens: sae.countTokens }]}
        />
      </section>

      {others.length > 0 && (
        <section aria-labelledby="siblings">
          <h2 id="siblings" className="mb-2 text-lg font-semibold">
            Other SAEs on this hook
          </h2>
          <ul className="flex flex-wrap gap-2 text-sm">
            {others.map((s) => (
              <li key={s.id} className="rounded border border-slate-200 bg-white px-2 py-1">
                <Link href={`/saes/${s.id}`} className="text-sky-800 hover:underline">
                  {s.name}
                </Link>{" "}
                <span className="text-xs text-slate-500">
                  {architectureStyle(s.architecture).label}, L0 {fmt(s.l0, 3)}
                </span>{" "}
                <Link href={`/compare?hook=${sae.hook.id}&saes=${sae.id},${s.id}`} className="text-xs text-sky-800 underline">
                  compare
                </Link>
              </li>
            ))}
          </ul>
        </section>
      )}

      <section aria-labelledby="features-heading" id="features" className="space-y-3">
        <h2 id="features-heading" className="text-lg font-semibold">
          Features <span className="text-sm font-normal text-slate-500">({list.total.toLocaleString()} matching)</span>
        </h2>
        {problems.length > 0 && (
          <p
            role="status"
            className="rounded border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900"
            data-testid="query-problems"
          >
            {problems.join("; ")}
          </p>
        )}
        <form
          method="get"
          action={`/saes/${sae.id}#features`}
          className="flex flex-wrap items-end gap-3 rounded border border-slate-200 bg-white p-3 text-sm"
        >
          <input type="hidden" name="sort" value={query.sort} />
          <input type="hidden" name="dir" value={query.dir} />
          <label className="flex flex-col">
            <span className="text-xs text-slate-600">Status</span>
            <select name="status" defaultValue={query.status} className="rounded border border-slate-300 px-2 py-1">
              {FEATURE_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s === "dense" ? "dense (> 10%)" : s}
                </option>
              ))}
            </select>
          </label>
          <label className="flex flex-col">
            <span className="text-xs text-slate-600">log10 density ≥</span>
            <input
              name="minLogDensity"
              type="number"
              step="any"
              defaultValue={query.minLogDensity}
              className="w-24 rounded border border-slate-300 px-2 py-1"
            />
          </label>
          <label className="flex flex-col">
            <span className="text-xs text-slate-600">log10 density ≤</span>
            <input
              name="maxLogDensity"
              type="number"
              step="any"
              defaultValue={query.maxLogDensity}
              className="w-24 rounded border border-slate-300 px-2 py-1"
            />
          </label>
          <label className="flex flex-col">
            <span className="text-xs text-slate-600">max activation ≥</span>
            <input
              name="minMaxAct"
              type="number"
              step="any"
              defaultValue={query.minMaxAct}
              className="w-24 rounded border border-slate-300 px-2 py-1"
            />
          </label>
          <label className="flex flex-col">
            <span className="text-xs text-slate-600">Rated</span>
            <select name="rated" defaultValue={query.rated} className="rounded border border-slate-300 px-2 py-1">
              <option value="any">any</option>
              <option value="yes">rated only</option>
            </select>
          </label>
          <label className="flex grow flex-col">
            <span className="text-xs text-slate-600">Explanation contains</span>
            <input name="q" type="search" defaultValue={query.q} className="rounded border border-slate-300 px-2 py-1" />
          </label>
          <button type="submit" className="rounded bg-slate-900 px-3 py-1.5 text-white">
            Filter
          </button>
        </form>
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="w-full text-sm" data-testid="feature-list">
            <thead className="text-left text-slate-500">
              <tr>
                {sortHeader("index", "Feature")}
                {sortHeader("density", "Density")}
                {sortHeader("maxAct", "Max act.")}
                {sortHeader("rating", "Rating (Yes share)")}
                <th className="px-3 py-2 font-medium">Explanation</th>
              </tr>
            </thead>
            <tbody>
              {list.rows.map((f) => (
                <tr key={f.index} className="border-t border-slate-100" data-feature-row={f.index}>
                  <td className="px-3 py-1.5">
                    <Link href={`/saes/${sae.id}/features/${f.index}`} className="text-sky-800 hover:underline">
                      #{f.index}
                    </Link>
                  </td>
                  <td className="px-3 py-1.5 tabular-nums">
                    {f.dead ? <span className="text-slate-500">dead</span> : `${(f.density * 100).toPrecision(3)}%`}
                  </td>
                  <td className="px-3 py-1.5 tabular-nums">{f.maxAct.toPrecision(4)}</td>
                  <td className="px-3 py-1.5 tabular-nums">
                    {f.yesShare === null ? "—" : `${Math.round(f.yesShare * 100)}% (${f.yes}/${f.yes + f.maybe + f.no})`}
                  </td>
                  <td className="max-w-md truncate px-3 py-1.5 text-slate-700">{f.explanation ?? ""}</td>
                </tr>
              ))}
              {list.rows.length === 0 && (
                <tr>
                  <td colSpan={5} className="px-3 py-4 text-center text-slate-500">
                    {list.total === 0 && histogram.recorded === 0
                      ? "This SAE has not been recorded yet."
                      : "No features match these filters."}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
        <nav aria-label="Feature list pages" className="flex flex-wrap items-center gap-3 text-sm">
          {(list.prev !== null || query.after !== undefined || query.before !== undefined) && (
            <Link href={listHref(sae.id, query, {})} className="rounded border border-slate-300 px-2 py-1 hover:bg-slate-50">
              ⇤ First page
            </Link>
          )}
          {list.prev !== null && (
            <Link
              href={listHref(sae.id, query, { before: list.prev })}
              className="rounded border border-slate-300 px-2 py-1 hover:bg-slate-50"
              rel="prev"
            >
              ← Previous page
            </Link>
          )}
          <span data-testid="feature-list-position">
            {list.rows.length === 0
              ? "No features"
              : `Features ${list.first.toLocaleString()}–${(list.first + list.rows.length - 1).toLocaleString()} of ${list.total.toLocaleString()}`}
          </span>
          {list.next !== null && (
            <>
              <Link
                href={listHref(sae.id, query, { after: list.next })}
                className="rounded border border-slate-300 px-2 py-1 hover:bg-slate-50"
                rel="next"
              >
                Next page →
              </Link>
              <Link href={listHref(sae.id, query, { before: END })} className="rounded border border-slate-300 px-2 py-1 hover:bg-slate-50">
                Last page ⇥
              </Link>
            </>
          )}
        </nav>
      </section>
    </div>
  );
}
