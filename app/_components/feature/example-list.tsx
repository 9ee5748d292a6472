/**
 * A list of examples with per-token highlighting, for server components: takes
 * token strings and activations, compacts them (token dictionary, rounded
 * activations) and hands them to the client list that renders the markup.
 * The highlighting scale is passed in: dashboards use the feature's max, so
 * tints compare across examples.
 */
import { CompactExampleList } from "@/app/_components/feature/compact-example-list";
import { TokenDictionary } from "@/app/_components/feature/compact-examples";
import { TOKEN_CSS } from "@/app/_components/feature/token-html";

export { tokenCaption } from "@/app/_components/feature/token-html";

export interface ExampleView {
  tokens: string[];
  acts: number[];
  /** caption, e.g. "#1" */
  label: string;
  /** stable id for tests and anchors, e.g. "top-0" */
  key: string;
}

/** The highlighting classes; render once per page that shows examples. */
export function TokenStyles() {
  return <style>{TOKEN_CSS}</style>;
}

export function ExampleList({
  examples,
  scale,
  title,
  expandable = true,
}: {
  examples: ExampleView[];
  scale: number;
  title: string;
  expandable?: boolean;
}) {
  const dict = new TokenDictionary();
  const compact = examples.map((e) => dict.compact(e));
  return <CompactExampleList dict={dict.texts} examples={compact} scale={scale} title={title} expandable={expandable} />;
}
