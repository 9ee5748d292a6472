/**
 * The built-in explainer and its matching simulator, which need no LLM: the
 * demo and the tests score features offline with them, and every LLM
 * explanation has an honest baseline to beat.
 *
 * The explainer names the feature's most characteristic tokens in the
 * contexts it is shown: those carrying the most activation (mass) at a high
 * mean activation per occurrence (consistency), each with its mean
 * activation relative to the strongest. The simulator predicts, for each
 * token, the weight of the term it matches (lib/autointerp/terms), else 0;
 * it reads any explanation, a person's too.
 */
import type { ActivationContext, Explainer, Simulator } from "@/lib/autointerp/types";
import { explanationTerms, normaliseTerm } from "@/lib/autointerp/terms";

export const BUILTIN_EXPLAINER_NAME = "builtin-tokens-v1";
export const BUILTIN_SIMULATOR_NAME = "builtin-tokens-v1";

/** What the built-in explainer writes when nothing fired in what it was shown. */
export const NOTHING_FIRED = "No activating tokens in the examples shown.";

export interface BuiltinExplainerOptions {
  /** at most this many terms (default 6) */
  maxTerms?: number;
  /** drop terms whose mean activation is below this share of the strongest term's (default 0.1) */
  minRelative?: number;
}

interface TermStats {
  count: number;
  sum: number;
}

export function builtinExplainer(options: BuiltinExplainerOptions = {}): Explainer {
  const maxTerms = options.maxTerms ?? 6;
  const minRelative = options.minRelative ?? 0.1;
  return {
    name: BUILTIN_EXPLAINER_NAME,
    explain(contexts: ActivationContext[]): string {
      const stats = new Map<string, TermStats>();
      for (const c of contexts)
        c.tokens.forEach((token, i) => {
          const term = normaliseTerm(token);
          const s = stats.get(term) ?? { count: 0, sum: 0 };
          s.count++;
          s.sum += Math.max(0, c.acts[i]);
          stats.set(term, s);
        });
      const ranked = [...stats.entries()]
        .filter(([, s]) => s.sum > 0)
        .map(([term, s]) => ({ term, mean: s.sum / s.count, rank: s.sum * (s.sum / s.count) }))
        .sort((a, b) => b.rank - a.rank || a.term.localeCompare(b.term));
      if (ranked.length === 0) return NOTHING_FIRED;
      const best = Math.max(...ranked.slice(0, maxTerms).map((r) => r.mean));
      const chosen = ranked.slice(0, maxTerms).filter((r) => r.mean >= minRelative * best);
      return `Fires on ${chosen.map((r) => `${JSON.stringify(r.term)} (${(r.mean / best).toFixed(2)})`).join(", ")}.`;
    },
  };
}

export function builtinSimulator(): Simulator {
  return {
    name: BUILTIN_SIMULATOR_NAME,
    simulate(explanation: string, tokens: string[]): number[] {
      const terms = explanationTerms(explanation);
      return tokens.map((t) => terms.get(normaliseTerm(t)) ?? 0);
    },
  };
}
