import hre from "hardhat";
import { beforeAll, describe, expect, it } from "vitest";
import {
  evaluateScenarios,
  evaluateScenariosOnchain,
  healthBreakdown,
  healthBreakdownArgs,
  healthBreakdownOnchain,
  parseWad,
  RiskInputError,
  type RiskInputs,
  riskMathHarnessAbi,
  SPEC_RISK_PARAMS,
  WAD,
} from "../../sdk/risk/index.ts";
import { loadVectors } from "../vectors/index.ts";
import { outcomeMismatches } from "./expectations.ts";
import { deployRiskMathHarness } from "./harness.ts";

const vectors = loadVectors<{ name: string; expect: unknown }[]>("risk.json");

let harness: Awaited<ReturnType<typeof deployRiskMathHarness>>;

const params = SPEC_RISK_PARAMS;

beforeAll(async () => {
  harness = await deployRiskMathHarness();
});

/** Drops what only the compiler's artifact carries (internalType, empty names), to compare with a human-readable ABI. */
function withoutInternalTypes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutInternalTypes);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key, field]) => key !== "internalType" && !(key === "name" && field === ""))
      .map(([key, field]) => [key, withoutInternalTypes(field)]),
  );
}

describe("RiskMathHarness", () => {
  it("has exactly the ABI that sdk/risk/onchain.ts calls", async () => {
    const artifact = await hre.artifacts.readArtifact("RiskMathHarness");
    const byName = (abi: readonly unknown[]) =>
      Object.fromEntries((abi as { type: string; name: string }[]).map((item) => [`${item.type} ${item.name}`, item]));
    expect(withoutInternalTypes(byName(artifact.abi))).toEqual(byName(riskMathHarnessAbi));
  });

  it("reverts outside the input domain, where the SDK refuses instead", async () => {
    const inputs: RiskInputs = {
      params: params,
      assets: [{ price: 1n << 200n, weightInit: WAD, weightMaint: WAD, sizeFactor: 0n, kInit: WAD, kMaint: WAD }],
      markets: [],
      account: { collateral: [{ assetIndex: 0, haircut: 0n, amount: 1n << 100n }], settleBalance: 0n, positions: [] },
    };
    await expect(healthBreakdownOnchain(harness.target, inputs)).rejects.toThrow(/FixedPointOverflow/);
    expect(() => healthBreakdown(inputs)).toThrow(RiskInputError);
  });

  describe("risk vectors (Solidity)", () => {
    let onchain: Awaited<ReturnType<typeof evaluateScenariosOnchain>>;
    beforeAll(async () => {
      onchain = await evaluateScenariosOnchain(vectors, harness.target);
    });

    it.each(vectors.map((vector, i) => [vector.name, vector.expect, i] as const))(
      "%s matches within 1e-9 on every field",
      (_name, expected, i) => {
        expect(outcomeMismatches(expected, onchain[i]?.result)).toEqual([]);
      },
    );

    it("agrees with the TypeScript evaluation to the wei", () => {
      expect(onchain).toEqual(evaluateScenarios(vectors));
    });
  });

  it("evaluates 6 collateral entries and 4 positions within 120k gas", async () => {
    const w = (decimal: string) => parseWad(decimal);
    const asset = (price: string, weightInit: string, weightMaint: string, sizeFactor: string) => ({
      price: w(price),
      weightInit: w(weightInit),
      weightMaint: w(weightMaint),
      sizeFactor: w(sizeFactor),
      kInit: w("1.7"),
      kMaint: w("1.3"),
    });
    const market = (markPrice: string) => ({
      markPrice: w(markPrice),
      marginInit: w("0.05"),
      marginMaint: w("0.03"),
      sizeFactor: w("0.0005"),
      lotSize: w("0.001"),
      kInit: w("1.7"),
      kMaint: w("1.3"),
    });
    // Worst case: every asset and market pays for a square root (size discount / premium enabled).
    const inputs: RiskInputs = {
      params: params,
      assets: [
        asset("1.0001", "1", "1", "0.0001"),
        asset("3012.45", "0.8", "0.85", "0.005"),
        asset("61234.5", "0.75", "0.8", "0.002"),
        asset("148.27", "0.7", "0.75", "0.01"),
      ],
      markets: [market("3012.45"), market("61234.5"), market("148.27"), market("0.5312")],
      account: {
        collateral: [
          { assetIndex: 0, haircut: 0n, amount: w("12500.25") },
          { assetIndex: 1, haircut: w("0.02"), amount: w("5.123456789") },
          { assetIndex: 1, haircut: w("0.05"), amount: w("2.5") },
          { assetIndex: 2, haircut: w("0.02"), amount: w("0.2") },
          { assetIndex: 3, haircut: 0n, amount: w("40.75") },
          { assetIndex: 0, haircut: w("0.05"), amount: w("999.999999") },
        ],
        settleBalance: w("-1234.56789"),
        positions: [
          { marketIndex: 0, size: w("10.5"), entryPrice: w("2950.1"), fundingOwed: w("12.34") },
          { marketIndex: 1, size: w("-0.75"), entryPrice: w("60000"), fundingOwed: w("-3.21") },
          { marketIndex: 2, size: w("-120"), entryPrice: w("150.5"), fundingOwed: w("0.5") },
          { marketIndex: 3, size: w("25000"), entryPrice: w("0.55"), fundingOwed: w("-7.5") },
        ],
      },
    };
    const gas = await harness.client.estimateContractGas({
      address: harness.target.address,
      abi: riskMathHarnessAbi,
      functionName: "healthBreakdown",
      args: healthBreakdownArgs(inputs),
    });
    console.info(`RiskMath.healthBreakdown, 6 collateral entries + 4 positions: estimateGas ${gas}`);
    expect(gas).toBeLessThanOrEqual(120_000n);
  });
});
