/**
 * What admins do to accounts, each with its audit event written in the same
 * transaction (so the trail can be neither skipped nor half-written):
 * inviting, revoking an invitation, disabling and enabling a user, ending a
 * user's sessions, resetting a user's password. Passwords and tokens never
 * enter the trail.
 */
import type { AuditAction, Prisma } from "@prisma/client";
import type { Db } from "@/lib/db/client";
import type { Role } from "@/lib/auth/roles";
import { createInvite } from "@/lib/auth/accounts";
import { generatePassword, hashPassword } from "@/lib/auth/passwords";

type Tx = Prisma.TransactionClient;

/** An action that cannot be done as asked (unknown user, own account…); `status` is the HTTP status it maps to. */
export class AdminActionError extends Error {
  override name = "AdminActionError";
  constructor(
    readonly status: 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

async function audit(
  tx: Tx,
  actorId: string,
  action: AuditAction,
  target: { userId?: string; email: string },
  detail?: string,
): Promise<void> {
  await tx.auditEvent.create({ data: { actorId, action, targetUserId: target.userId ?? null, targetEmail: target.email, detail } });
}

async function targetUser(tx: Tx, userId: string) {
  const user = await tx.user.findUnique({ where: { id: userId }, select: { id: true, email: true, disabled: true } });
  if (!user) throw new AdminActionError(404, `No user with id "${userId}".`);
  return user;
}

export async function inviteUser(db: Db, actorId: string, email: string, role: Role): Promise<string> {
  return db.$transaction(async (tx) => {
    const token = await createInvite(tx, actorId, email, role);
    await audit(tx, actorId, "INVITE_CREATE", { email: email.toLowerCase() }, `as ${role.toLowerCase()}`);
    return token;
  });
}

export async function revokeInvite(db: Db, actorId: string, inviteId: string): Promise<void> {
  await db.$transaction(async (tx) => {
    const invite = await tx.invite.findUnique({ where: { id: inviteId } });
    if (!invite) throw new AdminActionError(404, `No invitation with id "${inviteId}".`);
    const revoked = await tx.invite.updateMany({ where: { id: inviteId, usedAt: null, revokedAt: null }, data: { revokedAt: new Date() } });
    if (revoked.count !== 1)
      throw new AdminActionError(409, `The invitation for ${invite.email} was already ${invite.usedAt ? "used" : "revoked"}.`);
    await audit(tx, actorId, "INVITE_REVOKE", { email: invite.email });
  });
}

/** Disabling also ends the user's sessions, so it takes effect at once; it is refused for your own account. */
export async function setUserDisabled(db: Db, actorId: string, userId: string, disabled: boolean): Promise<void> {
  if (disabled && userId === actorId) throw new AdminActionError(409, "You cannot disable your own account: ask another admin.");
  await db.$transaction(async (tx) => {
    const user = await targetUser(tx, userId);
    if (user.disabled === disabled) throw new AdminActionError(409, `${user.email} is already ${disabled ? "disabled" : "enabled"}.`);
    await tx.user.update({ where: { id: userId }, data: { disabled } });
    const ended = disabled ? (await tx.session.deleteMany({ where: { userId } })).count : 0;
    await audit(tx, actorId, disabled ? "USER_DISABLE" : "USER_ENABLE", user, disabled ? `${ended} session(s) ended` : undefined);
  });
}

export async function endUserSessions(db: Db, actorId: string, userId: string): Promise<number> {
  return db.$transaction(async (tx) => {
    const user = await targetUser(tx, userId);
    const ended = (await tx.session.deleteMany({ where: { userId } })).count;
    await audit(tx, actorId, "SESSIONS_END", user, `${ended} session(s) ended`);
    return ended;
  });
}

/** Sets a generated password (returned once, for the admin to hand over) and ends the user's sessions. */
export async function resetUserPassword(db: Db, actorId: string, userId: string): Promise<string> {
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  await db.$transaction(async (tx) => {
    const user = await targetUser(tx, userId);
    await tx.user.update({ where: { id: userId }, data: { passwordHash } });
    const ended = (await tx.session.deleteMany({ where: { userId } })).count;
    await audit(tx, actorId, "PASSWORD_RESET", user, `${ended} session(s) ended`);
  });
  return password;
}
