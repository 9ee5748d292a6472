"use client";
import { ClientOnly } from "@/app/_components/charts/client-only";
/** Share of "Yes" and of "Yes or Maybe" ratings per SAE, with 95% Wilson intervals as error bars. */
import { Bar, BarChart, CartesianGrid, ErrorBar, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export interface RatingBar {
  name: string;
  trials: number;
  yes: number | null;
  yesLow: number | null;
  yesHigh: number | null;
  yesOrMaybe: number | null;
  yomLow: number | null;
  yomHigh: number | null;
}

export function RatingIntervals({ bars }: { bars: RatingBar[] }) {
  if (bars.every((b) => b.trials === 0))
    return <p className="text-sm text-slate-500">No ratings from closed studies for these SAEs yet.</p>;
  const data = bars.map((b) => ({
    name: `${b.name} (n=${b.trials})`,
    yes: b.yes ?? 0,
    yesErr: b.yes === null ? [0, 0] : [b.yes - (b.yesLow ?? b.yes), (b.yesHigh ?? b.yes) - b.yes],
    yesOrMaybe: b.yesOrMaybe ?? 0,
    yomErr: b.yesOrMaybe === null ? [0, 0] : [b.yesOrMaybe - (b.yomLow ?? b.yesOrMaybe), (b.yomHigh ?? b.yesOrMaybe) - b.yesOrMaybe],
  }));
  return (
    <figure aria-label="Share of Yes and Yes-or-Maybe ratings per SAE with 95% Wilson intervals">
      <div className="h-64 w-full">
        <ClientOnly height={256} label="Rating outcomes chart">
          <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 500, height: 256 }}>
            <BarChart data={data} margin={{ top: 8, right: 8, bottom: 8, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="name" tick={{ fontSize: 11 }} interval={0} />
              <YAxis domain={[0, 1]} tickFormatter={(v: number) => `${Math.round(v * 100)}%`} tick={{ fontSize: 11 }} width={44} />
              <Tooltip formatter={(v) => `${(Number(v) * 100).toFixed(1)}%`} />
              <Legend verticalAlign="top" height={28} wrapperStyle={{ fontSize: 12 }} />
              <Bar dataKey="yes" name="Yes" fill="#0072B2" isAnimationActive={false}>
                <ErrorBar dataKey="yesErr" width={6} stroke="#000" />
              </Bar>
              <Bar dataKey="yesOrMaybe" name="Yes or Maybe" fill="#E69F00" isAnimationActive={false}>
                <ErrorBar dataKey="yomErr" width={6} stroke="#000" />
              </Bar>
            </BarChart>
          </ResponsiveContainer>
        </ClientOnly>
      </div>
    </figure>
  );
}
