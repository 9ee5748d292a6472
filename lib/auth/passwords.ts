/**
 * Password hashing with argon2id (memory-hard), through @node-rs/argon2.
 * Parameters are OWASP's minimum recommendation (19 MiB, t=2, p=1).
 */
import { hash, verify, type Algorithm } from "@node-rs/argon2";
import crypto from "node:crypto";
import { passwordProblem } from "@/lib/auth/password-rules";

// Algorithm is an ambient const enum (not importable as a value under isolatedModules); 2 is Argon2id.
const ARGON2ID = 2 as Algorithm;
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export async function hashPassword(password: string): Promise<string> {
  const problem = passwordProblem(password);
  if (problem) throw new Error(`Password refused: ${problem}.`);
  return hash(password, OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** A random password for generated accounts (printed once). */
export function generatePassword(): string {
  return crypto.randomBytes(18).toString("base64url");
}
