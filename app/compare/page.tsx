/**
 * Comparing SAEs on one hook, as the paper does: sparsity-fidelity frontiers,
 * feature density, dead and dense features, rating outcomes with 95% intervals,
 * a metrics table, and feature-level matching by decoder cosine.
 */
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { guardPage } from "@/app/_server/guard";
import { db } from "@/lib/db/client";
import { featureMatches, getComparison, listComparableHooks, type Comparison, type FeatureMatch } from "@/lib/db/browse";
import { getFeatureDashboard, parseFeatureIndex, type FeatureDashboard } from "@/lib/db/features";
import { seesOpenStudies, type RatingReader } from "@/lib/db/rating-scope";
import { ParetoChart } from "@/app/_components/charts/pareto-chart";
import { DensityHistogram } from "@/app/_components/charts/density-histogram";
import { RatingIntervals } from "@/app/_components/charts/rating-intervals";
import { architectureStyle } from "@/app/_components/charts/palette";
import { countedOn } from "@/app/_components/counted-on";
import { FeatureEvidence } from "@/app/_components/feature/feature-evidence";
import { AutointerpSection } from "@/app/compare/autointerp-section";
import { TableHead } from "@/app/_components/table-head";
import { ratingBar } from "@/app/_components/charts/rating-bar";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Compare SAEs" };

type Search = Promise<Record<string, string | string[] | undefined>>;

const fmt = (v: number | null | undefined, digits = 4) => (v === null || v === undefined ? "—" : Number(v.toPrecision(digits)).toString());
const pctOf = (n: number | null, d: number) => (n !== null && d > 0 ? `${((100 * n) / d).toPrecision(3)}%` : "—");
const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** `saes` may come as "a,b" or repeated; ids are cuid-like, anything else is reported as unknown. */
function saeIdsFrom(v: string | string[] | undefined): string[] {
  const all = (Array.isArray(v) ? v : v ? [v] : []).flatMap((s) => s.split(","));
  return all.map((s) => s.trim()).filter((s) => s.length > 0 && s.length <= 100);
}

