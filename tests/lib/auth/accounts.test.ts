import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@/lib/db/client";
import { hashPassword, verifyPassword } from "@/lib/auth/passwords";
import { checkCredentials, createInvite, ensureFirstAdmin, redeemInvite } from "@/lib/auth/accounts";
import { createSession, deleteSession, userForSession } from "@/lib/auth/sessions";
import { sha256 } from "@/lib/auth/tokens";
import { createTestDatabase, type TestDatabase } from "../../support/postgres";

let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url, { max: 2 });
});
afterAll(async () => {
  await db.$disconnect();
  await database.drop();
});

describe("passwords", () => {
  it("hashes with argon2id and verifies only the right password", async () => {
    const hash = await hashPassword("a-long-enough-password");
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(hash, "a-long-enough-password")).toBe(true);
    expect(await verifyPassword(hash, "a-long-enough-passworD")).toBe(false);
    expect(await verifyPassword("not a hash", "x")).toBe(false);
    await expect(hashPassword("short")).rejects.toThrow(/at least 12 characters/);
  });
});

describe("the first admin", () => {
  it("is created once, from the environment's credentials", async () => {
    const first = await ensureFirstAdmin(db, { email: "Boss@Lab.org", password: "a-long-enough-password" });
    expect(first).toEqual({ email: "boss@lab.org", created: true, generatedPassword: undefined });
    const again = await ensureFirstAdmin(db, { email: "other@lab.org", password: "another-long-password" });
    expect(again).toEqual({ email: "boss@lab.org", created: false });
    expect(await db.user.count()).toBe(1);
    expect(await checkCredentials(db, "BOSS@lab.org", "a-long-enough-password")).toBeTruthy();
    expect(await checkCredentials(db, "boss@lab.org", "wrong-password-here")).toBeNull();
    expect(await checkCredentials(db, "nobody@lab.org", "a-long-enough-password")).toBeNull();
  });
});

describe("sessions", () => {
  it("stores only the token's hash, expires, and ends on logout or when the user is disabled", async () => {
    const admin = await db.user.findFirstOrThrow({ where: { role: "ADMIN" } });
    const { token } = await createSession(db, admin.id, 1);
    expect(await db.session.findUnique({ where: { id: token } })).toBeNull();
    expect(await db.session.findUnique({ where: { id: sha256(token) } })).not.toBeNull();
    expect((await userForSession(db, token))?.email).toBe("boss@lab.org");
    expect(await userForSession(db, token + "x")).toBeNull();
    expect(await userForSession(db, undefined)).toBeNull();

    await db.session.update({ where: { id: sha256(token) }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await userForSession(db, token)).toBeNull();

    const second = await createSession(db, admin.id, 1);
    await db.user.update({ where: { id: admin.id }, data: { disabled: true } });
    expect(await userForSession(db, second.token)).toBeNull();
    await db.user.update({ where: { id: admin.id }, data: { disabled: false } });
    expect(await userForSession(db, second.token)).not.toBeNull();
    await deleteSession(db, second.token);
    expect(await userForSession(db, second.token)).toBeNull();
  });
});

describe("invitations", () => {
  it("are single use, expire, and cannot make admins", async () => {
    const admin = await db.user.findFirstOrThrow({ where: { role: "ADMIN" } });
    const token = await createInvite(db, admin.id, "Rater@Lab.org", "RATER");
    const userId = await redeemInvite(db, token, "Rae", "a-long-enough-password");
    const user = await db.user.findUniqueOrThrow({ where: { id: userId } });
    expect(user).toMatchObject({ email: "rater@lab.org", role: "RATER", invitedById: admin.id });
    await expect(redeemInvite(db, token, "Rae again", "a-long-enough-password")).rejects.toThrow(/invalid, used or expired/);

    const stale = await createInvite(db, admin.id, "late@lab.org", "VIEWER", -1);
    await expect(redeemInvite(db, stale, "Late", "a-long-enough-password")).rejects.toThrow(/invalid, used or expired/);
    expect(await db.user.count({ where: { email: "late@lab.org" } })).toBe(0);

    await expect(createInvite(db, admin.id, "x@lab.org", "ADMIN")).rejects.toThrow(/raters and viewers/);
  });
});
