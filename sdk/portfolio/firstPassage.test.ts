import { describe, expect, it } from "vitest";
import { seededUniform } from "../../test/helpers/random.ts";
import { erfc, firstPassage, normalCdf, SECONDS_PER_YEAR } from "./firstPassage.ts";

describe("erfc and Φ", () => {
  it.each([
    [0, 1],
    [0.5, 0.4795001221869535],
    [1, 0.15729920705028513],
    [2, 0.004677734981047266],
    [4, 1.541725790028002e-8],
    [-1, 1.8427007929497148],
  ])("erfc(%d) within 1.2e-7 relative", (x, expected) => {
    expect(Math.abs(erfc(x) - expected) / expected).toBeLessThan(1.2e-7);
  });

  it("Φ is the standard normal CDF", () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 7);
    expect(normalCdf(-1.959963984540054)).toBeCloseTo(0.025, 7);
  });
});

describe("firstPassage", () => {
  it("is 2·Φ(−a/(σ√T)) and measures the move in σ", () => {
    const year = SECONDS_PER_YEAR;
    const result = firstPassage({ price: 100, level: 80, sigma: 0.5, horizon: year / 4 });
    const a = Math.log(100 / 80);
    expect(result.logDistance).toBeCloseTo(a, 14);
    expect(result.sigmas).toBeCloseTo(a / 0.5, 14);
    expect(result.horizonSigmas).toBeCloseTo(a / (0.5 * 0.5), 14);
    expect(result.probability).toBeCloseTo(2 * normalCdf(-a / 0.25), 12);
    // Symmetric in the log: a rise to 125 is as far as a fall to 80.
    expect(firstPassage({ price: 100, level: 125, sigma: 0.5, horizon: year / 4 }).probability).toBeCloseTo(
      result.probability,
      12,
    );
  });

  it("handles the degenerate cases", () => {
    expect(firstPassage({ price: 100, level: 100, sigma: 0.5, horizon: 1 }).probability).toBe(1);
    expect(firstPassage({ price: 100, level: 50, sigma: 0, horizon: 86_400 })).toMatchObject({
      probability: 0,
      sigmas: Infinity,
    });
    expect(firstPassage({ price: 100, level: 50, sigma: 0.5, horizon: 0 }).probability).toBe(0);
  });

  it("agrees with a simulation of the running minimum of Brownian paths", () => {
    // Driftless log-price paths, σ = 0.6, one month, a barrier 10% below: count the paths that touch it.
    const sigma = 0.6;
    const years = 30 / 365;
    const steps = 500;
    const paths = 6000;
    const stepSd = sigma * Math.sqrt(years / steps);
    const next = seededUniform(12345);
    // Half a step off zero, so the logarithm below stays finite.
    const uniform = () => next() + 0.5 / 2 ** 32;
    const gaussian = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    const barrier = Math.log(0.9);
    let hits = 0;
    for (let path = 0; path < paths; path++) {
      let x = 0;
      for (let step = 0; step < steps; step++) {
        x += stepSd * gaussian();
        if (x <= barrier) {
          hits++;
          break;
        }
      }
    }
    // Monitoring at discrete steps misses crossings in between, which is the continuous probability of a
    // barrier 0.5826·σ·√Δt further away (Broadie–Glasserman); within three standard errors of the estimate.
    const shifted = Math.exp(barrier - 0.5826 * stepSd);
    const { probability } = firstPassage({ price: 1, level: shifted, sigma, horizon: years * SECONDS_PER_YEAR });
    const standardError = Math.sqrt((probability * (1 - probability)) / paths);
    expect(Math.abs(hits / paths - probability)).toBeLessThan(3 * standardError);
  });
});
