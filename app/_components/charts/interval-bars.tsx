"use client";
/** Grouped bars with 95% intervals as error bars (rating shares, autointerp scores): one bar per series in each category. */
import { Bar, BarChart, CartesianGrid, ErrorBar, Legend, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ClientOnly } from "@/app/_components/charts/client-only";

export interface IntervalValue {
  value: number | null;
  low: number | null;
  high: number | null;
}

export interface IntervalSeries {
  key: string;
  name: string;
  color: string;
}

export function IntervalBars({
  categories,
  series,
  label,
  domain,
  format,
  tickFormat = format,
  reference,
}: {
  categories: { name: string; values: Record<string, IntervalValue> }[];
  series: IntervalSeries[];
  /** the figure's accessible name */
  label: string;
  domain: [number, number];
  /** values in the tooltip */
  format: (v: number) => string;
  /** axis ticks (default: as the tooltip) */
  tickFormat?: (v: number) => string;
  /** a dashed horizontal line (e.g. chance) */
  reference?: number;
}) {
  const data = categories.map((c) => {
    const row: Record<string, unknown> = { name: c.name };
    for (const s of series) {
      const v = c.values[s.key];
      row[s.key] = v?.value ?? 0;
      row[`${s.key}Err`] = v?.value == null ? [0, 0] : [v.value - (v.low ?? v.value), (v.high ?? v.value) - v.value];
    }
    return row;
  });
  return (
    <figure aria-label={label}>
      <div className="h-64 w-full">
        <ClientOnly height={256} label={`${label} (chart)`}>
          <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 500, height: 256 }}>
            <BarChart data={data} margin={{ top: 8, right: 8, bottom: 8, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="name" tick={{ fontSize: 11 }} interval={0} />
              <YAxis domain={domain} tickFormatter={tickFormat} tick={{ fontSize: 11 }} width={44} />
              {reference !== undefined && <ReferenceLine y={reference} stroke="#999" strokeDasharray="4 4" />}
              <Tooltip formatter={(v) => format(Number(v))} />
              <Legend verticalAlign="top" height={28} wrapperStyle={{ fontSize: 12 }} />
              {series.map((s) => (
                <Bar key={s.key} dataKey={s.key} name={s.name} fill={s.color} isAnimationActive={false}>
                  <ErrorBar dataKey={`${s.key}Err`} width={6} stroke="#000" />
                </Bar>
              ))}
            </BarChart>
          </ResponsiveContainer>
        </ClientOnly>
      </div>
    </figure>
  );
}
