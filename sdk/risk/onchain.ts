/**
 * The same evaluations run by contracts/test/RiskMathHarness.sol (which exposes contracts/libraries/RiskMath.sol)
 * through any viem client, e.g. for `xmargin risk --onchain` and the differential tests.
 */
import { type Address, type Client, parseAbi } from "viem";
import { readContract } from "viem/actions";
import type { ScenarioResult } from "./scenario.ts";
import {
  inScenario,
  type LiquidationResult,
  liquidationRequest,
  parseScenarios,
  planScenario,
  scenarioOutcome,
} from "./scenario.ts";
import type {
  CollateralLiquidation,
  CollateralLiquidationRequest,
  HealthBreakdown,
  PerpLiquidation,
  PerpLiquidationRequest,
  RiskInputs,
} from "./types.ts";

export const riskMathHarnessAbi = parseAbi([
  "error FixedPointOverflow()",
  "error SafeCastOverflowedUintToInt(uint256 value)",
  "struct RiskParams { uint256 pnlWeightInit; uint256 liquidationBuffer; uint256 liquidationFee; uint256 liquidationFeeInsuranceShare; uint256 collateralBonus; uint256 collateralBonusProtocolShare; }",
  "struct AssetRisk { uint256 price; uint256 weightInit; uint256 weightMaint; uint256 sizeFactor; uint256 kInit; uint256 kMaint; }",
  "struct MarketRisk { uint256 markPrice; uint256 marginInit; uint256 marginMaint; uint256 sizeFactor; uint256 lotSize; uint256 kInit; uint256 kMaint; }",
  "struct CollateralRisk { uint256 assetIndex; uint256 haircut; uint256 amount; }",
  "struct PositionRisk { uint256 marketIndex; int256 size; uint256 entryPrice; int256 fundingOwed; }",
  "struct HealthBreakdown { uint256 collateralValueInit; uint256 collateralValueMaint; int256 pnlInit; int256 pnlMaint; uint256 debt; int256 equityInit; int256 equityMaint; uint256 requirementInit; uint256 requirementMaint; int256 healthInit; int256 healthMaint; int256 healthLiquidationEnd; bool hasHealthRatioMaint; int256 healthRatioMaint; int256 unweightedEquity; uint256 notional; bool liquidatable; }",
  "struct PerpLiquidation { uint256 size; uint256 fee; uint256 feeToLiquidator; uint256 feeToInsurance; }",
  "struct CollateralLiquidation { uint256 repay; uint256 seized; uint256 seizedToLiquidator; uint256 seizedToProtocol; }",
  "function healthBreakdown(RiskParams params, AssetRisk[] assets, MarketRisk[] markets, CollateralRisk[] collateral, int256 settleBalance, PositionRisk[] positions) pure returns (HealthBreakdown)",
  "function perpLiquidation(RiskParams params, MarketRisk market, int256 positionSize, int256 healthLiquidationEnd) pure returns (PerpLiquidation)",
  "function collateralLiquidation(RiskParams params, AssetRisk asset, uint256 assetTotal, uint256 haircut, uint256 amount, uint256 debt, int256 healthLiquidationEnd) pure returns (CollateralLiquidation)",
]);

/** A deployed RiskMathHarness and a client that can call it. */
export interface RiskMathHarnessTarget {
  client: Client;
  address: Address;
}

/** Arguments of `RiskMathHarness.healthBreakdown` (and of `RiskMath.healthBreakdown`) for these inputs. */
export function healthBreakdownArgs({ params, assets, markets, account }: RiskInputs) {
  return [
    params,
    assets,
    markets,
    account.collateral.map((entry) => ({ ...entry, assetIndex: BigInt(entry.assetIndex) })),
    account.settleBalance,
    account.positions.map((position) => ({ ...position, marketIndex: BigInt(position.marketIndex) })),
  ] as const;
}

type HealthBreakdownStruct = Awaited<ReturnType<typeof readHealthBreakdown>>;

function readHealthBreakdown({ client, address }: RiskMathHarnessTarget, inputs: RiskInputs) {
  return readContract(client, {
    address,
    abi: riskMathHarnessAbi,
    functionName: "healthBreakdown",
    args: healthBreakdownArgs(inputs),
  });
}

/** Converts the flat Solidity `HealthBreakdown` into the SDK's shape. */
export function fromHealthBreakdownStruct(struct: HealthBreakdownStruct): HealthBreakdown {
  return {
    collateralValue: { init: struct.collateralValueInit, maint: struct.collateralValueMaint },
    pnl: { init: struct.pnlInit, maint: struct.pnlMaint },
    debt: struct.debt,
    equity: { init: struct.equityInit, maint: struct.equityMaint },
    requirement: { init: struct.requirementInit, maint: struct.requirementMaint },
    health: { init: struct.healthInit, maint: struct.healthMaint, liquidationEnd: struct.healthLiquidationEnd },
    healthRatioMaint: struct.hasHealthRatioMaint ? struct.healthRatioMaint : null,
    unweightedEquity: struct.unweightedEquity,
    notional: struct.notional,
    liquidatable: struct.liquidatable,
  };
}

/** `healthBreakdown` evaluated by the harness. */
export async function healthBreakdownOnchain(
  harness: RiskMathHarnessTarget,
  inputs: RiskInputs,
): Promise<HealthBreakdown> {
  return fromHealthBreakdownStruct(await readHealthBreakdown(harness, inputs));
}

/** `perpLiquidation` evaluated by the harness. */
export async function perpLiquidationOnchain(
  { client, address }: RiskMathHarnessTarget,
  { params, market, positionSize, healthLiquidationEnd }: PerpLiquidationRequest,
): Promise<PerpLiquidation> {
  return readContract(client, {
    address,
    abi: riskMathHarnessAbi,
    functionName: "perpLiquidation",
    args: [params, market, positionSize, healthLiquidationEnd],
  });
}

/** `collateralLiquidation` evaluated by the harness. */
export async function collateralLiquidationOnchain(
  { client, address }: RiskMathHarnessTarget,
  { params, asset, assetTotal, haircut, amount, debt, healthLiquidationEnd }: CollateralLiquidationRequest,
): Promise<CollateralLiquidation> {
  return readContract(client, {
    address,
    abi: riskMathHarnessAbi,
    functionName: "collateralLiquidation",
    args: [params, asset, assetTotal, haircut, amount, debt, healthLiquidationEnd],
  });
}

/** `evaluateScenarios`, with every number computed by the deployed harness instead of the SDK. */
export async function evaluateScenariosOnchain(
  json: unknown,
  harness: RiskMathHarnessTarget,
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const [index, scenario] of parseScenarios(json).entries()) {
    const plan = planScenario(scenario);
    try {
      const breakdown = await healthBreakdownOnchain(harness, plan.inputs);
      const call = liquidationRequest(plan, breakdown);
      let liquidation: LiquidationResult | undefined;
      if (call?.kind === "perp")
        liquidation = { kind: "perp", result: await perpLiquidationOnchain(harness, call.request) };
      if (call?.kind === "collateral") {
        liquidation = { kind: "collateral", result: await collateralLiquidationOnchain(harness, call.request) };
      }
      results.push({ name: plan.name, result: scenarioOutcome(plan, breakdown, liquidation) });
    } catch (error) {
      throw inScenario(error, plan, index);
    }
  }
  return results;
}
