export interface BackoffPolicy {
  /** Delay after the first failure. */
  baseMs: number;
  /** Ceiling of the delay however many attempts failed. */
  maxMs: number;
  /**
   * Fraction of the delay that is randomised (0 to 1), so that messages failing together (an RPC outage)
   * do not all retry in the same instant.
   */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000, jitter: 0.2 };

/**
 * When to try again after `attempts` consecutive failures: `baseMs · 2^(attempts − 1)`, capped at `maxMs`,
 * then shortened by up to `jitter` of itself. `random` (in [0, 1), e.g. `Math.random()`) is an argument
 * so that the function is pure.
 */
export function nextRetryAt(attempts: number, policy: BackoffPolicy, now: Date, random: number): Date {
  const { baseMs, maxMs, jitter } = policy;
  if (!Number.isInteger(attempts) || attempts < 1)
    throw new RangeError(`attempts must be a positive integer, got ${attempts}`);
  checkBackoffPolicy(policy);
  if (!(random >= 0 && random < 1)) throw new RangeError(`random must be within [0, 1), got ${random}`);
  // 2 ** 1024 is Infinity, which Math.min turns into the cap; no overflow to guard against.
  const delay = Math.min(maxMs, baseMs * 2 ** (attempts - 1));
  return new Date(now.getTime() + Math.round(delay * (1 - jitter * random)));
}

/** Throws a RangeError naming the first field out of range. */
export function checkBackoffPolicy({ baseMs, maxMs, jitter }: BackoffPolicy): void {
  if (!(baseMs > 0 && maxMs >= baseMs))
    throw new RangeError(`backoff needs 0 < baseMs <= maxMs, got ${baseMs} and ${maxMs}`);
  if (!(jitter >= 0 && jitter <= 1)) throw new RangeError(`backoff jitter must be within [0, 1], got ${jitter}`);
}
