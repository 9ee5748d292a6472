/**
 * Issue 16 against a real PostgreSQL: the invitation token is checked before
 * argon2 runs (item 9), whitespace passwords are refused (item 10), and the
 * admin controls with their audit trail (item 12).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@/lib/db/client";
import { checkCredentials, redeemInvite } from "@/lib/auth/accounts";
import { hashPassword } from "@/lib/auth/passwords";
import { passwordProblem } from "@/lib/auth/password-rules";
import { createSession, userForSession } from "@/lib/auth/sessions";
import { endUserSessions, inviteUser, resetUserPassword, revokeInvite, setUserDisabled } from "@/lib/auth/admin-actions";
import { listAuditEvents, listPendingInvites, listUsers } from "@/lib/db/users";
import { sha256 } from "@/lib/auth/tokens";
import { createTestDatabase, type TestDatabase } from "../../support/postgres";

let database: TestDatabase;
let db: Db;
let adminId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url, { max: 2 });
  const passwordHash = await hashPassword("a-long-enough-password");
  adminId = (await db.user.create({ data: { email: "boss@lab.org", name: "Boss", role: "ADMIN", passwordHash } })).id;
});
afterAll(async () => {
  await db.$disconnect();
  await database.drop();
});

/** The real hasher, counting its calls. */
function countingHasher() {
  const calls = { n: 0 };
  return { calls, hash: (p: string) => (calls.n++, hashPassword(p)) };
}

describe("password rules", () => {
  it("refuse whitespace-only and whitespace-padded short passwords, allow passphrases", () => {
    expect(passwordProblem(" ".repeat(12))).toMatch(/at least 12 characters, not counting spaces/);
    expect(passwordProblem("\t\n".repeat(10))).not.toBeNull();
    expect(passwordProblem("short  " + " ".repeat(10))).not.toBeNull();
    expect(passwordProblem("x".repeat(1001))).toMatch(/at most 1000/);
    expect(passwordProblem("correct horse battery")).toBeNull();
  });

  it("are enforced where passwords are hashed", async () => {
    await expect(hashPassword(" ".repeat(12))).rejects.toThrow(/not counting spaces/);
  });
});

describe("redeeming an invitation", () => {
  it("does not run argon2 for a token that opens nothing (made up, revoked, used)", async () => {
    const { calls, hash } = countingHasher();
    await expect(redeemInvite(db, "made-up-token-0123456789", "Mal", "a-long-enough-password", hash)).rejects.toThrow(/invalid/);
    const token = await inviteUser(db, adminId, "revoked@lab.org", "RATER");
    await revokeInvite(db, adminId, sha256(token));
    await expect(redeemInvite(db, token, "Rev", "a-long-enough-password", hash)).rejects.toThrow(/revoked/);
    expect(calls.n).toBe(0);
  });

  it("lets exactly one of two concurrent redemptions win", async () => {
    const token = await inviteUser(db, adminId, "race@lab.org", "VIEWER");
    const results = await Promise.allSettled([
      redeemInvite(db, token, "One", "a-long-enough-password"),
      redeemInvite(db, token, "Two", "a-long-enough-password"),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await db.user.count({ where: { email: "race@lab.org" } })).toBe(1);
  });

  it("lets one account through when two invitations for one email are redeemed at once", async () => {
    const tokens = [await inviteUser(db, adminId, "twice@lab.org", "VIEWER"), await inviteUser(db, adminId, "twice@lab.org", "RATER")];
    const results = await Promise.allSettled(tokens.map((t, i) => redeemInvite(db, t, `Twice ${i}`, "a-long-enough-password")));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ name: "AccountError", message: expect.stringMatching(/already exists/) });
  });
});

describe("admin controls", () => {
  let userId: string;
  beforeAll(async () => {
    const token = await inviteUser(db, adminId, "rita@lab.org", "RATER");
    userId = await redeemInvite(db, token, "Rita", "a-long-enough-password");
  });

  it("disabling ends the user's sessions at once and stops logins; enabling restores logins", async () => {
    const { token } = await createSession(db, userId, 1);
    await setUserDisabled(db, adminId, userId, true);
    expect(await userForSession(db, token)).toBeNull();
    expect(await db.session.count({ where: { userId } })).toBe(0);
    expect(await checkCredentials(db, "rita@lab.org", "a-long-enough-password")).toBeNull();
    await expect(setUserDisabled(db, adminId, userId, true)).rejects.toMatchObject({ status: 409 });
    await setUserDisabled(db, adminId, userId, false);
    expect(await checkCredentials(db, "rita@lab.org", "a-long-enough-password")).toBe(userId);
  });

  it("refuses to disable your own account or an unknown one", async () => {
    await expect(setUserDisabled(db, adminId, adminId, true)).rejects.toMatchObject({ status: 409 });
    await expect(setUserDisabled(db, adminId, "nobody", true)).rejects.toMatchObject({ status: 404 });
    expect(await db.user.findUniqueOrThrow({ where: { id: adminId } })).toMatchObject({ disabled: false });
  });

  it("ends sessions, and resets a password to a generated one that works (the old one stops)", async () => {
    await createSession(db, userId, 1);
    await createSession(db, userId, 1);
    expect(await endUserSessions(db, adminId, userId)).toBe(2);
    const password = await resetUserPassword(db, adminId, userId);
    expect(passwordProblem(password)).toBeNull();
    expect(await checkCredentials(db, "rita@lab.org", "a-long-enough-password")).toBeNull();
    expect(await checkCredentials(db, "rita@lab.org", password)).toBe(userId);
  });

  it("revokes only pending invitations", async () => {
    const token = await inviteUser(db, adminId, "pending@lab.org", "VIEWER");
    expect((await listPendingInvites(db)).map((i) => i.email)).toContain("pending@lab.org");
    await revokeInvite(db, adminId, sha256(token));
    expect((await listPendingInvites(db)).map((i) => i.email)).not.toContain("pending@lab.org");
    await expect(revokeInvite(db, adminId, sha256(token))).rejects.toMatchObject({ status: 409 });
    await expect(revokeInvite(db, adminId, "nope")).rejects.toMatchObject({ status: 404 });
  });

  it("records who did what to whom, newest first, without passwords or tokens", async () => {
    const events = await listAuditEvents(db);
    const rita = events.filter((e) => e.targetEmail === "rita@lab.org").map((e) => e.action);
    expect(rita).toEqual(["PASSWORD_RESET", "SESSIONS_END", "USER_ENABLE", "USER_DISABLE", "INVITE_CREATE"]);
    expect(events.every((e) => e.actor.email === "boss@lab.org")).toBe(true);
    expect(events.find((e) => e.action === "USER_DISABLE")?.detail).toBe("1 session(s) ended");
    expect(events.filter((e) => e.targetEmail === "pending@lab.org").map((e) => e.action)).toEqual(["INVITE_REVOKE", "INVITE_CREATE"]);
    // refused actions leave no trace
    expect(events.filter((e) => e.targetEmail === "boss@lab.org")).toEqual([]);
    const users = await listUsers(db);
    expect(users.find((u) => u.email === "rita@lab.org")).toMatchObject({ disabled: false, activeSessions: 0 });
  });
});
