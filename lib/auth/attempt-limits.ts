/**
 * Rate limits on guessing (rate-limiter-flexible, in the web process's memory,
 * which is where logins and invitations are served):
 * - logins: 5 failed attempts per account and address per 15 minutes, and 50
 *   per address across accounts. The address is the socket's
 *   (lib/auth/client-address), so nobody can spend another address's budget,
 *   and a lock on one account and address leaves the account's owner free to
 *   sign in from anywhere else: the limits slow a guesser without letting
 *   anyone lock a user out.
 * - invitation redemptions: 20 failed attempts per address per 15 minutes.
 *
 * Counting is exact under concurrency: an attempt takes its point before the
 * password is checked (one synchronous increment per key), so twenty parallel
 * guesses get five checks, not "as many as started before the first failure
 * was recorded". A successful attempt gives its points back.
 */
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";

interface Limit {
  limiter: RateLimiterMemory;
  key: string;
}

export type Attempt =
  | { allowed: false; retryAfterSeconds: number }
  | {
      allowed: true;
      /** the attempt succeeded: give its points back (and forget earlier failures where asked) */
      succeeded(): Promise<void>;
    };

/** Takes one point from every limit at once; refused (and nothing taken) when any of them is spent. */
async function begin(limits: Limit[], onSuccess: (limits: Limit[]) => Promise<void>): Promise<Attempt> {
  const taken = await Promise.allSettled(limits.map((l) => l.limiter.consume(l.key, 1)));
  const refused = taken.flatMap((t) => (t.status === "rejected" ? [t.reason] : []));
  if (refused.length > 0) {
    await Promise.all(limits.map((l) => l.limiter.reward(l.key, 1)));
    const errors = refused.filter((r): r is RateLimiterRes => r instanceof RateLimiterRes);
    if (errors.length !== refused.length) throw refused.find((r) => !(r instanceof RateLimiterRes));
    return { allowed: false, retryAfterSeconds: Math.ceil(Math.max(...errors.map((r) => r.msBeforeNext)) / 1000) };
  }
  return { allowed: true, succeeded: () => onSuccess(limits) };
}

const FIFTEEN_MINUTES = 15 * 60;
export const LOGIN_FAILURES_PER_ACCOUNT = 5;
const loginPerAccount = new RateLimiterMemory({
  keyPrefix: "login_account",
  points: LOGIN_FAILURES_PER_ACCOUNT,
  duration: FIFTEEN_MINUTES,
});
const loginPerAddress = new RateLimiterMemory({ keyPrefix: "login_address", points: 50, duration: FIFTEEN_MINUTES });
const invitePerAddress = new RateLimiterMemory({ keyPrefix: "invite_address", points: 20, duration: FIFTEEN_MINUTES });

export function beginLoginAttempt(email: string, address: string): Promise<Attempt> {
  return begin(
    [
      { limiter: loginPerAccount, key: `${email.toLowerCase()}|${address}` },
      { limiter: loginPerAddress, key: address },
    ],
    // A typo costs nothing once the right password follows: the account's failures from here are forgotten.
    async ([account, perAddress]) => {
      await account.limiter.delete(account.key);
      await perAddress.limiter.reward(perAddress.key, 1);
    },
  );
}

export function beginInviteAttempt(address: string): Promise<Attempt> {
  return begin([{ limiter: invitePerAddress, key: address }], async ([l]) => {
    await l.limiter.reward(l.key, 1);
  });
}
