"use client";
/**
 * Study results as charts (recharts): the Yes / Maybe / No mix per SAE, the
 * differences between SAEs with their 95% Newcombe intervals, and per-rater
 * completion. The per-SAE Yes shares with Wilson intervals use the shared
 * RatingIntervals chart. Colours are Okabe-Ito; every series is also named in
 * a legend and in the tables next to the charts, so nothing relies on hue.
 */
import { Bar, BarChart, CartesianGrid, ErrorBar, Legend, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { RatingIntervals } from "@/app/_components/charts/rating-intervals";
import type { RatingBar } from "@/app/_components/charts/rating-bar";

export const ANSWER_COLOURS = { yes: "#0072B2", maybe: "#E69F00", no: "#D55E00", skipped: "#999999", pending: "#DDDDDD" } as const;
const pct = (v: number) => `${Math.round(v * 100)}%`;

export interface MixRow {
  name: string;
  total: number;
  yes: number;
  maybe: number;
  no: number;
}

export interface DifferenceRow {
  label: string;
  difference: number | null;
  lower: number | null;
  upper: number | null;
}

export interface CompletionRow {
  name: string;
  answered: number;
  skipped: number;
  pending: number;
}

function Figure({ label, height, children }: { label: string; height: number; children: React.ReactElement }) {
  return (
    <figure aria-label={label} className="w-full">
      <div style={{ height }} className="w-full">
        <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 500, height }}>
          {children}
        </ResponsiveContainer>
      </div>
    </figure>
  );
}

/** One series of a stacked bar chart: its data key, its name in the legend and its colours. */
interface StackedSeries {
  dataKey: string;
  name: string;
  fill: string;
  stroke?: string;
}

const MIX_SERIES: StackedSeries[] = [
  { dataKey: "yes", name: "Yes", fill: ANSWER_COLOURS.yes },
  { dataKey: "maybe", name: "Maybe", fill: ANSWER_COLOURS.maybe },
  { dataKey: "no", name: "No", fill: ANSWER_COLOURS.no },
];

const COMPLETION_SERIES: StackedSeries[] = [
  { dataKey: "answered", name: "Answered", fill: ANSWER_COLOURS.yes },
  { dataKey: "skipped", name: "Skipped", fill: ANSWER_COLOURS.skipped },
  // the palest series gets an outline so its bar stays visible on white
  { dataKey: "pending", name: "Pending", fill: ANSWER_COLOURS.pending, stroke: "#999" },
];

/**
 * The series' bars stacked in one stack, and a legend that lists them in the
 * same order (recharts would otherwise sort the legend by name). A plain
 * function, not a component: recharts reads its chart's own children.
 */
function stackedSeries(series: StackedSeries[]) {
  const order = series.map((s) => s.name);
  return [
    <Legend
      key="legend"
      verticalAlign="top"
      height={28}
      wrapperStyle={{ fontSize: 12 }}
      itemSorter={(item) => order.indexOf(String(item.value))}
    />,
    ...series.map((s) => <Bar key={s.dataKey} {...s} stackId="stack" isAnimationActive={false} />),
  ];
}

/** Shares of Yes / Maybe / No per SAE, stacked to 100%. */
export function AnswerMixChart({ rows }: { rows: MixRow[] }) {
  const data = rows.map((r) => ({
    name: `${r.name} (n=${r.total})`,
    yes: r.total ? r.yes / r.total : 0,
    maybe: r.total ? r.maybe / r.total : 0,
    no: r.total ? r.no / r.total : 0,
  }));
  return (
    <Figure label="Share of Yes, Maybe and No answers per SAE" height={Math.max(120, 48 * rows.length + 60)}>
      <BarChart data={data} layout="vertical" margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" horizontal={false} />
        <XAxis type="number" domain={[0, 1]} tickFormatter={pct} tick={{ fontSize: 11 }} />
        <YAxis type="category" dataKey="name" width={180} tick={{ fontSize: 11 }} />
        <Tooltip formatter={(v) => `${(Number(v) * 100).toFixed(1)}%`} />
        {stackedSeries(MIX_SERIES)}
      </BarChart>
    </Figure>
  );
}

export function YesSharesChart({ bars }: { bars: RatingBar[] }) {
  return <RatingIntervals bars={bars} />;
}

/** Differences in the share of Yes between pairs of SAEs, with 95% Newcombe intervals as whiskers. */
export function DifferenceChart({ rows }: { rows: DifferenceRow[] }) {
  const data = rows.map((r) => ({
    label: r.label,
    difference: r.difference ?? 0,
    err: r.difference === null ? [0, 0] : [r.difference - (r.lower ?? r.difference), (r.upper ?? r.difference) - r.difference],
  }));
  return (
    <Figure label="Differences in the share of Yes between SAEs with 95% Newcombe intervals" height={Math.max(120, 44 * rows.length + 50)}>
      <BarChart data={data} layout="vertical" margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" horizontal={false} />
        <XAxis type="number" domain={[-1, 1]} tickFormatter={pct} tick={{ fontSize: 11 }} />
        <YAxis type="category" dataKey="label" width={220} tick={{ fontSize: 11 }} />
        <ReferenceLine x={0} stroke="#000" />
        <Tooltip formatter={(v) => `${(Number(v) * 100).toFixed(1)} points`} />
        <Bar dataKey="difference" name="Difference in share of Yes" fill="#56B4E9" isAnimationActive={false}>
          <ErrorBar dataKey="err" width={6} stroke="#000" direction="x" />
        </Bar>
      </BarChart>
    </Figure>
  );
}

/** Each rater's queue: answered, skipped and still pending. */
export function CompletionChart({ rows }: { rows: CompletionRow[] }) {
  return (
    <Figure label="Per-rater completion" height={Math.max(120, 36 * rows.length + 60)}>
      <BarChart data={rows} layout="vertical" margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" horizontal={false} />
        <XAxis type="number" allowDecimals={false} tick={{ fontSize: 11 }} />
        <YAxis type="category" dataKey="name" width={140} tick={{ fontSize: 11 }} />
        <Tooltip />
        {stackedSeries(COMPLETION_SERIES)}
      </BarChart>
    </Figure>
  );
}
