"use client";
/** Share of "Yes" and of "Yes or Maybe" ratings per SAE, with 95% Wilson intervals as error bars. */
import { IntervalBars } from "@/app/_components/charts/interval-bars";
import type { RatingBar } from "@/app/_components/charts/rating-bar";

export function RatingIntervals({ bars }: { bars: RatingBar[] }) {
  if (bars.every((b) => b.trials === 0))
    return <p className="text-sm text-slate-500">No ratings from closed studies for these SAEs yet.</p>;
  return (
    <IntervalBars
      label="Share of Yes and Yes-or-Maybe ratings per SAE with 95% Wilson intervals"
      domain={[0, 1]}
      format={(v) => `${(v * 100).toFixed(1)}%`}
      tickFormat={(v) => `${Math.round(v * 100)}%`}
      series={[
        { key: "yes", name: "Yes", color: "#0072B2" },
        { key: "yesOrMaybe", name: "Yes or Maybe", color: "#E69F00" },
      ]}
      categories={bars.map((b) => ({
        name: `${b.name} (n=${b.trials})`,
        values: {
          yes: { value: b.yes, low: b.yesLow, high: b.yesHigh },
          yesOrMaybe: { value: b.yesOrMaybe, low: b.yomLow, high: b.yomHigh },
        },
      }))}
    />
  );
}
