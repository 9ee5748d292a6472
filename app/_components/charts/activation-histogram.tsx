"use client";
import { ClientOnly } from "@/app/_components/charts/client-only";
/** Histogram of a feature's non-zero activations over (0, max], in equal-width bins. */
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export function ActivationHistogram({ counts, maxAct }: { counts: number[]; maxAct: number }) {
  const width = maxAct / Math.max(1, counts.length);
  const data = counts.map((count, b) => ({
    mid: Number(((b + 0.5) * width).toPrecision(3)),
    count,
    range: `(${(b * width).toPrecision(3)}, ${((b + 1) * width).toPrecision(3)}]`,
  }));
  const total = counts.reduce((a, b) => a + b, 0);
  return (
    <figure aria-label={`Activation histogram: ${total} activations in ${counts.length} bins up to ${maxAct.toPrecision(3)}`}>
      <div className="h-48 w-full">
        <ClientOnly height={192} label="Activation histogram">
          <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 400, height: 192 }}>
            <BarChart data={data} margin={{ top: 4, right: 8, bottom: 16, left: 0 }} barCategoryGap={0}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis
                dataKey="mid"
                tick={{ fontSize: 11 }}
                label={{ value: "activation", position: "insideBottom", offset: -8, fontSize: 11 }}
              />
              <YAxis tick={{ fontSize: 11 }} width={44} />
              <Tooltip formatter={(v) => [v, "count"]} labelFormatter={(_, p) => (p?.[0]?.payload as { range?: string })?.range ?? ""} />
              <Bar dataKey="count" fill="#0072B2" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </ClientOnly>
      </div>
    </figure>
  );
}