export default async function ComparePage({ searchParams }: { searchParams: Search }) {
  const user = await guardPage("/compare");
  const sp = await searchParams;
  const hookId = first(sp.hook);
  if (!hookId) return <HookPicker />;
  if (hookId.length > 100) notFound();
  const cmp = await getComparison(db(), hookId, saeIdsFrom(sp.saes), user);
  if (!cmp) notFound();

  const notes: string[] = [];
  if (cmp.unknownIds.length) notes.push(`Not SAEs on this hook, ignored: ${cmp.unknownIds.map((s) => s.slice(0, 40)).join(", ")}`);
  const matchSae = first(sp.matchSae);
  const matchIndexRaw = first(sp.matchIndex);
  let matching: { source: FeatureDashboard; matches: FeatureMatch[]; dashboards: Map<string, FeatureDashboard> } | null = null;
  if (matchSae !== undefined || matchIndexRaw !== undefined) {
    const index = parseFeatureIndex(matchIndexRaw ?? "");
    const source = cmp.saes.find((s) => s.id === matchSae);
    if (!source) notes.push("Feature matching: pick one of the compared SAEs.");
    else if (index === null || index >= source.dSae)
      notes.push(`Feature matching: the index must be a whole number from 0 to ${source.dSae - 1}.`);
    else matching = await loadMatching(cmp, source.id, index, user);
  }
  const selected = new Set(cmp.saes.map((s) => s.id));
  const nameOf = new Map(cmp.available.map((s) => [s.id, s.name]));
  const paretoPoints = cmp.saes.map((s) => ({ name: s.name, architecture: s.architecture, l0: s.l0 }));

  return (
    <div className="space-y-8">
      <header className="space-y-1">
        <h1 className="text-2xl font-semibold">Compare SAEs</h1>
        <p className="text-sm text-slate-600">
          {cmp.hook.modelName} · <span className="font-mono">{cmp.hook.name}</span> · {cmp.saes.length} of {cmp.available.length} SAEs
        </p>
      </header>
      {notes.length > 0 && (
        <p
          role="status"
          data-testid="compare-notes"
          className="rounded border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900"
        >
          {notes.join(" ")}
        </p>
      )}
      <ChooseSaesForm
        hookId={cmp.hook.id}
        label="Choose SAEs"
        legend="SAEs on this hook"
        saes={cmp.available}
        checked={(id) => selected.has(id)}
      />

      <section aria-labelledby="metrics-table" className="space-y-2">
        <h2 id="metrics-table" className="text-lg font-semibold">
          Metrics
        </h2>
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="w-full text-sm" data-testid="compare-metrics">
            <TableHead
              columns={["SAE", "Architecture", "Width", "L0", "Δ LM loss", "FVU", "Loss recovered", "Dead", "> 10% of tokens", "Ratings"]}
              cell="px-3 py-2"
            />
            <tbody>
              {cmp.saes.map((s) => {
                const outcome = cmp.ratings.bySae.find((o) => o.saeId === s.id);
                return (
                  <tr key={s.id} className="border-t border-slate-100" data-sae={s.id}>
                    <td className="px-3 py-1.5">
                      <Link href={`/saes/${s.id}`} className="text-sky-800 hover:underline">
                        {s.name}
                      </Link>
                    </td>
                    <td className="px-3 py-1.5">
                      <span style={{ color: architectureStyle(s.architecture).color }}>■</span> {architectureStyle(s.architecture).label}
                    </td>
                    <td className="px-3 py-1.5 tabular-nums">{s.dSae.toLocaleString()}</td>
                    <td className="px-3 py-1.5 tabular-nums">{fmt(s.l0)}</td>
                    <td className="px-3 py-1.5 tabular-nums">{fmt(s.deltaLoss)}</td>
                    <td className="px-3 py-1.5 tabular-nums">{fmt(s.fvu)}</td>
                    <td className="px-3 py-1.5 tabular-nums">{fmt(s.lossRecovered)}</td>
                    <td className="px-3 py-1.5 tabular-nums" data-dead={s.deadCount ?? ""} title={countedOn(s.countTokens)}>
                      {s.deadCount ?? "—"} ({pctOf(s.deadCount, s.dSae)})
                    </td>
                    <td className="px-3 py-1.5 tabular-nums" data-dense={s.denseCount ?? ""} title={countedOn(s.countTokens)}>
                      {s.denseCount ?? "—"} ({pctOf(s.denseCount, s.dSae)})
                    </td>
                    <td className="px-3 py-1.5 tabular-nums">{outcome?.total ?? 0}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>

      <section aria-labelledby="pareto" className="space-y-2">
        <h2 id="pareto" className="text-lg font-semibold">
          Sparsity against fidelity
        </h2>
        <div className="grid gap-6 lg:grid-cols-2">
          <div>
            <h3 className="text-sm font-medium text-slate-700">L0 vs Δ LM loss (lower is better)</h3>
            <ParetoChart metric="Δ LM loss" points={paretoPoints.map((p, i) => ({ ...p, value: cmp.saes[i].deltaLoss }))} />
          </div>
          <div>
            <h3 className="text-sm font-medium text-slate-700">L0 vs FVU (lower is better)</h3>
            <ParetoChart metric="FVU" points={paretoPoints.map((p, i) => ({ ...p, value: cmp.saes[i].fvu }))} />
          </div>
        </div>
      </section>

      <section aria-labelledby="densities" className="space-y-2">
        <h2 id="densities" className="text-lg font-semibold">
          Feature density
        </h2>
        <DensityHistogram
          series={cmp.saes.map((s) => ({
            name: s.name,
            ...s.histogram,
            deadCount: s.deadCount,
            denseCount: s.denseCount,
            countTokens: s.countTokens,
          }))}
          height={260}
        />
      </section>

      <section aria-labelledby="rating-outcomes" className="space-y-2">
        <h2 id="rating-outcomes" className="text-lg font-semibold">
          Rating outcomes
        </h2>
        <p className="text-xs text-slate-600">
          Share of “Is this feature interpretable?” answers per SAE over {seesOpenStudies(user) ? "all studies" : "closed studies"}, each
          rating one trial, with 95% Wilson intervals.
        </p>
        <RatingIntervals bars={cmp.ratings.bySae.map((o) => ratingBar(nameOf.get(o.saeId) ?? o.saeId, o))} />
        <div className="overflow-x-auto">
          <table className="text-sm" data-testid="rating-table">
            <TableHead columns={["SAE", "n", "Yes", "Maybe", "No", "Yes share (95% CI)", "Yes or Maybe (95% CI)"]} cell="px-3 py-1" />
            <tbody>
              {cmp.ratings.bySae.map((o) => (
                <tr key={o.saeId} className="border-t border-slate-100">
                  <td className="px-3 py-1">{nameOf.get(o.saeId)}</td>
                  <td className="px-3 py-1 tabular-nums">{o.total}</td>
                  <td className="px-3 py-1 tabular-nums">{o.counts.yes}</td>
                  <td className="px-3 py-1 tabular-nums">{o.counts.maybe}</td>
                  <td className="px-3 py-1 tabular-nums">{o.counts.no}</td>
                  <td className="px-3 py-1 tabular-nums">{ci(o.shares.yes)}</td>
                  <td className="px-3 py-1 tabular-nums">{ci(o.yesOrMaybe)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <AutointerpSection saes={cmp.saes} />

      <section aria-labelledby="matching" className="space-y-3" id="matching-section">
        <h2 id="matching" className="text-lg font-semibold">
          Feature matching
        </h2>
        <p className="text-xs text-slate-600">
          A feature&apos;s best matches in the other SAEs by cosine similarity of decoder directions, with their dashboards side by side.
        </p>
        <form
          method="get"
          action="/compare#matching-section"
          className="flex flex-wrap items-end gap-3 rounded border border-slate-200 bg-white p-3 text-sm"
        >
          <input type="hidden" name="hook" value={cmp.hook.id} />
          <input type="hidden" name="saes" value={cmp.saes.map((s) => s.id).join(",")} />
          <label className="flex flex-col">
            <span className="text-xs text-slate-600">SAE</span>
            <select name="matchSae" defaultValue={matchSae ?? cmp.saes[0]?.id} className="rounded border border-slate-300 px-2 py-1">
              {cmp.saes.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
          <label className="flex flex-col">
            <span className="text-xs text-slate-600">Feature index</span>
            <input
              name="matchIndex"
              inputMode="numeric"
              defaultValue={matchIndexRaw ?? ""}
              className="w-28 rounded border border-slate-300 px-2 py-1"
            />
          </label>
          <button type="submit" className="rounded bg-slate-900 px-3 py-1.5 text-white">
            Match
          </button>
        </form>
        {matching && <MatchView cmp={cmp} {...matching} />}
      </section>
    </div>
  );
}

function ci(p: { share: number | null; interval: { lower: number; upper: number } | null }): string {
  if (p.share === null || !p.interval) return "—";
  return `${(p.share * 100).toFixed(1)}% [${(p.interval.lower * 100).toFixed(1)}, ${(p.interval.upper * 100).toFixed(1)}]`;
}

async function loadMatching(cmp: Comparison, saeId: string, index: number, reader: RatingReader) {
  const others = cmp.saes.filter((s) => s.id !== saeId).map((s) => s.id);
  const [source, matches] = await Promise.all([
    getFeatureDashboard(db(), saeId, index, reader),
    featureMatches(db(), saeId, index, others),
  ]);
  const best = others.map((id) => matches.find((m) => m.otherSaeId === id && m.rank === 0)).filter((m): m is FeatureMatch => !!m);
  const boards = await Promise.all(best.map((m) => getFeatureDashboard(db(), m.otherSaeId, m.otherIndex, reader)));
  const dashboards = new Map<string, FeatureDashboard>();
  boards.forEach((b, i) => b && dashboards.set(best[i].otherSaeId, b));
  return { source: source!, matches, dashboards };
}

function MatchView({
  cmp,
  source,
  matches,
  dashboards,
}: {
  cmp: Comparison;
  source: FeatureDashboard;
  matches: FeatureMatch[];
  dashboards: Map<string, FeatureDashboard>;
}) {
  const nameOf = new Map(cmp.saes.map((s) => [s.id, s.name]));
  const columns = [
    source,
    ...cmp.saes
      .filter((s) => s.id !== source.sae.id)
      .map((s) => dashboards.get(s.id))
      .filter((d): d is FeatureDashboard => !!d),
  ];
  return (
    <div className="space-y-3" data-testid="feature-matching">
      <table className="text-sm">
        <TableHead columns={["In SAE", "Match", "Decoder cosine"]} cell="px-3 py-1" />
        <tbody>
          {matches.length === 0 && (
            <tr>
              <td colSpan={3} className="px-3 py-1 text-slate-500">
                No matches recorded for this feature (neighbours are computed when SAEs on the same hook are recorded).
              </td>
            </tr>
          )}
          {matches.map((m) => (
            <tr key={`${m.otherSaeId}-${m.rank}`} className="border-t border-slate-100" data-match={`${m.otherSaeId}:${m.otherIndex}`}>
              <td className="px-3 py-1">{nameOf.get(m.otherSaeId)}</td>
              <td className="px-3 py-1">
                <Link href={`/saes/${m.otherSaeId}/features/${m.otherIndex}`} className="text-sky-800 hover:underline">
                  #{m.otherIndex}
                </Link>
                {m.rank === 0 ? <span className="ml-1 text-xs text-slate-500">best</span> : null}
              </td>
              <td className="px-3 py-1 font-mono tabular-nums">{m.cosine.toFixed(3)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="grid gap-4" style={{ gridTemplateColumns: `repeat(auto-fit, minmax(min(100%, 22rem), 1fr))` }}>
        {columns.map((d) => (
          <article
            key={d.sae.id}
            className="min-w-0 rounded-lg border border-slate-200 bg-white p-3"
            data-dashboard={`${d.sae.id}:${d.index}`}
          >
            <h3 className="mb-2 font-semibold">
              <span style={{ color: architectureStyle(d.sae.architecture).color }}>■</span> {d.sae.name}{" "}
              <Link href={`/saes/${d.sae.id}/features/${d.index}`} className="text-sky-800 hover:underline">
                #{d.index}
              </Link>
              {d.feature && (
                <span className="ml-2 text-xs font-normal text-slate-500">
                  density {(d.feature.density * 100).toPrecision(3)}% · max {d.feature.maxAct.toPrecision(3)}
                </span>
              )}
            </h3>
            {d.feature ? (
              <FeatureEvidence
                compact
                maxAct={d.feature.maxAct}
                top={d.top}
                topCount={5}
                intervals={[]}
                intervalShares={d.feature.intervalShares}
                logitTop={d.feature.logitTop.slice(0, 5)}
                logitBottom={d.feature.logitBottom.slice(0, 5)}
                logitNormFolded={d.feature.logitNormFolded}
                showHistogram={false}
              />
            ) : (
              <p className="text-sm text-slate-500">Not recorded.</p>
            )}
          </article>
        ))}
      </div>
    </div>
  );
}

async function HookPicker() {
  const hooks = await listComparableHooks(db());
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">Compare SAEs</h1>
      <p className="text-sm text-slate-600">Pick SAEs trained on the same hook.</p>
      {hooks.length === 0 && <p className="rounded border border-dashed border-slate-300 bg-white p-6 text-slate-600">No SAEs yet.</p>}
      {hooks.map((h) => (
        <ChooseSaesForm
          key={h.id}
          hookId={h.id}
          label={`SAEs on ${h.modelName} ${h.name}`}
          legend={
            <>
              {h.modelName} · <span className="font-mono">{h.name}</span>
            </>
          }
          saes={h.saes}
          checked={() => true}
        />
      ))}
    </div>
  );
}

/** A form choosing which of a hook's SAEs to compare. */
function ChooseSaesForm({
  hookId,
  label,
  legend,
  saes,
  checked,
}: {
  hookId: string;
  label: string;
  legend: React.ReactNode;
  saes: { id: string; name: string; architecture: string }[];
  checked: (saeId: string) => boolean;
}) {
  return (
    <form method="get" action="/compare" className="rounded-lg border border-slate-200 bg-white p-3 text-sm" aria-label={label}>
      <input type="hidden" name="hook" value={hookId} />
      <fieldset>
        <legend className="mb-1 font-medium">{legend}</legend>
        <div className="flex flex-wrap gap-x-4 gap-y-1">
          {saes.map((s) => (
            <label key={s.id} className="flex items-center gap-1.5">
              <input type="checkbox" name="saes" value={s.id} defaultChecked={checked(s.id)} />
              <span style={{ color: architectureStyle(s.architecture).color }}>■</span> {s.name}
            </label>
          ))}
        </div>
      </fieldset>
      <button type="submit" className="mt-2 rounded bg-slate-900 px-3 py-1.5 text-white">
        Compare
      </button>
    </form>
  );
}
