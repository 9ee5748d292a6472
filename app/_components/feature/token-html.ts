/**
 * Token highlighting as one HTML string per example. A dashboard shows
 * thousands of tokens; building them as a string (instead of one React element
 * each) keeps the server render and the page payload small, which is what
 * keeps the feature page fast under load (bench/web.ts).
 *
 * Each token is a <span>; tokens where the feature fires carry
 * `data-act` (the exact recorded value, 5 significant digits) and a class
 * `hN`, N = 1..10, the activation as a share of the scale (the feature's max),
 * rounded up, so any firing token is visibly tinted. The example's own max
 * token also gets class `hm` (an outline, visible without colour).
 */

/** Tokens shown before the example's max token until the reader expands the context. */
export const LEAD_TOKENS = 24;

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Token text made visible: newlines and tabs as symbols, HTML escaped. */
export function tokenDisplayText(text: string): string {
  const visible = text.replace(/\r?\n/g, "↵").replace(/\t/g, "⇥");
  return (visible === "" ? "∅" : visible).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Intensity level 1..10 of a positive activation on a scale with maximum `scale`. */
export function intensityLevel(act: number, scale: number): number {
  if (!(act > 0)) return 0;
  if (!(scale > 0)) return 10;
  return Math.min(10, Math.max(1, Math.ceil((10 * act) / scale)));
}

export function formatAct(v: number): string {
  return Number(v.toPrecision(5)).toString();
}

export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * HTML for one example. Tokens more than LEAD_TOKENS before the max get class
 * `hx` (hidden until the list is expanded), so the max token shows near the
 * start of the example without scrolling.
 */
export function exampleHtml(tokens: readonly string[], acts: readonly number[], scale: number, lead = LEAD_TOKENS): string {
  const peak = argmax(acts);
  const firstShown = Math.max(0, peak - lead);
  let html = firstShown > 0 ? `<span class="hx-mark" aria-hidden="true">… </span>` : "";
  for (let i = 0; i < tokens.length; i++) {
    const a = acts[i] ?? 0;
    const level = intensityLevel(a, scale);
    const classes = [level ? `h${level}` : "", i === peak && a > 0 ? "hm" : "", i < firstShown ? "hx" : ""].filter(Boolean).join(" ");
    const attrs = `${classes ? ` class="${classes}"` : ""}${a > 0 ? ` data-act="${formatAct(a)}"` : ""}`;
    html += `<span${attrs}>${tokenDisplayText(tokens[i])}</span>`;
  }
  return html;
}

/** CSS for the classes exampleHtml emits (Okabe-Ito orange, alpha by level). */
export const TOKEN_CSS =
  Array.from({ length: 10 }, (_, i) => `.tok-list .h${i + 1}{background:rgba(230,159,0,${((i + 1) / 10).toFixed(1)})}`).join("") +
  ".tok-list .hm{outline:2px solid #000;outline-offset:-1px;border-radius:2px}" +
  ".tok-list .tokens>span{white-space:pre-wrap}" +
  ".tok-list:not(.tok-full) .hx{display:none}" +
  ".tok-list.tok-full .hx-mark{display:none}";

/** Token text for captions rendered by React (which escapes it): only the newline/tab symbols are applied. */
export function tokenCaption(text: string): string {
  const visible = text.replace(/\r?\n/g, "↵").replace(/\t/g, "⇥");
  return visible === "" ? "∅" : visible;
}
