import { describe, expect, it } from "vitest";
import { csvField, toCsv } from "@/lib/studies/export/csv";
import { RATING_CSV_COLUMNS, studyExportJson, studyRatingsCsv, type StudyExportMetadata } from "@/lib/studies/export/study-export";
import { DEFAULT_RATER_VIEW_SETTINGS, type Rating } from "@/lib/studies/types";

/** A strict RFC 4180 reader written for this test: quoted fields, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = "";
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error("unterminated quoted field");
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
          } else {
            i++;
            break;
          }
        } else field += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== "," && text[i] !== "\r") {
        if (text[i] === '"' || text[i] === "\n") throw new Error(`bare ${JSON.stringify(text[i])} at ${i}`);
        field += text[i++];
      }
    }
    record.push(field);
    if (text[i] === ",") i++;
    else if (text.startsWith("\r\n", i)) {
      records.push(record);
      record = [];
      i += 2;
    } else throw new Error(`expected , or CRLF at ${i}`);
  }
  if (record.length) throw new Error("last record not terminated by CRLF");
  return records;
}

const study: StudyExportMetadata = {
  studyId: "study-1",
  name: "JumpReLU vs TopK",
  status: "closed",
  createdAt: "2026-11-26T10:00:00.000Z",
  closedAt: "2026-11-27T10:00:00.000Z",
  saes: [
    { saeId: "sae-j", name: "jumprelu-16k", architecture: "jumprelu" },
    { saeId: "sae-t", name: "topk, k=64", architecture: "topk" },
  ],
  sampling: { featuresPerSae: 2, densityStrata: null, seed: 7 },
  ratingsPerItem: 2,
  raterIds: ["ann", "bob"],
  view: DEFAULT_RATER_VIEW_SETTINGS,
  sampledFeatures: [
    { saeId: "sae-j", featureIndex: 3, density: 0.01, stratum: null },
    { saeId: "sae-j", featureIndex: 4, density: 0.03, stratum: null },
    { saeId: "sae-t", featureIndex: 9, density: 0.002, stratum: null },
    { saeId: "sae-t", featureIndex: 10, density: 0.004, stratum: null },
  ],
};

const tricky = ['fires on "quoted" text, then stops', "line one\nline two", "crlf\r\ninside", "=SUM(A1:A9)", " padded "];
const who: [string, string, number][] = [
  ["bob", "sae-t", 9],
  ["ann", "sae-j", 3],
  ["bob", "sae-j", 3],
  ["ann", "sae-t", 9],
  ["bob", "sae-j", 4],
];
const ratings: Rating[] = [
  {
    itemId: "i2",
    raterId: "bob",
    saeId: "sae-t",
    featureIndex: 10,
    answer: "no",
    explanation: null,
    confidence: null,
    answeredAt: "2026-11-26T11:00:30Z",
  },
  ...tricky.map((explanation, k): Rating => ({
    itemId: `i${k + 10}`,
    raterId: who[k][0],
    saeId: who[k][1],
    featureIndex: who[k][2],
    answer: (["yes", "maybe", "no"] as const)[k % 3],
    explanation,
    confidence: 1 + (k % 3),
    answeredAt: `2026-11-26T11:00:1${k}Z`,
  })),
];

describe("CSV (RFC 4180)", () => {
  it("quotes only fields that need it and doubles inner quotes", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("a\nb")).toBe('"a\nb"');
    expect(csvField(null)).toBe("");
    expect(csvField(0.25)).toBe("0.25");
    expect(toCsv(["x", "y"], [["1", null]])).toBe("x,y\r\n1,\r\n");
    expect(() => toCsv(["x", "y"], [["1"]])).toThrow(/row 1 has 1 fields/);
  });

  it("round-trips explanations with commas, quotes and newlines through a strict reader", () => {
    const records = parseCsv(studyRatingsCsv(study, ratings, { spreadsheetSafe: false }));
    expect(records[0]).toEqual([...RATING_CSV_COLUMNS]);
    expect(records).toHaveLength(ratings.length + 1);
    const col = (name: string) => RATING_CSV_COLUMNS.indexOf(name as never);
    // Sorted by answeredAt: the tricky ones first, then i2.
    expect(records.slice(1, 6).map((r) => r[col("explanation")])).toEqual(tricky);
    const last = records[6];
    expect(last[col("item_id")]).toBe("i2");
    expect(last[col("explanation")]).toBe("");
    expect(last[col("sae_name")]).toBe("topk, k=64");
    expect(last[col("architecture")]).toBe("topk");
    expect(last[col("answer_rank")]).toBe("0");
    expect(records[1][col("confidence")]).toBe("1");
  });

  it("guards against spreadsheet formula injection by default, and gives the text verbatim when asked", () => {
    const records = parseCsv(studyRatingsCsv(study, ratings));
    expect(records[4][RATING_CSV_COLUMNS.indexOf("explanation")]).toBe("'=SUM(A1:A9)");
    const verbatim = parseCsv(studyRatingsCsv(study, ratings, { spreadsheetSafe: false }));
    expect(verbatim[4][RATING_CSV_COLUMNS.indexOf("explanation")]).toBe("=SUM(A1:A9)");
  });

  it("refuses ratings of an SAE outside the study", () => {
    expect(() => studyRatingsCsv(study, [{ ...ratings[0], saeId: "other" }])).toThrow(/ratings\[0\]\.saeId.*"other".*study-1/);
  });
});

describe("JSON export", () => {
  it("carries metadata, every rating verbatim, and results", () => {
    const parsed = JSON.parse(studyExportJson(study, ratings, "2026-11-28T00:00:00Z"));
    expect(parsed.format).toBe("featurelab-study-export");
    expect(parsed.version).toBe(1);
    expect(parsed.study).toEqual(study);
    expect(parsed.ratings).toHaveLength(ratings.length);
    expect(parsed.ratings.map((r: Rating) => r.explanation)).toEqual([...tricky, null]);
    const [j, t] = parsed.results.outcomes.bySae;
    expect(j.counts).toEqual({ yes: 0, maybe: 2, no: 1 });
    expect(t.counts).toEqual({ yes: 2, maybe: 0, no: 1 });
    expect(t.shares.yes.method).toBe("wilson");
    expect(parsed.results.outcomes.comparisons[0].yes.method).toBe("newcombe-hybrid-score");
    // Pairable items: j3 (maybe, no) and t9 (yes, yes); Fleiss uses those two, leaving j4 and t10 out.
    expect(parsed.results.agreement.krippendorffAlpha.metric).toBe("ordinal");
    expect(parsed.results.agreement.krippendorffAlpha.pairableUnits).toBe(2);
    expect(parsed.results.agreement.fleissItemsLeftOut).toBe(2);
  });
});
