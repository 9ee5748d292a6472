/**
 * The shapes automated interpretability works on (lib/autointerp): a context
 * is a window of token texts with the feature's true activation on each
 * token, and a key saying where it came from, so the contexts a score was
 * computed on can be stored beside it and found again.
 */
export interface ContextKey {
  /** TOP / INTERVAL: one of the feature's recorded examples; NEGATIVE: a context where it is taken not to fire */
  source: "TOP" | "INTERVAL" | "NEGATIVE";
  /** the feature whose recorded example this window is (another feature's, for NEGATIVE) */
  featureIndex: number;
  rank: number;
  interval: number | null;
  contextId: number;
  startPos: number;
}

export interface ActivationContext {
  key: ContextKey;
  tokens: string[];
  /** the feature's true activation on each token (zeros for NEGATIVE contexts) */
  acts: number[];
}

/** Writes an explanation of one feature from the contexts it is shown. */
export interface Explainer {
  /** stored with each explanation: which explainer and version wrote it */
  readonly name: string;
  explain(contexts: ActivationContext[]): string;
}

/** Predicts the feature's activation on each token of a context from an explanation alone. */
export interface Simulator {
  /** stored with each score */
  readonly name: string;
  simulate(explanation: string, tokens: string[]): number[];
}
