/**
 * Accounts: the first admin, logins and invitations. Admins invite raters and
 * viewers; an invitation is a one-time link whose token is stored hashed.
 */
import type { Db } from "@/lib/db/client";
import type { Role } from "@/lib/auth/roles";
import { generatePassword, hashPassword, verifyPassword } from "@/lib/auth/passwords";
import { randomToken, sha256 } from "@/lib/auth/tokens";

export class AccountError extends Error {
  override name = "AccountError";
}

export interface FirstAdmin {
  email: string;
  /** set only when this call created the admin with a generated password */
  generatedPassword?: string;
  created: boolean;
}

/**
 * Create the first admin if there is no admin yet: from FEATURELAB_ADMIN_EMAIL /
 * FEATURELAB_ADMIN_PASSWORD when given, else admin@featurelab.local with a
 * generated password that the caller prints once.
 */
export async function ensureFirstAdmin(db: Db, wanted: { email?: string; password?: string }): Promise<FirstAdmin> {
  const existing = await db.user.findFirst({ where: { role: "ADMIN" }, orderBy: { createdAt: "asc" } });
  if (existing) return { email: existing.email, created: false };
  const email = (wanted.email ?? "admin@featurelab.local").toLowerCase();
  const password = wanted.password ?? generatePassword();
  await db.user.create({ data: { email, name: "Administrator", role: "ADMIN", passwordHash: await hashPassword(password) } });
  return { email, created: true, generatedPassword: wanted.password ? undefined : password };
}

/** Returns the user id when the email and password match an enabled account. */
export async function checkCredentials(db: Db, email: string, password: string): Promise<string | null> {
  const user = await db.user.findUnique({ where: { email: email.toLowerCase() } });
  // Verify against a dummy hash when the user is unknown so timing does not reveal accounts.
  dummyHash ??= hashPassword(randomToken());
  const hash = user?.passwordHash ?? (await dummyHash);
  const ok = await verifyPassword(hash, password);
  return ok && user && !user.disabled ? user.id : null;
}
let dummyHash: Promise<string> | undefined;

export async function createInvite(db: Db, createdById: string, email: string, role: Role, days = 7): Promise<string> {
  if (role === "ADMIN") throw new AccountError("Invitations are for raters and viewers; promote an existing user to make another admin.");
  const token = randomToken();
  await db.invite.create({
    data: { id: sha256(token), email: email.toLowerCase(), role, createdById, expiresAt: new Date(Date.now() + days * 86400_000) },
  });
  return token;
}

export async function redeemInvite(db: Db, token: string, name: string, password: string): Promise<string> {
  const passwordHash = await hashPassword(password);
  return db.$transaction(async (tx) => {
    const invite = await tx.invite.findUnique({ where: { id: sha256(token) } });
    if (!invite || invite.usedAt || invite.expiresAt < new Date())
      throw new AccountError("This invitation is invalid, used or expired. Ask your admin for a new one.");
    if (await tx.user.findUnique({ where: { email: invite.email } }))
      throw new AccountError(`An account for ${invite.email} already exists. Log in instead.`);
    await tx.invite.update({ where: { id: invite.id }, data: { usedAt: new Date() } });
    const user = await tx.user.create({
      data: { email: invite.email, name, role: invite.role, passwordHash, invitedById: invite.createdById },
    });
    return user.id;
  });
}
