/**
 * What a new password must be, in one place: the invitation form, an admin's
 * reset and FEATURELAB_ADMIN_PASSWORD all use this schema. Spaces are allowed
 * (passphrases), but they do not count towards the length, so twelve spaces
 * or "a" padded with spaces is refused. Pure (no argon2), so lib/config can
 * use it.
 */
import { z } from "zod";

export const MIN_PASSWORD_LENGTH = 12;
/** argon2 hashes any length, but a megabyte "password" is only a way to make the server work */
export const MAX_PASSWORD_LENGTH = 1000;

export const newPasswordSchema = z
  .string()
  .max(MAX_PASSWORD_LENGTH, `use at most ${MAX_PASSWORD_LENGTH} characters`)
  .refine((p) => p.replace(/\s/g, "").length >= MIN_PASSWORD_LENGTH, {
    message: `use at least ${MIN_PASSWORD_LENGTH} characters, not counting spaces`,
  });

/** Why `password` may not be a new password, or null when it may. */
export function passwordProblem(password: string): string | null {
  const parsed = newPasswordSchema.safeParse(password);
  return parsed.success ? null : parsed.error.issues[0].message;
}
