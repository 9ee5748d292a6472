/**
 * The evidence for judging a feature: top activating contexts, samples from
 * across its activation range grouped by interval with each interval's share
 * of activations, its activation histogram and its logit effects. It takes
 * plain data and never shows which SAE the feature belongs to, so the rating
 * page can show it blinded.
 */
import { ExampleList, TokenStyles, type ExampleView } from "@/app/_components/feature/example-list";
import { LogitTable, type LogitTokenView } from "@/app/_components/feature/logit-table";
import { ActivationHistogram } from "@/app/_components/charts/activation-histogram";

export interface EvidenceExampleInput {
  rank: number;
  interval: number | null;
  tokens: string[];
  acts: number[];
}

export interface FeatureEvidenceProps {
  /** the feature's max activation: the highlighting scale and the interval bounds */
  maxAct: number;
  top: EvidenceExampleInput[];
  intervals: EvidenceExampleInput[];
  /** share of activations in each equal-width interval of (0, maxAct] */
  intervalShares: number[];
  histCounts?: number[];
  logitTop?: LogitTokenView[];
  logitBottom?: LogitTokenView[];
  logitNormFolded?: boolean;
  /** how many top examples to show (default: all) */
  topCount?: number;
  showHistogram?: boolean;
  showLogits?: boolean;
  /** heading level offset for embedding (default h2) */
  compact?: boolean;
}

function Section({ title, children, compact }: { title: string; children: React.ReactNode; compact?: boolean }) {
  const Heading = compact ? "h4" : "h2";
  return (
    <section className="space-y-2">
      <Heading className={compact ? "text-sm font-semibold" : "text-lg font-semibold"}>{title}</Heading>
      {children}
    </section>
  );
}

export function FeatureEvidence(props: FeatureEvidenceProps) {
  const { maxAct, intervalShares, compact } = props;
  const top = props.topCount === undefined ? props.top : props.top.slice(0, props.topCount);
  const nIntervals = intervalShares.length;
  const width = nIntervals ? maxAct / nIntervals : 0;
  const groups = new Map<number, EvidenceExampleInput[]>();
  for (const e of props.intervals) groups.set(e.interval ?? 0, [...(groups.get(e.interval ?? 0) ?? []), e]);
  const intervalIds = [...new Set([...groups.keys(), ...intervalShares.map((_, i) => i)])].sort((a, b) => b - a);
  const view = (e: EvidenceExampleInput, key: string, label: string): ExampleView => ({ tokens: e.tokens, acts: e.acts, key, label });

  return (
    <div className="space-y-6">
      <TokenStyles />
      <Section title="Top activating contexts" compact={compact}>
        <p className="text-xs text-slate-600">
          Tint: activation as a share of the feature&apos;s max ({maxAct.toPrecision(4)}); outlined: each context&apos;s max token. Hover a
          token for its value.
        </p>
        <ExampleList title="Top activating contexts" scale={maxAct} examples={top.map((e, i) => view(e, `top-${e.rank}`, `#${i + 1}`))} />
      </Section>
      {props.intervals.length > 0 && (
        <Section title="Samples across the activation range" compact={compact}>
          <div className="space-y-4">
            {intervalIds.map((i) => {
              const examples = groups.get(i) ?? [];
              const share = intervalShares[i];
              return (
                <div key={i} data-interval={i}>
                  <h3 className="mb-1 text-sm font-medium text-slate-700">
                    Interval {i + 1} of {nIntervals}: activation in ({(i * width).toPrecision(3)}, {((i + 1) * width).toPrecision(3)}]
                    {share !== undefined && (
                      <span className="ml-2 font-normal text-slate-500">{(share * 100).toFixed(share < 0.01 ? 2 : 1)}% of activations</span>
                    )}
                  </h3>
                  {examples.length ? (
                    <ExampleList
                      title={`Interval ${i + 1}`}
                      scale={maxAct}
                      expandable={false}
                      examples={examples.map((e) => view(e, `interval-${i}-${e.rank}`, `i${i + 1}.${e.rank + 1}`))}
                    />
                  ) : (
                    <p className="text-xs text-slate-500">No activations in this interval.</p>
                  )}
                </div>
              );
            })}
          </div>
        </Section>
      )}
      {(props.showHistogram ?? true) && props.histCounts && props.histCounts.length > 0 && (
        <Section title="Activation histogram" compact={compact}>
          <ActivationHistogram counts={props.histCounts} maxAct={maxAct} />
        </Section>
      )}
      {(props.showLogits ?? true) && props.logitTop && (
        <Section title="Logit effects" compact={compact}>
          <LogitTable top={props.logitTop} bottom={props.logitBottom ?? []} normFolded={props.logitNormFolded ?? false} />
        </Section>
      )}
    </div>
  );
}
