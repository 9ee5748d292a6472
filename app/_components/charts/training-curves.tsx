"use client";
import { ClientOnly } from "@/app/_components/charts/client-only";
/** An SAE's training curves: loss, L0 and FVU against the training step. */
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export interface CurvePointView {
  step: number;
  loss: number;
  l0: number;
  fvu: number;
}

const PANELS = [
  { key: "loss", label: "Loss", color: "#0072B2" },
  { key: "l0", label: "L0", color: "#D55E00" },
  { key: "fvu", label: "FVU", color: "#009E73" },
] as const;

export function TrainingCurves({ points }: { points: CurvePointView[] }) {
  if (points.length === 0)
    return <p className="text-sm text-slate-500">No training curve logged (imported SAE, or training has not logged yet).</p>;
  return (
    <div className="grid gap-4 md:grid-cols-3">
      {PANELS.map((p) => (
        <figure key={p.key} aria-label={`${p.label} over training steps; last value ${points[points.length - 1][p.key].toPrecision(4)}`}>
          <figcaption className="text-sm font-medium text-slate-700">{p.label}</figcaption>
          <div className="h-40 w-full">
            <ClientOnly height={160} label="Training curve">
              <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 300, height: 160 }}>
                <LineChart data={points} margin={{ top: 4, right: 8, bottom: 4, left: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="step" type="number" domain={["dataMin", "dataMax"]} tick={{ fontSize: 11 }} />
                  <YAxis tick={{ fontSize: 11 }} width={52} domain={["auto", "auto"]} tickFormatter={(v: number) => v.toPrecision(3)} />
                  <Tooltip formatter={(v) => Number(v).toPrecision(4)} labelFormatter={(s) => `step ${s}`} />
                  <Line type="monotone" dataKey={p.key} stroke={p.color} dot={false} strokeWidth={2} isAnimationActive={false} />
                </LineChart>
              </ResponsiveContainer>
            </ClientOnly>
          </div>
        </figure>
      ))}
    </div>
  );
}
