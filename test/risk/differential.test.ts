import { beforeAll, describe, expect, it } from "vitest";
import {
  assetTotals,
  type CollateralLiquidationRequest,
  collateralLiquidation,
  collateralLiquidationOnchain,
  healthBreakdown,
  healthBreakdownOnchain,
  type PerpLiquidationRequest,
  perpLiquidation,
  perpLiquidationOnchain,
  type RiskInputs,
} from "../../sdk/risk/index.ts";
import { deployRiskMathHarness } from "./harness.ts";
import {
  createRandom,
  type Random,
  randomAsset,
  randomMarket,
  randomParams,
  randomPortfolio,
  riskSeed,
} from "./random.ts";

const PORTFOLIOS = 250;
const LIQUIDATIONS = 300;

const seed = riskSeed();
const context = (label: string, index: number) =>
  `${label} #${index}, reproduce with RISK_SEED=${seed} npx vitest run test/risk/differential.test.ts`;

let harness: Awaited<ReturnType<typeof deployRiskMathHarness>>;

beforeAll(async () => {
  harness = await deployRiskMathHarness();
});

/** Every liquidation the account allows: each position, and each (chain, asset) holding. */
function liquidationRequests(inputs: RiskInputs, healthLiquidationEnd: bigint, debt: bigint) {
  const { params, assets, markets, account } = inputs;
  const perp: PerpLiquidationRequest[] = account.positions.map((position) => ({
    params,
    market: markets[position.marketIndex] as RiskInputs["markets"][number],
    positionSize: position.size,
    healthLiquidationEnd,
  }));
  const totals = assetTotals(assets.length, account.collateral);
  const collateral: CollateralLiquidationRequest[] = account.collateral.map((entry) => ({
    params,
    asset: assets[entry.assetIndex] as RiskInputs["assets"][number],
    assetTotal: totals[entry.assetIndex] ?? 0n,
    haircut: entry.haircut,
    amount: entry.amount,
    debt,
    healthLiquidationEnd,
  }));
  return { perp, collateral };
}

/** Random single liquidations that reach the rarer branches: φ ≥ MF + β, tiny prices, H^LE of any size. */
function randomPerpRequest(random: Random): PerpLiquidationRequest {
  const params = randomParams(random);
  if (random.chance(0.2)) params.liquidationFee = random.between(0.1, 1);
  const magnitude = random.magnitude(-3, 6);
  return {
    params,
    market: randomMarket(random),
    positionSize: random.chance(0.05) ? 0n : random.chance(0.5) ? -magnitude : magnitude,
    healthLiquidationEnd: random.chance(0.1) ? random.magnitude(-2, 4) : -random.magnitude(-6, 8),
  };
}

function randomCollateralRequest(random: Random): CollateralLiquidationRequest {
  const params = randomParams(random);
  if (random.chance(0.2)) params.collateralBonus = random.between(0.2, 2);
  const asset = randomAsset(random);
  const amount = random.chance(0.05) ? 0n : random.magnitude(-6, 6);
  return {
    params,
    asset,
    assetTotal: amount + (random.chance(0.5) ? 0n : random.magnitude(-6, 6)),
    haircut: random.chance(0.3) ? 0n : random.between(0, 0.2),
    amount,
    debt: random.chance(0.1) ? 0n : random.magnitude(-2, 7),
    healthLiquidationEnd: random.chance(0.1) ? random.magnitude(-2, 4) : -random.magnitude(-6, 8),
  };
}

describe(`RiskMath (Solidity) and sdk/risk (TypeScript) agree to the wei, seed ${seed}`, () => {
  it(`on ${PORTFOLIOS} random portfolios, and on liquidating each position and holding`, async () => {
    const random = createRandom(seed);
    const portfolios = Array.from({ length: PORTFOLIOS }, () => randomPortfolio(random));
    const onchain = await Promise.all(portfolios.map((inputs) => healthBreakdownOnchain(harness.target, inputs)));
    let liquidatable = 0;
    for (const [i, inputs] of portfolios.entries()) {
      const offchain = healthBreakdown(inputs);
      expect(onchain[i], context("portfolio", i)).toEqual(offchain);
      if (offchain.liquidatable) liquidatable++;

      const requests = liquidationRequests(inputs, offchain.health.liquidationEnd, offchain.debt);
      const [perpOnchain, collateralOnchain] = await Promise.all([
        Promise.all(requests.perp.map((request) => perpLiquidationOnchain(harness.target, request))),
        Promise.all(requests.collateral.map((request) => collateralLiquidationOnchain(harness.target, request))),
      ]);
      expect(perpOnchain, context("portfolio perp liquidations", i)).toEqual(requests.perp.map(perpLiquidation));
      expect(collateralOnchain, context("portfolio collateral liquidations", i)).toEqual(
        requests.collateral.map(collateralLiquidation),
      );
    }
    // The generator must exercise both sides of the liquidation threshold to mean anything.
    expect(liquidatable).toBeGreaterThan(PORTFOLIOS / 10);
    expect(liquidatable).toBeLessThan(PORTFOLIOS - PORTFOLIOS / 10);
  });

  it(`on ${LIQUIDATIONS} random perp and collateral liquidations`, async () => {
    const random = createRandom(seed ^ 0x5eed);
    const perp = Array.from({ length: LIQUIDATIONS }, () => randomPerpRequest(random));
    const collateral = Array.from({ length: LIQUIDATIONS }, () => randomCollateralRequest(random));
    const [perpOnchain, collateralOnchain] = await Promise.all([
      Promise.all(perp.map((request) => perpLiquidationOnchain(harness.target, request))),
      Promise.all(collateral.map((request) => collateralLiquidationOnchain(harness.target, request))),
    ]);
    for (const [i, request] of perp.entries()) {
      expect(perpOnchain[i], context("perp liquidation", i)).toEqual(perpLiquidation(request));
    }
    for (const [i, request] of collateral.entries()) {
      expect(collateralOnchain[i], context("collateral liquidation", i)).toEqual(collateralLiquidation(request));
    }
    // Both the partial (lot-sized) and the whole-position branches, and seizures that hit each cap, occur.
    const perpResults = perp.map(perpLiquidation);
    const partial = perpResults.filter((r, i) => r.size > 0n && r.size < abs(perp[i]?.positionSize ?? 0n)).length;
    const whole = perpResults.filter((r, i) => r.size > 0n && r.size === abs(perp[i]?.positionSize ?? 0n)).length;
    expect(partial).toBeGreaterThan(0);
    expect(whole).toBeGreaterThan(0);
    const seized = collateral.map(collateralLiquidation).filter((r) => r.seized > 0n).length;
    expect(seized).toBeGreaterThan(LIQUIDATIONS / 4);
  });
});

const abs = (value: bigint) => (value < 0n ? -value : value);
