"use client";
import { ClientOnly } from "@/app/_components/charts/client-only";
/**
 * The paper's sparsity-fidelity charts: L0 on a log axis against a fidelity
 * metric (delta LM loss or FVU), one series per architecture, each drawn as
 * its frontier (points joined in order of L0) with its own colour and marker.
 */
import { CartesianGrid, Legend, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from "recharts";
import { architectureStyle } from "@/app/_components/charts/palette";

export interface ParetoPoint {
  name: string;
  architecture: string;
  l0: number | null;
  value: number | null;
}

export function ParetoChart({ points, metric }: { points: ParetoPoint[]; metric: string }) {
  const usable = points.filter((p): p is ParetoPoint & { l0: number; value: number } => p.l0 !== null && p.l0 > 0 && p.value !== null);
  if (usable.length === 0) return <p className="text-sm text-slate-500">No evaluated SAEs with L0 and {metric} yet.</p>;
  // explicit padded domains: recharts' "auto" on a log axis clips the extreme points
  const l0s = usable.map((p) => p.l0);
  const values = usable.map((p) => p.value);
  const xDomain = [Math.min(...l0s) / 1.3, Math.max(...l0s) * 1.3];
  const vLo = Math.min(...values);
  const vHi = Math.max(...values);
  const pad = (vHi - vLo) * 0.15 || Math.abs(vHi) * 0.1 || 0.01;
  const yDomain = [vLo - pad, vHi + pad];
  const byArch = new Map<string, typeof usable>();
  for (const p of usable) byArch.set(p.architecture, [...(byArch.get(p.architecture) ?? []), p]);
  return (
    <figure aria-label={`L0 (log scale) against ${metric}, one series per architecture`}>
      <div className="h-72 w-full">
        <ClientOnly height={288} label="Pareto chart">
          <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 500, height: 288 }}>
            <ScatterChart margin={{ top: 8, right: 12, bottom: 20, left: 4 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis
                dataKey="l0"
                type="number"
                scale="log"
                domain={xDomain}
                name="L0"
                tick={{ fontSize: 11 }}
                tickFormatter={(v: number) => Number(v.toPrecision(2)).toString()}
                label={{ value: "L0 (log scale)", position: "insideBottom", offset: -10, fontSize: 11 }}
              />
              <YAxis
                dataKey="value"
                type="number"
                name={metric}
                domain={yDomain}
                tick={{ fontSize: 11 }}
                width={56}
                tickFormatter={(v: number) => v.toPrecision(3)}
                label={{ value: metric, angle: -90, position: "insideLeft", fontSize: 11 }}
              />
              <Tooltip cursor={{ strokeDasharray: "3 3" }} formatter={(v) => Number(v).toPrecision(4)} labelFormatter={() => ""} />
              <Legend verticalAlign="top" height={28} wrapperStyle={{ fontSize: 12 }} />
              {[...byArch.entries()].map(([arch, pts]) => {
                const style = architectureStyle(arch);
                return (
                  <Scatter
                    key={arch}
                    name={style.label}
                    data={[...pts].sort((a, b) => a.l0 - b.l0)}
                    fill={style.color}
                    stroke={style.color}
                    shape={style.shape}
                    line={{ stroke: style.color, strokeWidth: 1.5 }}
                    isAnimationActive={false}
                  />
                );
              })}
            </ScatterChart>
          </ResponsiveContainer>
        </ClientOnly>
      </div>
    </figure>
  );
}
