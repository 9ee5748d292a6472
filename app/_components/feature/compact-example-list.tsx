"use client";
/**
 * A list of examples with per-token highlighting. The highlighting scale is
 * passed in: dashboards use the feature's max, so tints compare across
 * examples.
 *
 * Examples arrive compact (token texts once in a dictionary, ids and rounded
 * activations per example) and become HTML strings here, on the server for
 * the first paint and again in the browser when hydrating; that keeps the
 * page payload to about a third of sending every token as markup twice.
 */
import { TokenHover } from "@/app/_components/feature/token-hover";
import { argmax, exampleHtml, formatAct } from "@/app/_components/feature/token-html";

export interface CompactExample {
  /** stable id for tests and anchors, e.g. "top-0" */
  key: string;
  /** caption, e.g. "#1" */
  label: string;
  /** indices into the list's dictionary */
  t: number[];
  /** activation per token, rounded to 5 significant digits */
  a: number[];
}

export function CompactExampleList({
  dict,
  examples,
  scale,
  title,
  expandable = true,
}: {
  dict: string[];
  examples: CompactExample[];
  scale: number;
  title: string;
  expandable?: boolean;
}) {
  if (examples.length === 0) return <p className="text-sm text-slate-500">No examples recorded.</p>;
  return (
    <TokenHover label={`${title}: hover a token to see its activation`} expandable={expandable}>
      <ol className="space-y-1.5">
        {examples.map((e) => {
          const tokens = e.t.map((i) => dict[i]);
          const peak = argmax(e.a);
          const peakAct = e.a[peak] ?? 0;
          return (
            <li
              key={e.key}
              data-example={e.key}
              data-max={formatAct(peakAct)}
              tabIndex={0}
              aria-label={`${e.label}: maximum ${formatAct(peakAct)} on “${tokens[peak] ?? ""}”`}
              className="flex gap-2 rounded border border-slate-100 bg-white px-2 py-1 focus:outline-2 focus:outline-sky-600"
            >
              <span className="w-14 shrink-0 pt-0.5 text-right font-mono text-[11px] leading-4 text-slate-500">
                {e.label}
                <br />
                <span className="text-slate-700">{formatAct(peakAct)}</span>
              </span>
              <div
                className="tokens min-w-0 break-words font-mono text-[13px] leading-6"
                dangerouslySetInnerHTML={{ __html: exampleHtml(tokens, e.a, scale) }}
              />
            </li>
          );
        })}
      </ol>
    </TokenHover>
  );
}
