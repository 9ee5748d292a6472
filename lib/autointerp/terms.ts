/**
 * The vocabulary explanations and the built-in simulator share: a token
 * matches a term when their normalised texts are equal (trimmed, lower
 * case), so " River" from the tokenizer matches the term "river" a person
 * or the built-in explainer wrote.
 */
export function normaliseTerm(text: string): string {
  const trimmed = text.trim().toLowerCase();
  // A whitespace-only token ("\n", "  ") is its own term, not the empty string.
  return trimmed === "" ? text : trimmed;
}

/** A quoted term, optionally followed by its weight in parentheses: "river" (0.75). */
const QUOTED_TERM = /"((?:[^"\\]|\\.)*)"(?:\s*\((\d*\.?\d+)\))?/g;
const WORD = /[\p{L}\p{N}']+/gu;

/** Words that carry no token to look for in a free-text explanation ("fires on words about rivers"). */
const FILLER = new Set(
  (
    "a an the of and or in on at to for from by with as is are be it its this that these those " +
    "fires fire firing activates activating activation activations token tokens word words text " +
    "mentions mention about related relating like such often usually mostly mainly especially " +
    "feature features no none nothing examples example shown seen when after before other"
  ).split(" "),
);

/**
 * The weighted terms an explanation names. Quoted terms win when there are
 * any (the built-in explainer writes them, and people can); otherwise every
 * content word of the text is a term of weight 1.
 */
export function explanationTerms(explanation: string): Map<string, number> {
  const terms = new Map<string, number>();
  for (const m of explanation.matchAll(QUOTED_TERM)) {
    let text: string;
    try {
      text = JSON.parse(`"${m[1]}"`) as string;
    } catch {
      text = m[1];
    }
    if (text === "") continue;
    const weight = m[2] === undefined ? 1 : Number(m[2]);
    const term = normaliseTerm(text);
    terms.set(term, Math.max(terms.get(term) ?? 0, weight));
  }
  if (terms.size > 0) return terms;
  for (const [word] of explanation.toLowerCase().matchAll(WORD)) {
    if (word.length < 2 || FILLER.has(word)) continue;
    terms.set(word, 1);
  }
  return terms;
}
