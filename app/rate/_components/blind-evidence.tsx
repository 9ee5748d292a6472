/**
 * A blinded item's evidence (server component): top activating contexts,
 * samples from across the activation range and, when the study shows them,
 * logit tokens, with the feature browser's token highlighting. It receives
 * only the whitelisted RaterItemView, never the feature itself, and shows
 * activations relative to the feature's maximum (1 = the strongest recorded).
 */
import type { RaterItemView } from "@/lib/studies/blinding/rater-item-view";
import { ExampleList, TokenStyles, tokenCaption } from "@/app/_components/feature/example-list";

export function BlindEvidence({ item, recorded }: { item: RaterItemView; recorded: boolean }) {
  if (!recorded)
    return (
      <p className="rounded border border-amber-300 bg-amber-50 p-4 text-sm text-amber-900">
        This feature&apos;s examples are missing, so it cannot be judged. Skip it (press s) and tell your admin.
      </p>
    );
  return (
    <div className="space-y-6">
      <TokenStyles />
      {item.topExamples.length > 0 && (
        <section className="space-y-2" aria-labelledby="top-heading">
          <h2 id="top-heading" className="text-lg font-semibold">
            Strongest activations
          </h2>
          <p className="text-xs text-slate-600">
            Tint: activation as a share of the strongest one recorded (1); outlined: each context&apos;s peak.
          </p>
          <ExampleList
            title="Strongest activations"
            scale={1}
            examples={item.topExamples.map((e, i) => ({ tokens: e.tokens, acts: e.activations, key: `top-${i}`, label: `#${i + 1}` }))}
          />
        </section>
      )}
      {item.intervalSamples.length > 0 && (
        <section className="space-y-3" aria-labelledby="range-heading">
          <h2 id="range-heading" className="text-lg font-semibold">
            Examples across the activation range
          </h2>
          {item.intervalSamples.map((group, g) => (
            <div key={g} data-range={`${group.lowerShare}-${group.upperShare}`}>
              <h3 className="mb-1 text-sm font-medium text-slate-700">{group.label}</h3>
              {group.examples.length ? (
                <ExampleList
                  title={group.label}
                  scale={1}
                  expandable={false}
                  examples={group.examples.map((e, i) => ({
                    tokens: e.tokens,
                    acts: e.activations,
                    key: `range-${g}-${i}`,
                    label: `${i + 1}`,
                  }))}
                />
              ) : (
                <p className="text-xs text-slate-500">No examples in this range.</p>
              )}
            </div>
          ))}
        </section>
      )}
      {item.logitTokens && (
        <section className="space-y-2" aria-labelledby="logit-heading">
          <h2 id="logit-heading" className="text-lg font-semibold">
            Output tokens it makes more and less likely
          </h2>
          <div className="flex flex-wrap gap-6 text-sm">
            {(
              [
                ["More likely", item.logitTokens.promoted, "bg-sky-100 text-sky-950"],
                ["Less likely", item.logitTokens.suppressed, "bg-orange-100 text-orange-950"],
              ] as const
            ).map(([title, tokens, tone]) => (
              <div key={title}>
                <h3 className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-600">{title}</h3>
                <ul className="flex flex-wrap gap-1">
                  {tokens.map((t, i) => (
                    <li key={i}>
                      <code className={`rounded px-1 ${tone}`}>{tokenCaption(t)}</code>
                    </li>
                  ))}
                </ul>
              </div>
            ))}
          </div>
        </section>
      )}
    </div>
  );
}
