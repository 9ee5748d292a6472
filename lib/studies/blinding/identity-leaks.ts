/**
 * Finding SAE identity in anything a rater can see or fetch: JSON bodies,
 * HTML pages (including the serialised React payload inside them), URLs,
 * page titles. Used by the route-walking blinding test and available as a
 * runtime guard (assertNoIdentityLeaks).
 *
 * Secrets are strings. A secret of digits only is a feature index and is
 * looked for in id-like positions only (a number under an id-like key such as
 * featureIndex / id / index; text such as "/features/1234", "?f=1234",
 * "#1234", 'data-feature-id="1234"', '"featureIndex":1234', "feature 1234"),
 * because bare numbers are everywhere in a page. Every other secret (SAE ids,
 * SAE names, architecture names and their spellings) is looked for anywhere,
 * case-insensitively, as a substring, in the raw text and again after
 * undoing HTML entities, percent-encoding and JavaScript string escapes, and
 * in object keys as well as values.
 *
 * Substring matching is strict on purpose: test data should avoid example
 * text that contains an architecture name (e.g. the word "gated").
 */
import { BlindingViolationError, StudyInputError } from "@/lib/studies/errors";

export interface IdentityLeak {
  /** where: $.a.b[2] for values, $.a.<key> for keys, then "~decoded" when found only after decoding */
  path: string;
  secret: string;
  excerpt: string;
}

const ID_WORDS = new Set([
  "id",
  "ids",
  "idx",
  "index",
  "indices",
  "feature",
  "features",
  "latent",
  "latents",
  "neuron",
  "neurons",
  "unit",
  "key",
]);

/** Spellings under which an architecture might be written. */
const ARCHITECTURE_SPELLINGS: Record<string, string[]> = {
  jumprelu: ["jumprelu", "jump relu", "jump-relu", "jump_relu"],
  topk: ["topk", "top-k", "top k", "top_k"],
  batchtopk: ["batchtopk", "batch-topk", "batch topk", "batch_topk", "batch top-k"],
  gated: ["gated"],
  relu: ["relu"],
};

/** The secrets of a study's SAEs and features, for findIdentityLeaks. */
export function identitySecrets(
  saes: ReadonlyArray<{ saeId: string; name: string; architecture: string }>,
  featureIndices: readonly number[] = [],
): string[] {
  const out = new Set<string>();
  for (const s of saes) {
    out.add(s.saeId);
    out.add(s.name);
    for (const spelling of ARCHITECTURE_SPELLINGS[s.architecture] ?? [s.architecture]) out.add(spelling);
  }
  for (const i of featureIndices) out.add(String(i));
  return [...out];
}

export function findIdentityLeaks(payload: unknown, secrets: readonly string[]): IdentityLeak[] {
  const textSecrets: string[] = [];
  const indexSecrets: string[] = [];
  secrets.forEach((s, i) => {
    if (typeof s !== "string" || s.trim() === "") throw new StudyInputError(`secrets[${i}]`, "must be a non-empty string");
    if (/^\d+$/.test(s)) {
      if (s.length < 3)
        throw new StudyInputError(
          `secrets[${i}]`,
          `feature index ${s} is too short to tell apart from ordinary numbers; use indices >= 100 in leak tests`,
        );
      indexSecrets.push(s);
    } else textSecrets.push(s.toLowerCase());
  });
  const leaks: IdentityLeak[] = [];
  const seen = new Set<string>();
  const report = (path: string, secret: string, excerpt: string) => {
    const key = `${path}\u0000${secret}`;
    if (seen.has(key)) return;
    seen.add(key);
    leaks.push({ path, secret, excerpt });
  };

  const scanText = (text: string, path: string) => {
    const variants: [string, string][] = [[text, path]];
    const decoded = decodeAll(decodeAll(text));
    if (decoded !== text) variants.push([decoded, `${path}~decoded`]);
    for (const [variant, where] of variants) {
      const lower = variant.toLowerCase();
      for (const secret of textSecrets) {
        const at = lower.indexOf(secret);
        if (at >= 0) report(where, secret, excerpt(variant, at, secret.length));
      }
      for (const secret of indexSecrets)
        for (const pattern of indexPatterns(secret)) {
          const m = pattern.exec(variant);
          if (m) report(where, secret, excerpt(variant, m.index, m[0].length));
        }
    }
    // A string holding JSON (an API body, a serialised prop) is also walked as structure.
    const parsed = parseJsonLike(text) ?? (decoded !== text ? parseJsonLike(decoded) : undefined);
    if (parsed !== undefined) walk(parsed, `${path}<json>`, null);
  };

  const walk = (value: unknown, path: string, parentKey: string | null): void => {
    if (typeof value === "string") {
      scanText(value, path);
      if (parentKey && isIdLikeKey(parentKey) && indexSecrets.includes(value.trim())) report(path, value.trim(), value);
    } else if (typeof value === "number" || typeof value === "bigint") {
      const text = String(value);
      if (parentKey && isIdLikeKey(parentKey) && indexSecrets.includes(text)) report(path, text, `${parentKey}: ${text}`);
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, `${path}[${i}]`, parentKey));
    } else if (value && typeof value === "object") {
      for (const [key, v] of Object.entries(value)) {
        const keyPath = `${path}.<${key}>`;
        scanText(key, keyPath);
        if (indexSecrets.includes(key)) report(keyPath, key, key);
        walk(v, `${path}.${key}`, key);
      }
    }
  };

  walk(payload, "$", null);
  return leaks;
}

