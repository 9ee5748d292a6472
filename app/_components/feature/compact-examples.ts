/**
 * Turning examples with token strings into the compact form ExampleList
 * takes: one dictionary of distinct token texts, and per example the
 * dictionary indices and activations rounded to 5 significant digits (the
 * precision the page shows and `data-act` carries).
 */
import type { CompactExample } from "@/app/_components/feature/compact-example-list";

export interface ExampleInput {
  key: string;
  label: string;
  tokens: readonly string[];
  acts: readonly number[];
}

export class TokenDictionary {
  readonly texts: string[] = [];
  private readonly index = new Map<string, number>();

  id(text: string): number {
    let i = this.index.get(text);
    if (i === undefined) {
      i = this.texts.length;
      this.texts.push(text);
      this.index.set(text, i);
    }
    return i;
  }

  compact(e: ExampleInput): CompactExample {
    return { key: e.key, label: e.label, t: e.tokens.map((t) => this.id(t)), a: e.acts.map((v) => (v > 0 ? Number(v.toPrecision(5)) : 0)) };
  }
}
