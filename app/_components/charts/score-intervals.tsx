"use client";
/** Mean automated interpretability scores per architecture, with 95% bootstrap intervals as error bars: simulation r and detection accuracy. */
import { IntervalBars, type IntervalValue } from "@/app/_components/charts/interval-bars";

export interface ScoreBar {
  name: string;
  n: number;
  simulation: IntervalValue;
  detection: IntervalValue;
}

export function ScoreIntervals({ bars }: { bars: ScoreBar[] }) {
  const lowest = Math.min(0, ...bars.map((b) => b.simulation.low ?? 0));
  return (
    <IntervalBars
      label="Mean simulation and detection scores per architecture with 95% intervals"
      domain={[Math.floor(lowest * 10) / 10, 1]}
      format={(v) => v.toFixed(3)}
      tickFormat={(v) => v.toFixed(1)}
      reference={0.5}
      series={[
        { key: "simulation", name: "Simulation (Pearson r)", color: "#0072B2" },
        { key: "detection", name: "Detection (balanced accuracy; chance 0.5)", color: "#009E73" },
      ]}
      categories={bars.map((b) => ({ name: `${b.name} (n=${b.n})`, values: { simulation: b.simulation, detection: b.detection } }))}
    />
  );
}
