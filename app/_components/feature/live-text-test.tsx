"use client";
/**
 * "Test on your text": sends a text to POST /api/text-test and shows either
 * one feature's activation on each token (feature mode) or, for each token,
 * the features that fire most on it, with links (reverse mode).
 */
import Link from "next/link";
import { useState } from "react";
import { api, ApiError } from "@/app/_components/api-client";
import { exampleHtml, formatAct, TOKEN_CSS, tokenDisplayText } from "@/app/_components/feature/token-html";
import { TokenHover } from "@/app/_components/feature/token-hover";

interface ActiveFeature {
  index: number;
  act: number;
}
interface TextTestResponse {
  ms: number;
  feature: { tokens: string[]; acts: number[]; max: number } | null;
  features: { tokens: string[]; perToken: ActiveFeature[][]; overall: ActiveFeature[] };
}

export function LiveTextTest({
  saeId,
  featureIndex,
  scale,
  maxChars = 4000,
}: {
  saeId: string;
  featureIndex?: number;
  scale?: number;
  maxChars?: number;
}) {
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<TextTestResponse | null>(null);
  const [selected, setSelected] = useState<number | null>(null);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await api<TextTestResponse>("/api/text-test", { body: { saeId, text, featureIndex } });
      setResult(r);
      setSelected(null);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "The request failed; check your connection.");
      setResult(null);
    } finally {
      setBusy(false);
    }
  }

  const featureScale = result?.feature ? (scale && scale > 0 ? Math.max(scale, result.feature.max) : result.feature.max) : 1;
  const id = featureIndex === undefined ? "reverse" : "feature";
  return (
    <div className="space-y-3" data-testid={`live-${id}`}>
      <style>{TOKEN_CSS}</style>
      <form onSubmit={submit} className="space-y-2">
        <label htmlFor={`live-text-${id}`} className="block text-sm font-medium text-slate-700">
          Your text (up to about 127 tokens)
        </label>
        <textarea
          id={`live-text-${id}`}
          value={text}
          maxLength={maxChars}
          onChange={(e) => setText(e.target.value)}
          rows={3}
          className="w-full rounded border border-slate-300 p-2 font-mono text-sm focus:outline-2 focus:outline-sky-600"
          placeholder="Type or paste a sentence…"
        />
        <button
          type="submit"
          disabled={busy || text.trim() === ""}
          className="rounded bg-slate-900 px-3 py-1.5 text-sm text-white disabled:opacity-50"
        >
          {busy ? "Running…" : "Run"}
        </button>
      </form>
      {error && (
        <p role="alert" className="rounded border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-900">
          {error}
        </p>
      )}
      {result && (
        <div className="space-y-3" aria-live="polite">
          <p className="text-xs text-slate-500" data-testid="live-ms">
            Computed in {result.ms} ms for {result.features.tokens.length} tokens.
          </p>
          {result.feature && (
            <div>
              <p className="text-sm text-slate-700">
                Feature {featureIndex}: max <strong data-testid="live-max">{formatAct(result.feature.max)}</strong> on this text
                {scale ? ` (recorded max ${formatAct(scale)})` : ""}.
              </p>
              <TokenHover label="Activation on your text" expandable={false}>
                <div
                  className="tokens rounded border border-slate-200 bg-white p-2 font-mono text-[13px] leading-6"
                  data-testid="live-tokens"
                  dangerouslySetInnerHTML={{ __html: exampleHtml(result.feature.tokens, result.feature.acts, featureScale, Infinity) }}
                />
              </TokenHover>
            </div>
          )}
          {featureIndex === undefined && (
            <div className="space-y-3">
              <p className="text-sm text-slate-700">Select a token to see the features that fire most on it.</p>
              <div
                className="flex flex-wrap gap-0.5 rounded border border-slate-200 bg-white p-2 font-mono text-[13px]"
                role="listbox"
                aria-label="Tokens of your text"
              >
                {result.features.tokens.map((t, i) => (
                  <button
                    key={i}
                    type="button"
                    role="option"
                    aria-selected={selected === i}
                    data-token={i}
                    onClick={() => setSelected(i)}
                    className={`whitespace-pre rounded px-0.5 ${selected === i ? "bg-sky-700 text-white" : result.features.perToken[i].length ? "bg-orange-100 hover:bg-orange-200" : "hover:bg-slate-100"}`}
                  >
                    <span dangerouslySetInnerHTML={{ __html: tokenDisplayText(t) }} />
                  </button>
                ))}
              </div>
              {selected !== null && (
                <FeatureLinks
                  saeId={saeId}
                  title={`Top features on token ${selected + 1}`}
                  features={result.features.perToken[selected]}
                  testId="live-token-features"
                />
              )}
              <FeatureLinks
                saeId={saeId}
                title="Strongest features anywhere in the text"
                features={result.features.overall}
                testId="live-overall-features"
              />
            </div>
          )}
        </div>
      )}
    </div>
  );
}

function FeatureLinks({ saeId, title, features, testId }: { saeId: string; title: string; features: ActiveFeature[]; testId: string }) {
  return (
    <div data-testid={testId}>
      <h4 className="text-sm font-semibold">{title}</h4>
      {features.length === 0 ? (
        <p className="text-sm text-slate-500">No feature fires here.</p>
      ) : (
        <ul className="mt-1 flex flex-wrap gap-2 text-sm">
          {features.map((f) => (
            <li key={f.index}>
              <Link
                href={`/saes/${saeId}/features/${f.index}`}
                className="rounded border border-slate-200 bg-white px-2 py-0.5 text-sky-800 underline-offset-2 hover:underline"
                data-feature={f.index}
                data-act={formatAct(f.act)}
              >
                #{f.index} <span className="font-mono text-xs text-slate-600">{formatAct(f.act)}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
