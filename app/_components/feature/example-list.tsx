/**
 * A list of examples with per-token highlighting (server component). The
 * highlighting scale is passed in: dashboards use the feature's max, so tints
 * compare across examples.
 */
import { TokenHover } from "@/app/_components/feature/token-hover";
import { argmax, exampleHtml, formatAct, tokenDisplayText, TOKEN_CSS } from "@/app/_components/feature/token-html";

export interface ExampleView {
  tokens: string[];
  acts: number[];
  /** caption, e.g. "#1" */
  label: string;
  /** stable id for tests and anchors, e.g. "top-0" */
  key: string;
}

export function TokenStyles() {
  return <style>{TOKEN_CSS}</style>;
}

export function ExampleList({ examples, scale, title, expandable = true }: { examples: ExampleView[]; scale: number; title: string; expandable?: boolean }) {
  if (examples.length === 0) return <p className="text-sm text-slate-500">No examples recorded.</p>;
  return (
    <TokenHover label={`${title}: hover a token to see its activation`} expandable={expandable}>
      <ol className="space-y-1.5">
        {examples.map((e) => {
          const peak = argmax(e.acts);
          const peakAct = e.acts[peak] ?? 0;
          return (
            <li
              key={e.key}
              data-example={e.key}
              data-max={formatAct(peakAct)}
              tabIndex={0}
              aria-label={`${e.label}: maximum ${formatAct(peakAct)} on “${e.tokens[peak] ?? ""}”`}
              className="flex gap-2 rounded border border-slate-100 bg-white px-2 py-1 focus:outline-2 focus:outline-sky-600"
            >
              <span className="w-20 shrink-0 pt-0.5 text-right font-mono text-[11px] text-slate-500">
                {e.label}
                <br />
                <span className="text-slate-700">{formatAct(peakAct)}</span>
              </span>
              <div className="tokens min-w-0 break-words font-mono text-[13px] leading-6" dangerouslySetInnerHTML={{ __html: exampleHtml(e.tokens, e.acts, scale) }} />
            </li>
          );
        })}
      </ol>
    </TokenHover>
  );
}

/** Plain token text for captions (escaped by React, so only the symbol mapping is applied). */
export function tokenCaption(text: string): string {
  return tokenDisplayText(text).replace(/&(amp|lt|gt|quot|#39);/g, (m) => ({ "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'" })[m] ?? m);
}
