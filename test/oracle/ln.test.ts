import hre from "hardhat";
import { beforeAll, describe, expect, it } from "vitest";
import { seededUniform } from "../helpers/random.ts";
import { WAD } from "./fixtures.ts";

async function deployHarness() {
  const connection = await hre.network.connect({ network: "hub" });
  return { viem: connection.viem, math: await connection.viem.deployContract("TestLogMath") };
}

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
const random = seededUniform;

/** A bigint drawn log-uniformly from [10^lo, 10^hi]. */
function logUniform(next: () => number, lo: number, hi: number): bigint {
  const exponent = lo + (hi - lo) * next();
  const whole = Math.floor(exponent);
  const mantissa = BigInt(Math.floor(10 ** (exponent - whole) * 1e15));
  return whole >= 15 ? mantissa * 10n ** BigInt(whole - 15) : mantissa / 10n ** BigInt(15 - whole) + 1n;
}

/** ln(a/b) in double precision without cancellation: log1p of the difference over the smaller term. */
function reference(a: bigint, b: bigint): number {
  return a >= b ? Math.log1p(Number(a - b) / Number(b)) : -Math.log1p(Number(b - a) / Number(a));
}

describe("LogMath.lnRatio", () => {
  let h: Awaited<ReturnType<typeof deployHarness>>;
  beforeAll(async () => {
    h = await deployHarness();
  });

  it("matches exact values", async () => {
    expect(await h.math.read.lnRatio([WAD, WAD])).toBe(0n);
    expect(await h.math.read.lnRatio([2n * WAD, WAD])).toBe(693_147_180_559_945_309n);
    expect(await h.math.read.lnRatio([WAD, 2n * WAD])).toBe(-693_147_180_559_945_309n);
    // ln(1 + 1e-9) = 1e-9 − 5e-19 + …, rounded toward zero.
    expect(await h.math.read.lnRatio([WAD + 10n ** 9n, WAD])).toBe(999_999_999n);
    expect(await h.math.read.lnRatio([WAD, WAD + 10n ** 9n])).toBe(-999_999_999n);
    // e to 18 decimals is 2.718281828459045235|36…: its log is 1 − 1.3e-19.
    expect(await h.math.read.lnRatio([2_718_281_828_459_045_235n, WAD])).toBe(WAD - 1n);
  });

  it("reverts LnOfZero on a zero term", async () => {
    await h.viem.assertions.revertWithCustomError(h.math.read.lnRatio([0n, WAD]), h.math, "LnOfZero");
    await h.viem.assertions.revertWithCustomError(h.math.read.lnRatio([WAD, 0n]), h.math, "LnOfZero");
  });

  it("agrees with Math.log1p over random ratios near 1 and far from it", async () => {
    const next = random(0x5eed);
    const a: bigint[] = [];
    const b: bigint[] = [];
    for (let i = 0; i < 600; i++) {
      const base = logUniform(next, 6, 30);
      // Two thirds are price moves of 1e-12 … 50% either way (the estimator's inputs); the rest span 1e-30 … 1e30.
      if (i % 3 !== 2) {
        const move = (base * logUniform(next, 6, 17.7)) / WAD;
        a.push(next() < 0.5 ? base + move : base - move);
        b.push(base);
      } else {
        a.push(logUniform(next, 0, 48));
        b.push(logUniform(next, 0, 48));
      }
    }
    const results = await h.math.read.lnRatios([a, b]);
    results.forEach((result, i) => {
      const expected = reference(a[i] as bigint, b[i] as bigint) * 1e18;
      const error = Math.abs(Number(result) - expected);
      // Exact to a few wei (1e-18), up to double-precision noise in the reference and in converting `result`:
      // for any return above 1e-9 that is far inside the 1e-9 relative accuracy the estimator needs.
      expect(error, `ln(${a[i]}/${b[i]})`).toBeLessThanOrEqual(4 + Math.abs(expected) * 1e-14);
    });
  });
});
