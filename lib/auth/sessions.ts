/**
 * Login sessions stored in PostgreSQL. The browser holds a random token in an
 * HTTP-only, SameSite=Lax cookie; the database holds its SHA-256, so a leaked
 * database does not leak live sessions.
 */
import type { Db } from "@/lib/db/client";
import type { Role } from "@/lib/auth/roles";
import { randomToken, sha256 } from "@/lib/auth/tokens";

export const SESSION_COOKIE = "fl_session";

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

export async function createSession(db: Db, userId: string, hours: number): Promise<{ token: string; expiresAt: Date }> {
  const token = randomToken();
  const expiresAt = new Date(Date.now() + hours * 3600_000);
  await db.session.create({ data: { id: sha256(token), userId, expiresAt } });
  return { token, expiresAt };
}

export async function userForSession(db: Db, token: string | undefined): Promise<SessionUser | null> {
  if (!token) return null;
  const session = await db.session.findUnique({
    where: { id: sha256(token) },
    include: { user: { select: { id: true, email: true, name: true, role: true, disabled: true } } },
  });
  if (!session || session.expiresAt < new Date() || session.user.disabled) return null;
  const { id, email, name, role } = session.user;
  return { id, email, name, role };
}

export async function deleteSession(db: Db, token: string): Promise<void> {
  await db.session.deleteMany({ where: { id: sha256(token) } });
}
