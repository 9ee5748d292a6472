/** Item 2 of issue 16: login limits count exactly under concurrency and cannot be spent from another address. */
import { describe, expect, it } from "vitest";
import { beginInviteAttempt, beginLoginAttempt, LOGIN_FAILURES_PER_ACCOUNT } from "@/lib/auth/attempt-limits";

describe("login attempts", () => {
  it("twenty parallel wrong passwords get exactly five checks", async () => {
    const attempts = await Promise.all(Array.from({ length: 20 }, () => beginLoginAttempt("parallel@test.local", "198.51.100.1")));
    expect(attempts.filter((a) => a.allowed)).toHaveLength(LOGIN_FAILURES_PER_ACCOUNT);
    const refused = attempts.find((a) => !a.allowed);
    if (!refused || refused.allowed) throw new Error("expected refused attempts");
    expect(refused.retryAfterSeconds).toBeGreaterThan(14 * 60);
  });

  it("failures from one address do not lock the account's owner out of another", async () => {
    for (let i = 0; i < LOGIN_FAILURES_PER_ACCOUNT; i++)
      expect((await beginLoginAttempt("owner@test.local", "203.0.113.66")).allowed).toBe(true);
    expect((await beginLoginAttempt("owner@test.local", "203.0.113.66")).allowed).toBe(false);
    expect((await beginLoginAttempt("Owner@test.local", "192.0.2.10")).allowed).toBe(true);
  });

  it("a success gives its point back and forgets the account's failures from that address", async () => {
    for (let i = 0; i < LOGIN_FAILURES_PER_ACCOUNT - 1; i++) await beginLoginAttempt("typo@test.local", "192.0.2.20");
    const right = await beginLoginAttempt("typo@test.local", "192.0.2.20");
    if (!right.allowed) throw new Error("expected an allowed attempt");
    await right.succeeded();
    for (let i = 0; i < LOGIN_FAILURES_PER_ACCOUNT; i++)
      expect((await beginLoginAttempt("typo@test.local", "192.0.2.20")).allowed).toBe(true);
  });
});

describe("invitation attempts", () => {
  it("allow twenty failures per address per window, then refuse", async () => {
    const attempts = await Promise.all(Array.from({ length: 25 }, () => beginInviteAttempt("198.51.100.99")));
    expect(attempts.filter((a) => a.allowed)).toHaveLength(20);
    expect((await beginInviteAttempt("198.51.100.100")).allowed).toBe(true);
  });
});
