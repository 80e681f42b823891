import { describe, expect, it } from "vitest";
import { outcomeMismatches } from "../../test/risk/expectations.ts";
import { loadVectors } from "../../test/vectors/index.ts";
import { evaluateScenarios, RiskInputError } from "./index.ts";

const vectors = loadVectors<{ name: string; expect: unknown }[]>("risk.json");

describe("risk vectors (TypeScript)", () => {
  const results = evaluateScenarios(vectors);

  it("evaluates every scenario in order", () => {
    expect(results.map((r) => r.name)).toEqual(vectors.map((v) => v.name));
  });

  it.each(vectors.map((vector, i) => [vector.name, vector.expect, i] as const))(
    "%s matches within 1e-9 on every field",
    (_name, expected, i) => {
      expect(outcomeMismatches(expected, results[i]?.result)).toEqual([]);
    },
  );
});

describe("malformed scenario files", () => {
  // Scenarios are edited freely here to break them, so they are typed loosely on purpose.
  // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed JSON
  type Scenario = Record<string, any>;
  const valid = (): Scenario => structuredClone(vectors.find((v) => v.name === "V4")) as Scenario;
  const issuesOf = (error: RiskInputError) => error.details.issues as { field: string; message: string }[];

  const errorOf = (json: unknown): RiskInputError => {
    try {
      evaluateScenarios(json);
    } catch (error) {
      if (error instanceof RiskInputError) return error;
      throw error;
    }
    throw new Error("the file was accepted");
  };

  it("accepts a scenario without expectations, volatility or funding", () => {
    const { expect: _expected, ...scenario } = valid();
    expect(evaluateScenarios([scenario])[0]?.result.liquidation?.kind).toBe("perp");
  });

  it.each([
    [
      "a weight above 1",
      (s: Scenario) => Object.assign(s, { params: { ...s.params, pnlWeightInit: "1.2" } }),
      "scenarios[0].params.pnlWeightInit",
      /^1\.2 must be between 0 and 1$/,
    ],
    [
      "a number instead of a decimal string",
      (s: Scenario) => {
        s.params.assets.WETH.weightInit = 0.8;
      },
      "scenarios[0].params.assets.WETH.weightInit",
      /^expected a decimal string, got 0\.8$/,
    ],
    [
      "more than 18 decimals",
      (s: Scenario) => {
        s.account.collateral[0].amount = "1.0000000000000000001";
      },
      "scenarios[0].account.collateral[0].amount",
      /^"1\.0000000000000000001" has more than 18 decimals$/,
    ],
    [
      "a misspelt key",
      (s: Scenario) => {
        s.params.chains.B = { hairCut: "0.02" };
      },
      "scenarios[0].params.chains.B",
      /hairCut/,
    ],
    [
      "a missing field",
      (s: Scenario) => {
        delete s.account.settleBalance;
      },
      "scenarios[0].account.settleBalance",
      /^required$/,
    ],
    [
      "an unknown chain",
      (s: Scenario) => {
        s.account.collateral[1].chain = "Z";
      },
      "scenarios[0].account.collateral[1].chain",
      /^unknown chain "Z" \(not in params\.chains\)$/,
    ],
    [
      "a name only the prototype knows",
      (s: Scenario) => {
        s.account.collateral[1].chain = "constructor";
      },
      "scenarios[0].account.collateral[1].chain",
      /^unknown chain "constructor"/,
    ],
    [
      "a missing price",
      (s: Scenario) => {
        delete s.prices["ETH-PERP"];
      },
      "scenarios[0].prices",
      /^missing a price for "ETH-PERP"$/,
    ],
    [
      "a volatility below 1",
      (s: Scenario) => Object.assign(s, { volatility: { assets: { WETH: { init: "0.5", maint: "1" } } } }),
      "scenarios[0].volatility.assets.WETH.init",
      /^0\.5 must be between 1 and/,
    ],
    [
      "a liquidation of a market without a position",
      (s: Scenario) => Object.assign(s, { liquidate: { kind: "perp", market: "BTC-PERP" } }),
      "scenarios[0].liquidate.market",
      /^the account has no position in "BTC-PERP"$/,
    ],
    [
      "an unknown liquidation kind",
      (s: Scenario) => Object.assign(s, { liquidate: { kind: "spot", market: "ETH-PERP" } }),
      "scenarios[0].liquidate.kind",
      /./,
    ],
  ])("rejects %s, naming the field", (_label, edit, field, message) => {
    const scenario = valid();
    edit(scenario);
    const error = errorOf([scenario]);
    expect(error.message).toContain(`${field} (scenario "V4"): `);
    expect(issuesOf(error)).toContainEqual({ field, scenario: "V4", message: expect.stringMatching(message) });
  });

  it("rejects a file that is not an array", () => {
    expect(errorOf({ scenarios: [] }).message).toMatch(/scenarios: expected an array of scenarios/);
  });

  it("lists every problem at once", () => {
    const s = valid();
    s.params.liquidationFee = "-0.01";
    s.prices.USDC = "0";
    const error = errorOf([valid(), s]);
    expect(issuesOf(error).map((issue) => issue.field)).toEqual([
      "scenarios[1].params.liquidationFee",
      "scenarios[1].prices.USDC",
    ]);
    expect(error.message).toMatch(/scenarios\[1\]\.prices\.USDC \(scenario "V4"\): 0 must be positive/);
  });
});
