/**
 * Portfolio health (docs/risk-spec.md), the same operations in the same order as
 * contracts/libraries/RiskMath.sol so both agree to the wei.
 *
 * Rounding, always in the protocol's favour:
 * - tightened weight 1 − k·(1 − w): k·(1 − w) up, so the weight comes out down;
 * - size discount 1.1 / (1 + imf·√Q): √Q up and imf·√Q up, the quotient down;
 * - effective weight (1 − δ)·ŵ down; collateral value (q·p down)·w_eff down;
 * - margin fraction k·MF̂ up, 0.8·(k·MF̂) up, imf·√|n| with √|n| up and the product up;
 * - notional |n|·m up, requirement notional·MF up, β·(N + D) up;
 * - PnL n·(m − e) toward −∞ (gains down, losses more negative), w_pnl·u down for gains;
 * - health ratio E/R toward −∞.
 */
import { validateRiskInputs } from "./domain.ts";
import { divDown, divFloor, mulDown, mulFloor, mulUp, sqrtUp, WAD } from "./fixed.ts";
import type { AssetRisk, CollateralRisk, HealthBreakdown, MarketRisk, RiskInputs, Tiered } from "./types.ts";

const SIZE_DISCOUNT_NUMERATOR = 1_100_000_000_000_000_000n;
const SIZE_PREMIUM_BASE_SHARE = 800_000_000_000_000_000n;

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);
const abs = (a: bigint) => (a < 0n ? -a : a);

function tightenedWeight(weight: bigint, k: bigint): bigint {
  const cut = mulUp(k, WAD - weight);
  return cut >= WAD ? 0n : WAD - cut;
}

/** ŵ^T_a: the asset's weights after volatility tightening and the size discount for a total holding `assetTotal`. */
export function tightenedWeights(asset: AssetRisk, assetTotal: bigint): Tiered {
  const init = tightenedWeight(asset.weightInit, asset.kInit);
  const maint = tightenedWeight(asset.weightMaint, asset.kMaint);
  if (asset.sizeFactor === 0n) return { init, maint };
  const cap = divDown(SIZE_DISCOUNT_NUMERATOR, WAD + mulUp(asset.sizeFactor, sqrtUp(assetTotal)));
  return { init: min(init, cap), maint: min(maint, cap) };
}

/** w_eff = (1 − δ_c)·ŵ. */
export function effectiveWeight(haircut: bigint, weight: bigint): bigint {
  return mulDown(WAD - haircut, weight);
}

/** MF^T_j for a position of `absSize` base units, with the size premium and the cap at 1. */
export function marginFractions(market: MarketRisk, absSize: bigint): Tiered {
  let init = mulUp(market.kInit, market.marginInit);
  let maint = mulUp(market.kMaint, market.marginMaint);
  if (market.sizeFactor !== 0n) {
    const premium = mulUp(market.sizeFactor, sqrtUp(absSize));
    init = max(init, mulUp(SIZE_PREMIUM_BASE_SHARE, init) + premium);
    maint = max(maint, mulUp(SIZE_PREMIUM_BASE_SHARE, maint) + premium);
  }
  return { init: min(init, WAD), maint: min(maint, WAD) };
}

/** Q_a for every asset index: the amount held over all chains. */
export function assetTotals(assetCount: number, collateral: readonly CollateralRisk[]): bigint[] {
  const totals = new Array<bigint>(assetCount).fill(0n);
  for (const entry of collateral) totals[entry.assetIndex] = (totals[entry.assetIndex] ?? 0n) + entry.amount;
  return totals;
}

/** Evaluates an account: collateral, PnL, requirement, equity and every health figure of the spec. */
export function healthBreakdown(inputs: RiskInputs): HealthBreakdown {
  validateRiskInputs(inputs);
  const { params, assets, markets, account } = inputs;

  const totals = assetTotals(assets.length, account.collateral);
  const weights = assets.map((asset, i) => {
    const total = totals[i] ?? 0n;
    return total === 0n ? { init: 0n, maint: 0n } : tightenedWeights(asset, total);
  });
  const collateralValue = { init: 0n, maint: 0n };
  let marketValue = 0n;
  for (const entry of account.collateral) {
    const asset = assets[entry.assetIndex] as AssetRisk;
    const weight = weights[entry.assetIndex] as Tiered;
    const value = mulDown(entry.amount, asset.price);
    collateralValue.init += mulDown(value, effectiveWeight(entry.haircut, weight.init));
    collateralValue.maint += mulDown(value, effectiveWeight(entry.haircut, weight.maint));
    marketValue += value;
  }

  const pnl = { init: 0n, maint: 0n };
  const requirement = { init: 0n, maint: 0n };
  let notional = 0n;
  for (const position of account.positions) {
    const market = markets[position.marketIndex] as MarketRisk;
    const absSize = abs(position.size);
    const positionNotional = mulUp(absSize, market.markPrice);
    const fractions = marginFractions(market, absSize);
    requirement.init += mulUp(positionNotional, fractions.init);
    requirement.maint += mulUp(positionNotional, fractions.maint);
    notional += positionNotional;
    const positionPnl = mulFloor(position.size, market.markPrice - position.entryPrice) - position.fundingOwed;
    pnl.maint += positionPnl;
    pnl.init += positionPnl > 0n ? mulDown(positionPnl, params.pnlWeightInit) : positionPnl;
  }

  const settleBalance = account.settleBalance;
  const debt = settleBalance < 0n ? -settleBalance : 0n;
  const credit = settleBalance > 0n ? settleBalance : 0n;
  const equity = {
    init: collateralValue.init + credit + pnl.init - debt,
    maint: collateralValue.maint + credit + pnl.maint - debt,
  };
  const healthInit = equity.init - requirement.init;
  const healthMaint = equity.maint - requirement.maint;
  return {
    collateralValue,
    pnl,
    debt,
    equity,
    requirement,
    health: {
      init: healthInit,
      maint: healthMaint,
      liquidationEnd: healthMaint - mulUp(params.liquidationBuffer, notional + debt),
    },
    healthRatioMaint: requirement.maint === 0n ? null : divFloor(equity.maint, requirement.maint),
    unweightedEquity: marketValue + settleBalance + pnl.maint,
    notional,
    liquidatable: healthMaint < 0n,
  };
}
