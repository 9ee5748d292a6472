import { describe, expect, it } from "vitest";
import { krippendorffAlpha, type AlphaMetric } from "@/lib/studies/statistics/krippendorff-alpha";
import { fleissKappa } from "@/lib/studies/statistics/fleiss-kappa";
import { answersByItem, studyAgreement, type RaterAnswer } from "@/lib/studies/statistics/agreement-from-ratings";
import { StudyInputError } from "@/lib/studies/errors";
import { createRng } from "@/lib/random/seeded";

const _ = null;
/** Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: observers x units. */
const KRIPPENDORFF_2011: (number | null)[][] = [
  [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
  [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
  [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
  [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
];
const byUnit = (observers: (number | null)[][]) => observers[0].map((_, u) => observers.map((row) => row[u]));

/**
 * Independent reference, written straight from the definition: build the
 * coincidence matrix by enumerating every ordered pair of values within each
 * pairable unit, then alpha = 1 - (n-1) sum o_ck d2 / sum n_c n_k d2.
 */
function referenceAlpha(units: (number | null)[][], metric: AlphaMetric): number {
  const pairable = units.map((u) => u.filter((v): v is number => v !== null)).filter((u) => u.length >= 2);
  const o = new Map<string, number>();
  const key = (c: number, k: number) => `${c},${k}`;
  for (const u of pairable)
    for (let i = 0; i < u.length; i++)
      for (let j = 0; j < u.length; j++) if (i !== j) o.set(key(u[i], u[j]), (o.get(key(u[i], u[j])) ?? 0) + 1 / (u.length - 1));
  const values = [...new Set(pairable.flat())].sort((a, b) => a - b);
  const nc = new Map(values.map((c) => [c, values.reduce((s, k) => s + (o.get(key(c, k)) ?? 0), 0)]));
  const n = [...nc.values()].reduce((s, x) => s + x, 0);
  const d2 = (c: number, k: number) => {
    if (metric === "nominal") return c === k ? 0 : 1;
    if (metric === "interval") return (c - k) ** 2;
    const [lo, hi] = [Math.min(c, k), Math.max(c, k)];
    let s = 0;
    for (const g of values) if (g >= lo && g <= hi) s += nc.get(g)!;
    return (s - (nc.get(c)! + nc.get(k)!) / 2) ** 2;
  };
  let obs = 0;
  let exp = 0;
  for (const c of values)
    for (const k of values) {
      obs += (o.get(key(c, k)) ?? 0) * d2(c, k);
      exp += nc.get(c)! * nc.get(k)! * d2(c, k);
    }
  return 1 - ((n - 1) * obs) / exp;
}

describe("Krippendorff's alpha", () => {
  it("reproduces Krippendorff's (2011) worked example with missing data", () => {
    const units = byUnit(KRIPPENDORFF_2011);
    const nominal = krippendorffAlpha(units, "nominal");
    const ordinal = krippendorffAlpha(units, "ordinal");
    const interval = krippendorffAlpha(units, "interval");
    // The published values (to 3 decimals), and the float64 reference to 12.
    expect(nominal.alpha).toBeCloseTo(0.743, 3);
    expect(ordinal.alpha).toBeCloseTo(0.815, 3);
    expect(interval.alpha).toBeCloseTo(0.849, 3);
    expect(nominal.alpha).toBeCloseTo(referenceAlpha(units, "nominal"), 12);
    expect(ordinal.alpha).toBeCloseTo(referenceAlpha(units, "ordinal"), 12);
    expect(interval.alpha).toBeCloseTo(referenceAlpha(units, "interval"), 12);
    // Unit 12 has a single value: unpairable. n = 40 pairable values (paper, table of n_c).
    expect(ordinal.pairableUnits).toBe(11);
    expect(ordinal.pairableValues).toBe(40);
    // Exact nominal value from the paper's marginals n_c = (9, 13, 10, 5, 3) and
    // 8 off-diagonal coincidences: 1 - 39 * 8 / (40^2 - 384) = 113/152.
    expect(nominal.alpha).toBeCloseTo(113 / 152, 14);
  });

  it("matches a hand-computed nominal case", () => {
    // Units (a,a), (a,b), (b,b), (b,b): o = [[2,1],[1,4]], n_a = 3, n_b = 5, n = 8,
    // alpha = 1 - (n-1) * (o_ab + o_ba) / (2 n_a n_b) = 1 - 7*2/30 = 8/15.
    const a = krippendorffAlpha(
      [
        [0, 0],
        [0, 1],
        [1, 1],
        [1, 1],
      ],
      "nominal",
    );
    expect(a.alpha).toBeCloseTo(8 / 15, 14);
    expect(a.observedDisagreement).toBeCloseTo(2 / 8, 14);
    expect(a.expectedDisagreement).toBeCloseTo(30 / 56, 14);
  });

  it("is 1 for perfect agreement and undefined without variation or pairs", () => {
    expect(
      krippendorffAlpha([
        [0, 0, 0],
        [2, 2],
        [1, 1, null],
      ]).alpha,
    ).toBe(1);
    const flat = krippendorffAlpha([
      [1, 1],
      [1, 1, 1],
    ]);
    expect(flat.alpha).toBeNull();
    expect(flat.undefinedReason).toBe("no-variation");
    const lonely = krippendorffAlpha([[1, null], [null, 2], []]);
    expect(lonely.alpha).toBeNull();
    expect(lonely.undefinedReason).toBe("no-pairable-values");
    expect(() => krippendorffAlpha([[1, Number.NaN]])).toThrow(/units\[0\]\[1\]/);
  });

  it("ordinal depends only on the order of values, not their spacing", () => {
    const rng = createRng(5);
    const units = Array.from({ length: 30 }, () => Array.from({ length: 3 }, () => (rng.next() < 0.1 ? null : rng.int(3))));
    const stretched = units.map((u) => u.map((v) => (v === null ? null : [0, 1, 10][v])));
    const a = krippendorffAlpha(units, "ordinal").alpha!;
    expect(krippendorffAlpha(stretched, "ordinal").alpha).toBeCloseTo(a, 12);
    expect(a).toBeCloseTo(referenceAlpha(units, "ordinal"), 12);
    expect(krippendorffAlpha(stretched, "interval").alpha).not.toBeCloseTo(krippendorffAlpha(units, "interval").alpha!, 3);
  });
});

describe("Fleiss' kappa", () => {
  it("reproduces Fleiss' (1971) worked example as given on Wikipedia", () => {
    const table = [
      [0, 0, 0, 0, 14],
      [0, 2, 6, 4, 2],
      [0, 0, 3, 5, 6],
      [0, 3, 9, 2, 0],
      [2, 2, 8, 1, 1],
      [7, 7, 0, 0, 0],
      [3, 2, 6, 3, 0],
      [2, 5, 3, 2, 2],
      [6, 5, 2, 1, 0],
      [0, 2, 2, 3, 7],
    ];
    const k = fleissKappa(table);
    expect(k.kappa).toBeCloseTo(0.21, 3);
    expect(k.observedAgreement).toBeCloseTo(0.378, 3);
    expect(k.expectedAgreement).toBeCloseTo(0.213, 3);
    expect(k.categoryShares.map((p) => +p.toFixed(3))).toEqual([0.143, 0.2, 0.279, 0.15, 0.229]);
    expect(k.subjects).toBe(10);
    expect(k.ratersPerSubject).toBe(14);
  });

  it("matches a hand-computed case, perfect agreement, and no variation", () => {
    // P_1 = 1, P_2 = 0, Pbar = 1/2; p = (3/4, 1/4), Pe = 5/8; kappa = (1/2 - 5/8) / (3/8) = -1/3.
    expect(
      fleissKappa([
        [2, 0],
        [1, 1],
      ]).kappa,
    ).toBeCloseTo(-1 / 3, 14);
    expect(
      fleissKappa([
        [3, 0, 0],
        [0, 3, 0],
        [0, 0, 3],
      ]).kappa,
    ).toBe(1);
    const flat = fleissKappa([
      [0, 4],
      [0, 4],
    ]);
    expect(flat.kappa).toBeNull();
    expect(flat.undefinedReason).toBe("no-variation");
  });

  it("rejects unequal rater counts and bad cells with the position at fault", () => {
    expect(() =>
      fleissKappa([
        [2, 1],
        [1, 1],
      ]),
    ).toThrow(/counts\[1\].*Krippendorff/);
    expect(() => fleissKappa([[1, 0]])).toThrow(/at least 2 raters/);
    expect(() => fleissKappa([[1, -1]])).toThrow(StudyInputError);
    expect(() => fleissKappa([])).toThrow(StudyInputError);
  });
});

describe("agreement from study ratings", () => {
  const r = (raterId: string, featureIndex: number, answer: RaterAnswer["answer"], saeId = "s1"): RaterAnswer => ({
    raterId,
    saeId,
    featureIndex,
    answer,
  });

  it("groups answers per item as ordinal ranks and runs both coefficients", () => {
    const ratings = [
      r("a", 1, "yes"),
      r("b", 1, "yes"),
      r("a", 2, "no"),
      r("b", 2, "maybe"),
      r("a", 3, "no"),
      r("b", 3, "no"),
      r("c", 3, "no", "s2"), // same index, other SAE: a different item, rated once (unpairable)
    ];
    expect(answersByItem(ratings)).toEqual([[2, 2], [0, 1], [0, 0], [0]]);
    const agreement = studyAgreement(ratings, 2, "nominal");
    // Nominal: o = [[2,1,0],[1,0,0],[0,0,2]] over No/Maybe/Yes; n = (3,1,2), n = 6;
    // alpha = 1 - 5 * 2 / (2*(3*1 + 3*2 + 1*2)) = 1 - 10/22 = 6/11.
    expect(agreement.krippendorffAlpha.alpha).toBeCloseTo(6 / 11, 14);
    expect(agreement.fleissItemsLeftOut).toBe(1);
    expect(agreement.fleissKappa!.subjects).toBe(3);
  });

  it("refuses two answers from one rater on one item", () => {
    expect(() => answersByItem([r("a", 1, "yes"), r("a", 1, "no")])).toThrow(/rater "a" rated item s1#1 twice/);
  });
});
