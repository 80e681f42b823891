import { describe, expect, it } from "vitest";
import { nextRetryAt } from "./backoff.ts";

const NOW = new Date(Date.UTC(2030, 0, 1));
const at = (delayMs: number) => new Date(NOW.getTime() + delayMs);

describe("nextRetryAt", () => {
  const policy = { baseMs: 500, maxMs: 10_000, jitter: 0 };

  it("doubles the delay with every failed attempt up to the cap", () => {
    const delays = [1, 2, 3, 4, 5, 6, 100, 5_000].map((attempts) => nextRetryAt(attempts, policy, NOW, 0));
    expect(delays).toEqual([at(500), at(1_000), at(2_000), at(4_000), at(8_000), at(10_000), at(10_000), at(10_000)]);
  });

  it("shortens the delay by up to the jitter fraction", () => {
    const jittery = { ...policy, jitter: 0.5 };
    expect(nextRetryAt(3, jittery, NOW, 0)).toEqual(at(2_000));
    expect(nextRetryAt(3, jittery, NOW, 0.5)).toEqual(at(1_500));
    expect(nextRetryAt(3, jittery, NOW, 0.999)).toEqual(at(1_001));
    expect(nextRetryAt(100, jittery, NOW, 0.999)).toEqual(at(5_005));
  });

  it("is a pure function of its arguments", () => {
    const jittery = { ...policy, jitter: 0.3 };
    expect(nextRetryAt(4, jittery, NOW, 0.42)).toEqual(nextRetryAt(4, jittery, NOW, 0.42));
  });

  it("rejects arguments out of range", () => {
    expect(() => nextRetryAt(0, policy, NOW, 0)).toThrow(/attempts/);
    expect(() => nextRetryAt(1.5, policy, NOW, 0)).toThrow(/attempts/);
    expect(() => nextRetryAt(1, { ...policy, maxMs: 100 }, NOW, 0)).toThrow(/baseMs <= maxMs/);
    expect(() => nextRetryAt(1, { ...policy, jitter: 1.5 }, NOW, 0)).toThrow(/jitter/);
    expect(() => nextRetryAt(1, policy, NOW, 1)).toThrow(/random/);
  });
});
