import type { Address } from "viem";
import { describe, expect, it } from "vitest";
import { renderLiquidationRisk } from "../../relayer/cli/commands/risk.ts";
import type { GetLiquidationRiskReturnType } from "../../sdk/actions/getLiquidationRisk.ts";
import { firstPassage } from "../../sdk/portfolio/firstPassage.ts";
import { parseWad } from "../../sdk/risk/index.ts";
import { priceId, wad } from "../../sdk/test-utils/fixture.ts";
import { loadVectors } from "../vectors/index.ts";
import { runCli } from "./run.ts";

interface Vector {
  name: string;
  expect: Record<string, unknown>;
}

const vectors = loadVectors<Vector[]>("risk.json");
const TOLERANCE = 10n ** 9n;

/** Every leaf of `actual` within 1e-9 of `expected` (decimal strings), other leaves equal. */
function expectClose(actual: unknown, expected: unknown, path: string): void {
  if (typeof expected === "string" && typeof actual === "string" && /^-?[\d.]+$/.test(expected)) {
    const difference = parseWad(actual) - parseWad(expected);
    expect(difference < 0n ? -difference : difference, `${path}: ${actual} vs ${expected}`).toBeLessThanOrEqual(
      TOLERANCE,
    );
  } else if (expected !== null && typeof expected === "object") {
    for (const [key, value] of Object.entries(expected)) {
      expectClose((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
    }
  } else {
    expect(actual, path).toEqual(expected);
  }
}

describe("xmargin risk", () => {
  it.each([
    ["in TypeScript", []],
    ["through the compiled contract", ["--onchain"]],
  ])("reproduces every shipped vector %s", async (_label, flags) => {
    const { code, stdout, stderr } = await runCli(["risk", ...flags, "test/vectors/risk.json"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const results = JSON.parse(stdout) as { name: string; result: unknown }[];
    expect(results.map((r) => r.name)).toEqual(vectors.map((v) => v.name));
    for (const [index, vector] of vectors.entries()) expectClose(results[index]?.result, vector.expect, vector.name);
  });

  it.each([
    [["risk"], /missing FILE\.json/],
    [["risk", "does-not-exist.json"], /cannot read does-not-exist\.json: ENOENT/],
    [["risk", "package.json"], /invalid risk scenario file/],
    [["risk", "--bogus", "x.json"], /Unknown option '--bogus'/],
  ])("bad input %j fails with a clear error and no stack trace", async (args, message) => {
    const { code, stderr } = await runCli(args);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe("xmargin risk --account: the table", () => {
  const account = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as Address;
  const week = 7 * 86_400;
  // Long ETH-PERP liquidated at 2826.24 (σ 80 %), USDC collateral without a volatility estimate.
  const perp = firstPassage({ price: 3000, level: 2826.24, sigma: 0.8, horizon: week });
  const result: GetLiquidationRiskReturnType = {
    account,
    blockNumber: 42n,
    horizon: week,
    liquidatableNow: false,
    probability: perp.probability,
    probabilityUpperBound: perp.probability,
    factors: [
      {
        priceId: priceId("ETH-PERP"),
        labels: ["ETH-PERP"],
        currentPrice: wad("3000"),
        price: wad("2826.24"),
        direction: "down",
        liquidatableNow: false,
        sigma: wad("0.8"),
        ...perp,
      },
      {
        priceId: priceId("USDC"),
        labels: ["USDC"],
        currentPrice: wad("1"),
        price: wad("0.3"),
        direction: "down",
        liquidatableNow: false,
        sigma: 0n,
        ...firstPassage({ price: 1, level: 0.3, sigma: 0, horizon: week }),
      },
    ],
  };

  it("shows per price the level, the move, σ, the distances and the probability, then the account's", () => {
    const text = renderLiquidationRisk(result, "devnet").join("\n");
    expect(text).toContain(`liquidation risk of ${account} within 7 days on devnet (hub block 42)`);
    const probability = `${(perp.probability * 100).toFixed(2)}%`;
    expect(perp.probability).toBeGreaterThan(0.3);
    expect(text).toMatch(
      new RegExp(
        `\n {2}ETH-PERP +3000 +2826\\.24 \\(below\\) +-5\\.79% +80% +${perp.sigmas.toFixed(3)} +${perp.horizonSigmas.toFixed(3)} +${probability}\n`,
      ),
    );
    expect(text).toMatch(/\n {2}USDC +1 +0\.3 \(below\) +-70\.00% +— +— +— +0%\n/);
    expect(text).toContain(
      `probability of liquidation within 7 days: at least ${probability} (the likeliest price), at most ${probability}`,
    );
    expect(text).toContain("σ —: the oracle keeps no volatility estimate for USDC;");
  });

  it("says when the account is liquidatable now, and when there is nothing to liquidate", () => {
    const now = renderLiquidationRisk(
      {
        ...result,
        liquidatableNow: true,
        probability: 1,
        probabilityUpperBound: 1,
        factors: result.factors.map((factor) => ({
          ...factor,
          liquidatableNow: true,
          price: factor.currentPrice,
          probability: 1,
        })),
      },
      "devnet",
    ).join("\n");
    expect(now).toMatch(/\n {2}ETH-PERP +3000 +now +0% +80% .* 100%\n/);
    expect(now).toContain("liquidatable now: YES");
    const empty = renderLiquidationRisk({ ...result, factors: [], probability: 0, probabilityUpperBound: 0 }, "devnet");
    expect(empty.at(-1)).toBe("  no collateral and no positions: nothing to liquidate");
  });
});
