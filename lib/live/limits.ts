/**
 * Limits on live text tests, which run the LM and an SAE on the web server's
 * CPU: a per-user rate (rate-limiter-flexible, in this process's memory, where
 * the tests run) and a cap on tests running at once so page renders are never
 * starved by a burst of tests.
 */
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { LiveBusyError } from "@/lib/live/errors";

export const TESTS_PER_MINUTE = 30;
const perUser = new RateLimiterMemory({ keyPrefix: "live_text", points: TESTS_PER_MINUTE, duration: 60 });

/** Spends one test of the user's allowance, or throws LiveBusyError with when to retry. */
export async function consumeLiveTest(userId: string): Promise<void> {
  try {
    await perUser.consume(userId, 1);
  } catch (e) {
    if (e instanceof RateLimiterRes) {
      const wait = Math.max(1, Math.ceil(e.msBeforeNext / 1000));
      throw new LiveBusyError(`Too many text tests: at most ${TESTS_PER_MINUTE} a minute. Try again in ${wait} s.`, wait);
    }
    throw e;
  }
}

const MAX_RUNNING = 2;
const MAX_WAITING = 16;
let running = 0;
const waiting: (() => void)[] = [];

/** Runs `work` when fewer than MAX_RUNNING tests are running; refuses when the queue is full. */
export async function withLiveSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_RUNNING) {
    if (waiting.length >= MAX_WAITING) throw new LiveBusyError("The server is busy with other text tests. Try again in a few seconds.", 5);
    // a finishing test hands its slot straight to the first waiter
    await new Promise<void>((resolve) => waiting.push(resolve));
  } else running++;
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}
