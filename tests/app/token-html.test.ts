import { describe, expect, it } from "vitest";
import { argmax, exampleHtml, formatAct, intensityLevel, tokenDisplayText } from "@/app/_components/feature/token-html";
import { TokenDictionary } from "@/app/_components/feature/compact-examples";

describe("intensityLevel", () => {
  it("maps a share of the scale to 1..10, rounding up so any firing token is tinted", () => {
    expect(intensityLevel(0, 5)).toBe(0);
    expect(intensityLevel(-1, 5)).toBe(0);
    expect(intensityLevel(0.001, 5)).toBe(1);
    expect(intensityLevel(0.5, 5)).toBe(1);
    expect(intensityLevel(0.51, 5)).toBe(2);
    expect(intensityLevel(5, 5)).toBe(10);
    expect(intensityLevel(7, 5)).toBe(10);
    expect(intensityLevel(1, 0)).toBe(10);
  });
});

describe("tokenDisplayText", () => {
  it("escapes HTML and makes whitespace visible", () => {
    expect(tokenDisplayText(`<b a="1">&'`)).toBe("&lt;b a=&quot;1&quot;&gt;&amp;&#39;");
    expect(tokenDisplayText("\n")).toBe("↵");
    expect(tokenDisplayText("\t")).toBe("⇥");
    expect(tokenDisplayText("")).toBe("∅");
    expect(tokenDisplayText(" the")).toBe(" the");
  });
});

describe("exampleHtml", () => {
  it("marks firing tokens with level and exact value, outlines the max, hides the far lead", () => {
    const tokens = ["a", "b", "<c>", "d", "e"];
    const acts = [0, 1, 4, 0, 2];
    const html = exampleHtml(tokens, acts, 8, 1);
    expect(html).toBe(
      `<span class="hx-mark" aria-hidden="true">… </span>` +
        `<span class="hx">a</span>` +
        `<span class="h2" data-act="1">b</span>` +
        `<span class="h5 hm" data-act="4">&lt;c&gt;</span>` +
        `<span>d</span>` +
        `<span class="h3" data-act="2">e</span>`,
    );
    expect(exampleHtml(tokens, acts, 8)).not.toContain("hx");
  });

  it("formats activations to 5 significant digits and finds the first max", () => {
    expect(formatAct(3.2109375000001)).toBe("3.2109");
    expect(formatAct(0.000123456)).toBe("0.00012346");
    expect(argmax([1, 3, 3, 2])).toBe(1);
  });
});

describe("TokenDictionary", () => {
  it("stores each distinct text once and rounds activations", () => {
    const d = new TokenDictionary();
    const a = d.compact({ key: "k1", label: "#1", tokens: [" the", " cat", " the"], acts: [0, 1.23456789, -0] });
    const b = d.compact({ key: "k2", label: "#2", tokens: [" cat", " sat"], acts: [2, 0] });
    expect(d.texts).toEqual([" the", " cat", " sat"]);
    expect(a).toEqual({ key: "k1", label: "#1", t: [0, 1, 0], a: [0, 1.2346, 0] });
    expect(b.t).toEqual([1, 2]);
  });
});
