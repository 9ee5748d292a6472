/**
 * Accounts: the first admin, logins and invitations. Admins invite raters and
 * viewers; an invitation is a one-time link whose token is stored hashed.
 */
import type { Prisma } from "@prisma/client";
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

export async function createInvite(
  db: Db | Prisma.TransactionClient,
  createdById: string,
  email: string,
  role: Role,
  days = 7,
): Promise<string> {
  if (role === "ADMIN") throw new AccountError("Invitations are for raters and viewers; promote an existing user to make another admin.");
  const token = randomToken();
  await db.invite.create({
    data: { id: sha256(token), email: email.toLowerCase(), role, createdById, expiresAt: new Date(Date.now() + days * 86400_000) },
  });
  return token;
}

const INVALID_INVITE = "This invitation is invalid, used or expired (or was revoked). Ask your admin for a new one.";

/** The invitation a token opens when it can still be redeemed, or an AccountError saying why not. */
async function openInvite(db: Db, token: string) {
  const invite = await db.invite.findUnique({ where: { id: sha256(token) } });
  if (!invite || invite.usedAt || invite.revokedAt || invite.expiresAt < new Date()) throw new AccountError(INVALID_INVITE);
  if (await db.user.findUnique({ where: { email: invite.email } }))
    throw new AccountError(`An account for ${invite.email} already exists. Log in instead.`);
  return invite;
}

/**
 * Creates the invited account. The token is checked before the password is
 * hashed: argon2id costs tens of milliseconds and 19 MiB, which a stranger
 * with a made-up token must not be able to make the server spend. The
 * invitation is then claimed with a conditional update, so of two concurrent
 * redemptions exactly one wins. `hash` is the password hasher (tests count its calls).
 */
export async function redeemInvite(
  db: Db,
  token: string,
  name: string,
  password: string,
  hash: (password: string) => Promise<string> = hashPassword,
): Promise<string> {
  const invite = await openInvite(db, token);
  const passwordHash = await hash(password);
  return db.$transaction(async (tx) => {
    const now = new Date();
    const claimed = await tx.invite.updateMany({
      where: { id: invite.id, usedAt: null, revokedAt: null, expiresAt: { gt: now } },
      data: { usedAt: now },
    });
    if (claimed.count !== 1) throw new AccountError(INVALID_INVITE);
    try {
      const user = await tx.user.create({
        data: { email: invite.email, name, role: invite.role, passwordHash, invitedById: invite.createdById },
      });
      return user.id;
    } catch (error) {
      // two invitations for one email, redeemed at once: the unique email lets one account through
      if ((error as { code?: string }).code === "P2002")
        throw new AccountError(`An account for ${invite.email} already exists. Log in instead.`);
      throw error;
    }
  });
}
