/**
 * Risk scenarios in the format of test/vectors/risk.json: named parameters, prices, volatility and an
 * account, evaluated to the decimal-string shape of each scenario's `expect`.
 */
import { z } from "zod/v4";
import { MAX_FACTOR, MAX_PRICE, MAX_QUANTITY, MAX_SIGNED_QUANTITY } from "./domain.ts";
import { RiskInputError } from "./errors.ts";
import { formatWad, parseWad, WAD } from "./fixed.ts";
import { assetTotals, healthBreakdown } from "./health.ts";
import { collateralLiquidation, perpLiquidation } from "./liquidation.ts";
import type {
  CollateralLiquidation,
  CollateralLiquidationRequest,
  HealthBreakdown,
  PerpLiquidation,
  PerpLiquidationRequest,
  RiskInputs,
  Tiered,
} from "./types.ts";

function decimal(min: bigint, max: bigint, range: string) {
  return z
    .string({
      error: (issue) =>
        issue.input === undefined ? "required" : `expected a decimal string, got ${JSON.stringify(issue.input)}`,
    })
    .transform((text, ctx) => {
      let value: bigint;
      try {
        value = parseWad(text);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
      if (value < min || value > max) {
        ctx.addIssue({ code: "custom", message: `${text} must be ${range}` });
        return z.NEVER;
      }
      return value;
    });
}

const fraction = decimal(0n, WAD, "between 0 and 1");
const factor = decimal(0n, MAX_FACTOR, `between 0 and ${formatWad(MAX_FACTOR)}`);
const volatilityMultiplier = decimal(WAD, MAX_FACTOR, `between 1 and ${formatWad(MAX_FACTOR)}`);
const price = decimal(1n, MAX_PRICE, `positive and at most ${formatWad(MAX_PRICE)}`);
const quantity = decimal(0n, MAX_QUANTITY, `between 0 and ${formatWad(MAX_QUANTITY)}`);
const lotSize = decimal(1n, MAX_QUANTITY, `positive and at most ${formatWad(MAX_QUANTITY)}`);
const signedQuantity = decimal(
  -MAX_SIGNED_QUANTITY,
  MAX_SIGNED_QUANTITY,
  `between -${formatWad(MAX_SIGNED_QUANTITY)} and ${formatWad(MAX_SIGNED_QUANTITY)}`,
);
const name = z.string().min(1);
const tieredMultiplier = z.strictObject({ init: volatilityMultiplier, maint: volatilityMultiplier });

const paramsSchema = z.strictObject({
  assets: z.record(name, z.strictObject({ weightInit: fraction, weightMaint: fraction, sizeFactor: factor })),
  chains: z.record(name, z.strictObject({ haircut: fraction })),
  markets: z.record(
    name,
    z.strictObject({ marginInit: factor, marginMaint: factor, sizeFactor: factor, lotSize: lotSize }),
  ),
  pnlWeightInit: fraction,
  liquidationBuffer: factor,
  liquidationFee: factor,
  liquidationFeeInsuranceShare: fraction,
  collateralBonus: factor,
  collateralBonusProtocolShare: fraction,
});

const accountSchema = z.strictObject({
  collateral: z.array(z.strictObject({ chain: name, asset: name, amount: quantity })),
  settleBalance: signedQuantity,
  positions: z.array(
    z.strictObject({ market: name, size: signedQuantity, entryPrice: price, fundingOwed: signedQuantity.optional() }),
  ),
});

const liquidateSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("perp"), market: name }),
  z.strictObject({ kind: z.literal("collateral"), chain: name, asset: name }),
]);

type ParsedScenario = z.output<typeof scenarioObjectSchema>;

const scenarioObjectSchema = z.strictObject({
  name,
  description: z.string().optional(),
  params: paramsSchema,
  prices: z.record(name, price),
  volatility: z
    .strictObject({
      assets: z.record(name, tieredMultiplier).optional(),
      markets: z.record(name, tieredMultiplier).optional(),
    })
    .optional(),
  account: accountSchema,
  liquidate: liquidateSchema.optional(),
  // Expectations are for tests to compare against; evaluation ignores them.
  expect: z.unknown().optional(),
});

/** The record's own entry for `key`: names like "constructor" must not resolve through the prototype. */
function own<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

