"use client";
import { ClientOnly } from "@/app/_components/charts/client-only";
/**
 * Histogram(s) of log10 feature firing frequency. One series: bars; several
 * (the comparison page): step lines of the share of each SAE's features, so
 * SAEs of different widths compare. The > 10% band (dense features) is shaded;
 * dead features cannot sit on a log axis and are listed in the caption.
 */
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ReferenceArea, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { DASHES, seriesColor } from "@/app/_components/charts/palette";
import { countedOn } from "@/app/_components/counted-on";

export interface DensitySeries {
  name: string;
  binDecades: number;
  bins: { bin: number; count: number }[];
  /** the SAE's own counts (never fired / > 10% on the recording's countTokens tokens) */
  deadCount: number | null;
  denseCount: number | null;
  countTokens: number | null;
  recorded: number;
}

const DENSE_LOG10 = -1;

export function DensityHistogram({ series, height = 224 }: { series: DensitySeries[]; height?: number }) {
  if (series.length === 0 || series.every((s) => s.recorded === 0))
    return <p className="text-sm text-slate-500">No recorded features yet.</p>;
  const step = series[0].binDecades;
  const allBins = series.flatMap((s) => s.bins.map((b) => b.bin));
  const lo = Math.min(...allBins, Math.floor(-4 / step));
  const hi = Math.max(...allBins, -1);
  const data = [];
  for (let b = lo; b <= hi; b++) {
    const row: Record<string, number | string> = {
      x: Number(((b + 0.5) * step).toFixed(3)),
      range: `[${(b * step).toFixed(2)}, ${((b + 1) * step).toFixed(2)})`,
    };
    series.forEach((s, i) => {
      const count = s.bins.find((x) => x.bin === b)?.count ?? 0;
      row[`s${i}`] = series.length === 1 ? count : s.recorded ? count / s.recorded : 0;
    });
    data.push(row);
  }
  const caption = series
    .map(
      (s) =>
        `${s.name}: ${s.deadCount ?? "—"} dead, ${s.denseCount ?? "—"} on > 10% of tokens${s.recorded && s.denseCount !== null ? ` (${((100 * s.denseCount) / s.recorded).toFixed(2)}%)` : ""}, ${countedOn(s.countTokens)}`,
    )
    .join("; ");
  const band = (
    <ReferenceArea
      x1={DENSE_LOG10}
      x2={(hi + 1) * step}
      fill="#999999"
      fillOpacity={0.15}
      label={{ value: "> 10%", position: "insideTop", fontSize: 11 }}
      ifOverflow="extendDomain"
    />
  );
  const xAxis = (
    <XAxis
      dataKey="x"
      type="number"
      domain={[lo * step, (hi + 1) * step]}
      tick={{ fontSize: 11 }}
      label={{ value: "log10 firing frequency", position: "insideBottom", offset: -8, fontSize: 11 }}
    />
  );
  return (
    <figure>
      <div className="w-full" style={{ height }}>
        <ClientOnly height={height} label="Feature density histogram">
          <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 500, height }}>
            {series.length === 1 ? (
              <BarChart data={data} margin={{ top: 8, right: 8, bottom: 16, left: 0 }} barCategoryGap={0}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                {xAxis}
                <YAxis tick={{ fontSize: 11 }} width={48} />
                {band}
                <Tooltip
                  formatter={(v) => [v, "features"]}
                  labelFormatter={(_, p) => `log10 frequency ${(p?.[0]?.payload as { range?: string })?.range ?? ""}`}
                />
                <Bar dataKey="s0" name={series[0].name} fill="#0072B2" isAnimationActive={false} />
              </BarChart>
            ) : (
              <LineChart data={data} margin={{ top: 8, right: 8, bottom: 16, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                {xAxis}
                <YAxis tick={{ fontSize: 11 }} width={48} tickFormatter={(v: number) => `${(v * 100).toFixed(0)}%`} />
                {band}
                <Tooltip
                  formatter={(v) => `${(Number(v) * 100).toFixed(2)}%`}
                  labelFormatter={(_, p) => `log10 frequency ${(p?.[0]?.payload as { range?: string })?.range ?? ""}`}
                />
                <Legend verticalAlign="top" height={28} wrapperStyle={{ fontSize: 12 }} />
                {series.map((s, i) => (
                  <Line
                    key={i}
                    type="step"
                    dataKey={`s${i}`}
                    name={s.name}
                    stroke={seriesColor(i)}
                    strokeDasharray={DASHES[i % DASHES.length]}
                    strokeWidth={2}
                    dot={false}
                    isAnimationActive={false}
                  />
                ))}
              </LineChart>
            )}
          </ResponsiveContainer>
        </ClientOnly>
      </div>
      <figcaption className="mt-1 text-xs text-slate-600">{caption}</figcaption>
    </figure>
  );
}
