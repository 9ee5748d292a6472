/**
 * Login rate limiting (rate-limiter-flexible): at most 5 failed attempts per
 * email+address per 15 minutes, and 50 per address, so password guessing is
 * slow while a typo costs nothing. Counts live in the web process's memory,
 * which is where logins are served.
 */
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";

const perAccount = new RateLimiterMemory({ keyPrefix: "login_account", points: 5, duration: 15 * 60 });
const perAddress = new RateLimiterMemory({ keyPrefix: "login_ip", points: 50, duration: 15 * 60 });

export interface LimitVerdict {
  allowed: boolean;
  retryAfterSeconds: number;
}

export async function loginAllowed(email: string, address: string): Promise<LimitVerdict> {
  const [a, b] = await Promise.all([perAccount.get(`${email.toLowerCase()}|${address}`), perAddress.get(address)]);
  const blocked = [a, b].filter((r): r is RateLimiterRes => r !== null && r.remainingPoints <= 0);
  if (blocked.length === 0) return { allowed: true, retryAfterSeconds: 0 };
  return { allowed: false, retryAfterSeconds: Math.ceil(Math.max(...blocked.map((r) => r.msBeforeNext)) / 1000) };
}

export async function recordFailedLogin(email: string, address: string): Promise<void> {
  await Promise.all([perAccount.penalty(`${email.toLowerCase()}|${address}`, 1), perAddress.penalty(address, 1)]);
}

export async function recordSuccessfulLogin(email: string, address: string): Promise<void> {
  await perAccount.delete(`${email.toLowerCase()}|${address}`);
}
