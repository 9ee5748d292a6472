/**
 * `featurelab admin reset-password [email]`: a new random password for an
 * admin (the only admin when no email is given), printed once; the account's
 * sessions are ended so the old password's logins stop working.
 */
import { createDb } from "@/lib/db/client";
import { generatePassword, hashPassword } from "@/lib/auth/passwords";

export class ResetPasswordError extends Error {
  override name = "ResetPasswordError";
}

export async function resetAdminPassword(url: string, email?: string): Promise<{ email: string; password: string }> {
  const db = createDb(url, { max: 1 });
  try {
    const admins = await db.user.findMany({ where: { role: "ADMIN", ...(email ? { email } : {}) }, select: { id: true, email: true } });
    if (admins.length === 0)
      throw new ResetPasswordError(
        email ? `no admin account with email ${email}` : "there is no admin account yet; start Featurelab once to create it",
      );
    if (admins.length > 1)
      throw new ResetPasswordError(
        `there are ${admins.length} admins (${admins.map((a) => a.email).join(", ")}); name one: featurelab admin reset-password EMAIL`,
      );
    const password = generatePassword();
    await db.$transaction([
      db.user.update({ where: { id: admins[0].id }, data: { passwordHash: await hashPassword(password) } }),
      db.session.deleteMany({ where: { userId: admins[0].id } }),
    ]);
    return { email: admins[0].email, password };
  } finally {
    await db.$disconnect();
  }
}
