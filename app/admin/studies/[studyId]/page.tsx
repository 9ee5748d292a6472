import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { guardPage } from "@/app/_server/guard";
import { db } from "@/lib/db/client";
import { listPossibleRaters, studyResults } from "@/lib/db/studies";
import type { ProportionEstimate } from "@/lib/studies/statistics/wilson-interval";
import { StudyStatusBadge } from "@/app/admin/studies/_components/status-badge";
import { ExtendForm, StatusControls } from "@/app/admin/studies/_components/study-controls";
import { AnswerMixChart, CompletionChart, DifferenceChart, YesSharesChart } from "@/app/admin/studies/_components/results-charts";
import { TableHead } from "@/app/_components/table-head";
import { ratingBar } from "@/app/_components/charts/rating-bar";
import { TitledSection } from "@/app/_components/titled-section";

export const metadata: Metadata = { title: "Study" };
export const dynamic = "force-dynamic";

const pct = (v: number | null | undefined) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(1)}%`);
const num = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? "—" : v.toFixed(digits));

function Share({ estimate }: { estimate: ProportionEstimate }) {
  return (
    <span className="tabular-nums">
      {estimate.successes} <span className="text-slate-600">({pct(estimate.share)}</span>
      {estimate.interval && (
        <span className="text-slate-600" data-testid="wilson-interval">
          {" "}
          [{pct(estimate.interval.lower)}, {pct(estimate.interval.upper)}]
        </span>
      )}
      <span className="text-slate-600">)</span>
    </span>
  );
}

function Card({ title, children, id }: { title: string; children: React.ReactNode; id: string }) {
  return (
    <TitledSection id={id} title={title} className="space-y-3 p-4" headingClassName="text-lg font-semibold">
      {children}
    </TitledSection>
  );
}

export default async function StudyPage({
  params,
  searchParams,
}: {
  params: Promise<{ studyId: string }>;
  searchParams: Promise<{ unit?: string }>;
}) {
  await guardPage("/admin/studies/[studyId]");
  const { studyId } = await params;
  const unit = (await searchParams).unit === "feature" ? "feature" : "rating";
  const results = await studyResults(db(), studyId, unit);
  if (!results) notFound();
  const { study, outcomes, agreement, completion } = results;
  const everyone = await listPossibleRaters(db());
  const candidates = everyone.filter((u) => !study.raters.some((r) => r.id === u.id));
  const saeName = new Map(study.saes.map((s) => [s.id, `${s.name} (${s.architecture.toLowerCase()})`]));
  const alpha = agreement.krippendorffAlpha;
  const kappa = agreement.fleissKappa;
  const settings = study.settings;

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center gap-3">
        <Link href="/admin/studies" className="text-sm text-sky-700 underline">
          ← Studies
        </Link>
      </div>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold">
          {study.name} <StudyStatusBadge status={study.status} />
        </h1>
        <StatusControls studyId={study.id} status={study.status} />
      </div>

      <div className="grid gap-6 lg:grid-cols-2">
        <Card title="Design" id="design">
          <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
            <dt className="text-slate-500">SAEs</dt>
            <dd>
              <ul>
                {study.saes.map((s) => {
                  const sample = settings.samples.find((x) => x.saeId === s.id);
                  return (
                    <li key={s.id}>
                      <Link href={`/saes/${s.id}`} className="text-sky-700 underline">
                        {s.name}
                      </Link>{" "}
                      <span className="text-slate-600">
                        {s.architecture.toLowerCase()} · {sample?.aliveFeatures.toLocaleString() ?? "?"} alive of {s.dSae.toLocaleString()}
                      </span>
                    </li>
                  );
                })}
              </ul>
            </dd>
            <dt className="text-slate-500">Sampling</dt>
            <dd>
              {settings.featuresPerSae} features per SAE,{" "}
              {settings.densityStrata ? `stratified into ${settings.densityStrata} density strata` : "uniformly among alive features"}
            </dd>
            <dt className="text-slate-500">Seed</dt>
            <dd className="font-mono" data-testid="study-seed">
              {study.seed}
            </dd>
            <dt className="text-slate-500">Ratings per feature</dt>
            <dd>{settings.ratingsPerItem}</dd>
            <dt className="text-slate-500">Raters see</dt>
            <dd>
              {settings.view.topExamples} top examples, {settings.view.examplesPerInterval} examples in each of {settings.view.intervals}{" "}
              activation intervals
              {settings.view.logitTokens ? `, ${settings.view.logitTokens} logit tokens each way` : ", no logit tokens"}
            </dd>
            <dt className="text-slate-500">Planning rounds</dt>
            <dd>
              <ol className="list-inside list-decimal">
                {settings.rounds.map((r) => (
                  <li key={r.round}>
                    seed {r.seed}, {r.addedRaterIds.length} rater(s) added, {r.ratingsPerItem} per feature,{" "}
                    {r.at.slice(0, 16).replace("T", " ")}
                  </li>
                ))}
              </ol>
            </dd>
            <dt className="text-slate-500">Export</dt>
            <dd className="space-x-3">
              <a href={`/api/admin/studies/${study.id}/export?format=csv`} className="text-sky-700 underline" data-testid="export-csv">
                CSV (safe to open in a spreadsheet)
              </a>
              <a
                href={`/api/admin/studies/${study.id}/export?format=csv&spreadsheetSafe=0`}
                className="text-sky-700 underline"
                data-testid="export-csv-verbatim"
                title="Explanations exactly as written, for analysis scripts: a spreadsheet may run text starting with = + - @ as a formula"
              >
                CSV, text verbatim (for scripts)
              </a>
              <a href={`/api/admin/studies/${study.id}/export?format=json`} className="text-sky-700 underline" data-testid="export-json">
                JSON with metadata and results
              </a>
            </dd>
          </dl>
        </Card>

        <Card title="Raters and completion" id="completion">
          <CompletionChart rows={completion.map((c) => ({ name: c.name, answered: c.answered, skipped: c.skipped, pending: c.pending }))} />
          <table className="w-full text-sm">
            <TableHead
              columns={[
                "Rater",
                { label: "Answered", numeric: true },
                { label: "Skipped", numeric: true },
                { label: "Pending", numeric: true },
                { label: "Done", numeric: true },
              ]}
              cell="py-1"
            />
            <tbody>
              {completion.map((c) => (
                <tr key={c.raterId} className="border-t border-slate-100" data-testid="completion-row">
                  <td className="py-1">{c.name}</td>
                  <td className="py-1 text-right tabular-nums">{c.answered}</td>
                  <td className="py-1 text-right tabular-nums">{c.skipped}</td>
                  <td className="py-1 text-right tabular-nums">{c.pending}</td>
                  <td className="py-1 text-right tabular-nums">{pct(c.completedShare)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {study.status !== "CLOSED" && (
            <details className="rounded border border-slate-200 p-3">
              <summary className="cursor-pointer text-sm font-medium">Extend with more raters</summary>
              <div className="mt-3">
                <ExtendForm studyId={study.id} candidates={candidates} ratingsPerItem={settings.ratingsPerItem} />
              </div>
            </details>
          )}
        </Card>
      </div>

      <Card title="Results" id="results">
        <div className="flex flex-wrap items-center gap-3 text-sm">
          <span>
            {results.answered} answers ({results.skipped} skipped, {results.assigned - results.answered - results.skipped} pending).
            Counting
          </span>
          <Link
            href="?unit=rating"
            aria-current={unit === "rating"}
            className={unit === "rating" ? "font-semibold underline" : "text-sky-700 underline"}
          >
            every rating
          </Link>
          <Link
            href="?unit=feature"
            aria-current={unit === "feature"}
            className={unit === "feature" ? "font-semibold underline" : "text-sky-700 underline"}
          >
            each feature once (median answer)
          </Link>
        </div>
        <p className="text-xs text-slate-600">
          Shares with 95% Wilson score intervals; differences with 95% Newcombe hybrid score intervals.{" "}
          {unit === "rating" && settings.ratingsPerItem > 1
            ? "Ratings of one feature are not independent, so these intervals are somewhat narrow; count each feature once for independent trials."
            : ""}
        </p>
        <div className="grid gap-6 lg:grid-cols-2">
          <div>
            <h3 className="text-sm font-semibold">Answers per SAE</h3>
            <AnswerMixChart rows={outcomes.bySae.map((o) => ({ name: saeName.get(o.saeId)!, total: o.total, ...o.counts }))} />
          </div>
          <div>
            <h3 className="text-sm font-semibold">Share interpretable, with 95% intervals</h3>
            <YesSharesChart bars={outcomes.bySae.map((o) => ratingBar(saeName.get(o.saeId)!, o))} />
          </div>
        </div>
        <div className="overflow-x-auto">
          <table className="w-full text-sm" data-testid="outcomes-table">
            <TableHead
              columns={["SAE", { label: "n", numeric: true }, "Yes", "Maybe", "No", { label: "Yes or Maybe", cell: "py-1" }]}
              cell="py-1 pr-3"
            />
            <tbody>
              {outcomes.bySae.map((o) => (
                <tr key={o.saeId} className="border-t border-slate-100" data-testid="outcome-row">
                  <td className="py-1 pr-3">{saeName.get(o.saeId)}</td>
                  <td className="py-1 pr-3 text-right tabular-nums">{o.total}</td>
                  <td className="py-1 pr-3">
                    <Share estimate={o.shares.yes} />
                  </td>
                  <td className="py-1 pr-3">
                    <Share estimate={o.shares.maybe} />
                  </td>
                  <td className="py-1 pr-3">
                    <Share estimate={o.shares.no} />
                  </td>
                  <td className="py-1">
                    <Share estimate={o.yesOrMaybe} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>

        {outcomes.comparisons.length > 0 && (
          <div className="grid gap-6 lg:grid-cols-2">
            <div>
              <h3 className="text-sm font-semibold">Differences between SAEs (share of Yes)</h3>
              <DifferenceChart
                rows={outcomes.comparisons.map((c) => ({
                  label: `${study.saes.find((s) => s.id === c.first)?.name} − ${study.saes.find((s) => s.id === c.second)?.name}`,
                  difference: c.yes.difference,
                  lower: c.yes.interval?.lower ?? null,
                  upper: c.yes.interval?.upper ?? null,
                }))}
              />
            </div>
            <table className="w-full self-start text-sm" data-testid="differences-table">
              <TableHead columns={["Difference", "Yes", { label: "Yes or Maybe", cell: "py-1" }]} cell="py-1 pr-3" />
              <tbody>
                {outcomes.comparisons.map((c) => (
                  <tr key={`${c.first}-${c.second}`} className="border-t border-slate-100">
                    <td className="py-1 pr-3">
                      {saeName.get(c.first)} − {saeName.get(c.second)}
                    </td>
                    {[c.yes, c.yesOrMaybe].map((d, i) => (
                      <td key={i} className="py-1 pr-3 tabular-nums">
                        {d.difference === null ? "—" : `${d.difference >= 0 ? "+" : ""}${(d.difference * 100).toFixed(1)} pts`}
                        {d.interval && (
                          <span className="text-slate-600">
                            {" "}
                            [{(d.interval.lower * 100).toFixed(1)}, {(d.interval.upper * 100).toFixed(1)}]
                          </span>
                        )}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>

      <Card title="Agreement between raters" id="agreement">
        <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
          <dt className="text-slate-500">Krippendorff&apos;s alpha (ordinal)</dt>
          <dd data-testid="krippendorff-alpha">
            {alpha.alpha === null
              ? alpha.undefinedReason === "no-variation"
                ? "undefined: every answer is the same"
                : "undefined: no feature has two answers yet"
              : num(alpha.alpha)}
            <span className="text-slate-600">
              {" "}
              over {alpha.pairableUnits} features with at least two answers ({alpha.pairableValues} answers)
            </span>
          </dd>
          <dt className="text-slate-500">Fleiss&apos; kappa</dt>
          <dd data-testid="fleiss-kappa">
            {kappa === null
              ? settings.ratingsPerItem < 2
                ? "needs at least two ratings per feature"
                : "no feature has all its ratings yet"
              : kappa.kappa === null
                ? "undefined: every answer is the same"
                : num(kappa.kappa)}
            {kappa && (
              <span className="text-slate-600">
                {" "}
                over {kappa.subjects} features with all {kappa.ratersPerSubject} ratings
                {agreement.fleissItemsLeftOut ? `; ${agreement.fleissItemsLeftOut} left out` : ""}
              </span>
            )}
          </dd>
        </dl>
        <p className="text-xs text-slate-600">
          Alpha treats No &lt; Maybe &lt; Yes as ordered and uses every feature with two or more answers; kappa treats the answers as
          unordered categories and needs the same number of ratings per feature. 1 is perfect agreement, 0 is chance.
        </p>
      </Card>
    </div>
  );
}