function checkReferences(scenario: ParsedScenario, ctx: z.RefinementCtx): void {
  const { params, prices, account, volatility, liquidate } = scenario;
  const problem = (path: PropertyKey[], message: string) => ctx.addIssue({ code: "custom", path, message });
  for (const [i, entry] of account.collateral.entries()) {
    if (own(params.chains, entry.chain) === undefined) {
      problem(["account", "collateral", i, "chain"], `unknown chain "${entry.chain}" (not in params.chains)`);
    }
    if (own(params.assets, entry.asset) === undefined) {
      problem(["account", "collateral", i, "asset"], `unknown asset "${entry.asset}" (not in params.assets)`);
    } else if (own(prices, entry.asset) === undefined) {
      problem(["prices"], `missing a price for "${entry.asset}"`);
    }
  }
  const positionMarkets = new Set<string>();
  for (const [i, position] of account.positions.entries()) {
    if (own(params.markets, position.market) === undefined) {
      problem(["account", "positions", i, "market"], `unknown market "${position.market}" (not in params.markets)`);
    } else if (own(prices, position.market) === undefined) {
      problem(["prices"], `missing a price for "${position.market}"`);
    }
    if (positionMarkets.has(position.market)) {
      problem(["account", "positions", i, "market"], `second position in "${position.market}"`);
    }
    positionMarkets.add(position.market);
  }
  for (const asset of Object.keys(volatility?.assets ?? {})) {
    if (own(params.assets, asset) === undefined) {
      problem(["volatility", "assets", asset], `unknown asset "${asset}" (not in params.assets)`);
    }
  }
  for (const market of Object.keys(volatility?.markets ?? {})) {
    if (own(params.markets, market) === undefined) {
      problem(["volatility", "markets", market], `unknown market "${market}" (not in params.markets)`);
    }
  }
  if (liquidate?.kind === "perp" && !positionMarkets.has(liquidate.market)) {
    problem(["liquidate", "market"], `the account has no position in "${liquidate.market}"`);
  }
  if (liquidate?.kind === "collateral") {
    const { chain, asset } = liquidate;
    if (!account.collateral.some((e) => e.chain === chain && e.asset === asset)) {
      problem(["liquidate"], `the account has no "${asset}" collateral on chain "${chain}"`);
    }
  }
}

const scenariosSchema = z.array(scenarioObjectSchema.superRefine(checkReferences), {
  error: "expected an array of scenarios",
});

/** A validated scenario; decimals are WAD bigints. */
export type Scenario = ParsedScenario;
export type ScenarioParams = Scenario["params"];
export type Prices = Scenario["prices"];
export type Volatility = NonNullable<Scenario["volatility"]>;
export type Account = Scenario["account"];
export type LiquidationSpec = NonNullable<Scenario["liquidate"]>;

/** A scenario mapped onto the indexed inputs of the risk math (and of contracts/test/RiskMathHarness.sol). */
export interface ScenarioPlan {
  name: string;
  inputs: RiskInputs;
  liquidation?:
    | { kind: "perp"; market: string; marketIndex: number; positionSize: bigint }
    | { kind: "collateral"; chain: string; asset: string; assetIndex: number; haircut: bigint; amount: bigint };
}

export type LiquidationRequest =
  | { kind: "perp"; request: PerpLiquidationRequest }
  | { kind: "collateral"; request: CollateralLiquidationRequest };

export type LiquidationResult =
  | { kind: "perp"; result: PerpLiquidation }
  | { kind: "collateral"; result: CollateralLiquidation };

interface TieredOutcome {
  init: string;
  maint: string;
}

export type LiquidationOutcome =
  | { kind: "perp"; market: string; size: string; fee: string; feeToLiquidator: string; feeToInsurance: string }
  | {
      kind: "collateral";
      chain: string;
      asset: string;
      repay: string;
      seized: string;
      seizedToLiquidator: string;
      seizedToProtocol: string;
    };

/** The shape of a scenario's `expect`: decimal strings. */
export interface ScenarioOutcome {
  collateralValue: TieredOutcome;
  pnl: TieredOutcome;
  debt: string;
  equity: TieredOutcome;
  requirement: TieredOutcome;
  health: TieredOutcome & { liquidationEnd: string };
  healthRatioMaint: string | null;
  unweightedEquity: string;
  notional: string;
  liquidatable: boolean;
  liquidation?: LiquidationOutcome;
}

export interface ScenarioResult {
  name: string;
  result: ScenarioOutcome;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key) => (typeof key === "number" ? `[${key}]` : `.${String(key)}`)).join("");
}