/** Throws BlindingViolationError when the payload reveals any secret. */
export function assertNoIdentityLeaks(payload: unknown, secrets: readonly string[]): void {
  const leaks = findIdentityLeaks(payload, secrets);
  if (leaks.length > 0) throw new BlindingViolationError(leaks);
}

/** featureIndex, feature_id, data-feature-index, itemIds, ... */
function isIdLikeKey(key: string): boolean {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  return words.some((w) => ID_WORDS.has(w));
}

const ID_WORD_LIST = [...ID_WORDS];
const capitalised = (w: string) => w[0].toUpperCase() + w.slice(1);
/**
 * An id word as it appears in keys and prose: "feature" or "Feature" or "ID"
 * at the start of a word, or "Index" / "Id" inside a camelCase name; never
 * inside an ordinary word ("valid", "identity").
 */
const ID_WORD_PATTERN =
  `(?:(?<![A-Za-z])(?:${[...ID_WORD_LIST, ...ID_WORD_LIST.map(capitalised), ...ID_WORD_LIST.map((w) => w.toUpperCase())].join("|")})` +
  `|(?<=[a-z])(?:${ID_WORD_LIST.map(capitalised).join("|")}))(?![a-z])`;

function indexPatterns(n: string): RegExp[] {
  const end = "(?![0-9A-Za-z])";
  return [
    // URL path segment, query value, fragment: /features/1234, ?f=1234, #1234
    new RegExp(`[/=#]${n}${end}`),
    // key-value in JSON, attributes, query strings: "featureIndex":1234, data-feature-id="1234"
    new RegExp(`${ID_WORD_PATTERN}[\\w-]*["']?\\s*[:=]\\s*["']?${n}${end}`),
    // prose: "feature 1234", "Feature #1234", "index: 1234"
    new RegExp(`${ID_WORD_PATTERN}\\s*[#:]?\\s*${n}${end}`),
  ];
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  sol: "/",
  num: "#",
  equals: "=",
  colon: ":",
};

/** One round of undoing HTML entities, percent-encoding and JS/JSON string escapes. */
function decodeAll(text: string): string {
  return text
    .replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, body: string) => {
      if (body[0] === "#") {
        const code = body[1] === "x" || body[1] === "X" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
        return code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
      }
      return NAMED_ENTITIES[body.toLowerCase()] ?? m;
    })
    .replace(/(?:%[0-9a-f]{2})+/gi, (m) => {
      try {
        return decodeURIComponent(m);
      } catch {
        return m;
      }
    })
    .replace(/\\u([0-9a-f]{4})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    .replace(/\\x([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    .replace(/\\(["'/\\])/g, "$1");
}

function parseJsonLike(text: string): unknown {
  const t = text.trim();
  if (!(t.startsWith("{") || t.startsWith("["))) return undefined;
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}

function excerpt(text: string, at: number, length: number): string {
  return text.slice(Math.max(0, at - 30), at + length + 30).replace(/\s+/g, " ");
}
