/**
 * The compare page's automated interpretability study: per architecture and
 * explainer, the mean simulation score (Pearson r of simulated and true
 * activations on held-out contexts) and detection score (balanced accuracy)
 * of the sampled features' automated explanations, with 95% bootstrap
 * intervals, and the same per SAE. Sits beside the manual rating outcomes.
 */
import { db } from "@/lib/db/client";
import { autointerpScores } from "@/lib/db/autointerp";
import { summariseGroups, type ScoreGroup, type ScoreSummary } from "@/lib/autointerp/score-summary";
import { ScoreIntervals } from "@/app/_components/charts/score-intervals";
import { architectureStyle } from "@/app/_components/charts/palette";
import { TableHead } from "@/app/_components/table-head";

const ci = (s: ScoreSummary | null) => (s ? `${s.mean.toFixed(3)} [${s.low.toFixed(3)}, ${s.high.toFixed(3)}]` : "—");
const interval = (s: ScoreSummary | null) => ({ value: s?.mean ?? null, low: s?.low ?? null, high: s?.high ?? null });
const quartiles = (s: ScoreSummary | null) => (s ? `${s.q1.toFixed(2)} / ${s.median.toFixed(2)} / ${s.q3.toFixed(2)}` : "—");

function explainerLabel(kind: string, model: string): string {
  return kind === "BUILTIN" ? `built-in explainer (${model})` : `LLM explainer (${model})`;
}

function GroupTable({ rows, first, testId }: { rows: ScoreGroup[]; first: string; testId: string }) {
  return (
    <div className="overflow-x-auto">
      <table className="text-sm" data-testid={testId}>
        <TableHead
          columns={[first, "features", "simulation r: mean [95% CI]", "q1 / median / q3", "detection: mean [95% CI]"]}
          cell="px-3 py-1"
        />
        <tbody>
          {rows.map((g) => (
            <tr key={g.label} className="border-t border-slate-100">
              <td className="px-3 py-1">{g.label}</td>
              <td className="px-3 py-1 tabular-nums">{g.simulation?.n ?? 0}</td>
              <td className="px-3 py-1 tabular-nums">{ci(g.simulation)}</td>
              <td className="px-3 py-1 tabular-nums">{quartiles(g.simulation)}</td>
              <td className="px-3 py-1 tabular-nums">{ci(g.detection)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export async function AutointerpSection({ saes }: { saes: { id: string; name: string; architecture: string }[] }) {
  const scores = await autointerpScores(
    db(),
    saes.map((s) => s.id),
  );
  const byId = new Map(saes.map((s) => [s.id, s]));
  const explainers = [...new Set(scores.map((s) => explainerLabel(s.explainer, s.explainerModel)))].sort();
  return (
    <section aria-labelledby="autointerp" className="space-y-2" data-testid="autointerp-section">
      <h2 id="autointerp" className="text-lg font-semibold">
        Automated interpretability
      </h2>
      <p className="text-xs text-slate-600">
        A sample of each SAE&apos;s features explained automatically and scored on held-out contexts the explainer did not see: simulation
        is the Pearson correlation between activations predicted from the explanation and the true ones (the paper&apos;s score), detection
        the balanced accuracy of telling activating from non-activating contexts. Means over features with 95% bootstrap intervals.
      </p>
      {explainers.length === 0 && <p className="text-sm text-slate-500">No automated explanations for these SAEs yet.</p>}
      {explainers.map((label) => {
        const mine = scores.filter((s) => explainerLabel(s.explainer, s.explainerModel) === label);
        const rows = (group: (saeId: string) => string) =>
          mine.map((s) => ({ group: group(s.saeId), explainer: label, simulation: s.simulation, detection: s.detection }));
        const byArchitecture = summariseGroups(rows((id) => architectureStyle(byId.get(id)?.architecture ?? "").label)).sort((a, b) =>
          a.label.localeCompare(b.label),
        );
        const bySae = summariseGroups(rows((id) => byId.get(id)?.name ?? id));
        return (
          <div key={label} className="space-y-2">
            <h3 className="text-sm font-semibold">{label}</h3>
            <ScoreIntervals
              bars={byArchitecture.map((g) => ({
                name: g.label,
                n: g.simulation?.n ?? 0,
                simulation: interval(g.simulation),
                detection: interval(g.detection),
              }))}
            />
            <GroupTable rows={byArchitecture} first="architecture" testId="autointerp-architectures" />
            <GroupTable rows={bySae} first="SAE" testId="autointerp-saes" />
          </div>
        );
      })}
    </section>
  );
}