function scenarioName(json: unknown, index: number): string | undefined {
  const candidate = Array.isArray(json) ? (json[index] as { name?: unknown } | undefined)?.name : undefined;
  return typeof candidate === "string" ? candidate : undefined;
}

/** Validates a scenario file; the error names every offending field, e.g. `scenarios[3].params.assets.WETH.weightInit`. */
export function parseScenarios(json: unknown): Scenario[] {
  const parsed = scenariosSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => {
    const [first] = issue.path;
    const scenario = typeof first === "number" ? scenarioName(json, first) : undefined;
    return { field: `scenarios${formatPath(issue.path)}`, scenario, message: issue.message };
  });
  const lines = issues.map(({ field, scenario, message }) => {
    const label = scenario === undefined ? "" : ` (scenario "${scenario}")`;
    return `  ${field}${label}: ${message}`;
  });
  throw new RiskInputError(`invalid risk scenario file:\n${lines.join("\n")}`, undefined, { details: { issues } });
}

const sum = (values: readonly bigint[]) => values.reduce((total, value) => total + value, 0n);

/** Maps named parameters and prices onto indexed inputs; only the assets and markets the account uses are listed. */
export function planScenario(scenario: Scenario): ScenarioPlan {
  const { name, params, prices, volatility, account, liquidate } = scenario;
  // parseScenarios has checked that every name the account uses is in params and prices.
  const lookup = <T>(record: Readonly<Record<string, T>>, key: string) => own(record, key) as T;
  const unit = { init: WAD, maint: WAD };
  const assetNames = Object.keys(params.assets).filter((asset) => account.collateral.some((e) => e.asset === asset));
  const marketNames = Object.keys(params.markets).filter((market) =>
    account.positions.some((p) => p.market === market),
  );
  const haircut = (chain: string) => lookup(params.chains, chain).haircut;

  const inputs: RiskInputs = {
    params: {
      pnlWeightInit: params.pnlWeightInit,
      liquidationBuffer: params.liquidationBuffer,
      liquidationFee: params.liquidationFee,
      liquidationFeeInsuranceShare: params.liquidationFeeInsuranceShare,
      collateralBonus: params.collateralBonus,
      collateralBonusProtocolShare: params.collateralBonusProtocolShare,
    },
    assets: assetNames.map((asset) => {
      const { weightInit, weightMaint, sizeFactor } = lookup(params.assets, asset);
      const k = own(volatility?.assets, asset) ?? unit;
      return { price: lookup(prices, asset), weightInit, weightMaint, sizeFactor, kInit: k.init, kMaint: k.maint };
    }),
    markets: marketNames.map((market) => {
      const { marginInit, marginMaint, sizeFactor, lotSize } = lookup(params.markets, market);
      const k = own(volatility?.markets, market) ?? unit;
      const markPrice = lookup(prices, market);
      return { markPrice, marginInit, marginMaint, sizeFactor, lotSize, kInit: k.init, kMaint: k.maint };
    }),
    account: {
      collateral: account.collateral.map((entry) => ({
        assetIndex: assetNames.indexOf(entry.asset),
        haircut: haircut(entry.chain),
        amount: entry.amount,
      })),
      settleBalance: account.settleBalance,
      positions: account.positions.map((position) => ({
        marketIndex: marketNames.indexOf(position.market),
        size: position.size,
        entryPrice: position.entryPrice,
        fundingOwed: position.fundingOwed ?? 0n,
      })),
    },
  };

  if (liquidate === undefined) return { name, inputs };
  if (liquidate.kind === "perp") {
    const { market } = liquidate;
    const positionSize = account.positions.find((p) => p.market === market)?.size ?? 0n;
    return {
      name,
      inputs,
      liquidation: { kind: "perp", market, marketIndex: marketNames.indexOf(market), positionSize },
    };
  }
  const { chain, asset } = liquidate;
  const held = account.collateral.filter((e) => e.chain === chain && e.asset === asset);
  return {
    name,
    inputs,
    liquidation: {
      kind: "collateral",
      chain,
      asset,
      assetIndex: assetNames.indexOf(asset),
      haircut: haircut(chain),
      amount: sum(held.map((e) => e.amount)),
    },
  };
}

