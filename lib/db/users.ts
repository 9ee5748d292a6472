/** Users, pending invitations and the audit trail as the admin users page shows them. */
import type { Db } from "@/lib/db/client";

export async function listUsers(db: Db) {
  const users = await db.user.findMany({
    orderBy: [{ role: "asc" }, { email: "asc" }],
    select: {
      id: true,
      email: true,
      name: true,
      role: true,
      disabled: true,
      createdAt: true,
      _count: { select: { sessions: { where: { expiresAt: { gt: new Date() } } } } },
    },
  });
  return users.map(({ _count, ...u }) => ({ ...u, activeSessions: _count.sessions }));
}

/** Invitations that can still be redeemed. */
export function listPendingInvites(db: Db) {
  return db.invite.findMany({
    where: { usedAt: null, revokedAt: null, expiresAt: { gt: new Date() } },
    orderBy: { createdAt: "desc" },
    select: { id: true, email: true, role: true, createdAt: true, expiresAt: true, createdBy: { select: { email: true } } },
  });
}

/** The newest audit events first. */
export function listAuditEvents(db: Db, limit = 100) {
  return db.auditEvent.findMany({
    orderBy: [{ at: "desc" }, { id: "desc" }],
    take: limit,
    select: { id: true, at: true, action: true, targetEmail: true, detail: true, actor: { select: { email: true } } },
  });
}
