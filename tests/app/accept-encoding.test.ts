import { describe, expect, it } from "vitest";
import { acceptsGzip } from "@/app/_server/accept-encoding";

describe("acceptsGzip", () => {
  it.each([
    ["gzip", true],
    ["gzip, deflate, br", true],
    ["br;q=1.0, gzip;q=0.8, *;q=0.1", true],
    ["GZIP", true],
    ["x-gzip", true],
    ["*", true],
    ["br, *;q=0.5", true],
    ["gzip;q=0", false],
    ["gzip;q=0.000", false],
    ["*;q=0.5, gzip;q=0", false],
    ["identity", false],
    ["br, deflate", false],
    ["*;q=0", false],
    ["", false],
    [null, false],
  ])("%j → %s", (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});