/** The liquidation call a plan asks for, given the account's breakdown; undefined when it asks for none. */
export function liquidationRequest(plan: ScenarioPlan, breakdown: HealthBreakdown): LiquidationRequest | undefined {
  const { liquidation, inputs } = plan;
  if (liquidation === undefined) return undefined;
  const healthLiquidationEnd = breakdown.health.liquidationEnd;
  if (liquidation.kind === "perp") {
    const market = inputs.markets[liquidation.marketIndex] as RiskInputs["markets"][number];
    return {
      kind: "perp",
      request: { params: inputs.params, market, positionSize: liquidation.positionSize, healthLiquidationEnd },
    };
  }
  const asset = inputs.assets[liquidation.assetIndex] as RiskInputs["assets"][number];
  const assetTotal = assetTotals(inputs.assets.length, inputs.account.collateral)[liquidation.assetIndex] ?? 0n;
  return {
    kind: "collateral",
    request: {
      params: inputs.params,
      asset,
      assetTotal,
      haircut: liquidation.haircut,
      amount: liquidation.amount,
      debt: breakdown.debt,
      healthLiquidationEnd,
    },
  };
}

const tiered = ({ init, maint }: Tiered): TieredOutcome => ({ init: formatWad(init), maint: formatWad(maint) });

/** Formats a breakdown (and the liquidation, if the plan asked for one) in the shape of `expect`. */
export function scenarioOutcome(
  plan: ScenarioPlan,
  breakdown: HealthBreakdown,
  liquidation?: LiquidationResult,
): ScenarioOutcome {
  const outcome: ScenarioOutcome = {
    collateralValue: tiered(breakdown.collateralValue),
    pnl: tiered(breakdown.pnl),
    debt: formatWad(breakdown.debt),
    equity: tiered(breakdown.equity),
    requirement: tiered(breakdown.requirement),
    health: { ...tiered(breakdown.health), liquidationEnd: formatWad(breakdown.health.liquidationEnd) },
    healthRatioMaint: breakdown.healthRatioMaint === null ? null : formatWad(breakdown.healthRatioMaint),
    unweightedEquity: formatWad(breakdown.unweightedEquity),
    notional: formatWad(breakdown.notional),
    liquidatable: breakdown.liquidatable,
  };
  const target = plan.liquidation;
  if (target === undefined || liquidation === undefined) return outcome;
  if (target.kind === "perp" && liquidation.kind === "perp") {
    const { size, fee, feeToLiquidator, feeToInsurance } = liquidation.result;
    outcome.liquidation = {
      kind: "perp",
      market: target.market,
      size: formatWad(size),
      fee: formatWad(fee),
      feeToLiquidator: formatWad(feeToLiquidator),
      feeToInsurance: formatWad(feeToInsurance),
    };
  } else if (target.kind === "collateral" && liquidation.kind === "collateral") {
    const { repay, seized, seizedToLiquidator, seizedToProtocol } = liquidation.result;
    outcome.liquidation = {
      kind: "collateral",
      chain: target.chain,
      asset: target.asset,
      repay: formatWad(repay),
      seized: formatWad(seized),
      seizedToLiquidator: formatWad(seizedToLiquidator),
      seizedToProtocol: formatWad(seizedToProtocol),
    };
  }
  return outcome;
}

/** Names the scenario in an input error raised while evaluating it; passes any other error through. */
export function inScenario(error: unknown, plan: ScenarioPlan, index: number): unknown {
  if (!(error instanceof RiskInputError)) return error;
  return new RiskInputError(`${error.message} (scenario "${plan.name}")`, `scenarios[${index}]`, { cause: error });
}

/** Validates a scenario file (the format of test/vectors/risk.json) and evaluates every scenario off-chain. */
export function evaluateScenarios(json: unknown): ScenarioResult[] {
  return parseScenarios(json).map((scenario, index) => {
    const plan = planScenario(scenario);
    try {
      const breakdown = healthBreakdown(plan.inputs);
      const call = liquidationRequest(plan, breakdown);
      let liquidation: LiquidationResult | undefined;
      if (call?.kind === "perp") liquidation = { kind: "perp", result: perpLiquidation(call.request) };
      if (call?.kind === "collateral") {
        liquidation = { kind: "collateral", result: collateralLiquidation(call.request) };
      }
      return { name: plan.name, result: scenarioOutcome(plan, breakdown, liquidation) };
    } catch (error) {
      throw inScenario(error, plan, index);
    }
  });
}
