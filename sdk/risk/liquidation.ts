/**
 * Liquidation sizing (docs/risk-spec.md, "Decisions"), the same operations in the same order as
 * contracts/libraries/RiskMath.sol so both agree to the wei.
 *
 * Nothing is liquidated while H^LE ≥ 0: there is no shortfall S = −H^LE to restore.
 *
 * Rounding, always in the protocol's favour:
 * - perp size: m·(MF + β − φ) down, S / that up, then up to a whole lot: enough is closed to restore H^LE;
 * - perp fee: (size·m up)·φ up; the insurance share up, the liquidator gets the remainder;
 * - repay cap q·p/(1 + λ): q·p down and the quotient down, so the seizure never exceeds the entry;
 * - repay to restore S / (1 + β − (1 + λ)·w_eff): (1 + λ)·w_eff up, the quotient up;
 * - seized x·(1 + λ)/p: product down, quotient down (the liquidator never gets a wei too much);
 * - protocol share (seized − seized/(1 + λ))·share: seized/(1 + λ) down, so the bonus rounds up, and
 *   the product up; the liquidator gets the remainder.
 */
import { validateCollateralLiquidationRequest, validatePerpLiquidationRequest } from "./domain.ts";
import { divDown, divUp, mulDown, mulUp, WAD } from "./fixed.ts";
import { effectiveWeight, marginFractions, tightenedWeights } from "./health.ts";
import type {
  CollateralLiquidation,
  CollateralLiquidationRequest,
  PerpLiquidation,
  PerpLiquidationRequest,
} from "./types.ts";

const min = (a: bigint, b: bigint) => (a < b ? a : b);

function ceilToLot(size: bigint, lotSize: bigint): bigint {
  return size === 0n ? 0n : ((size - 1n) / lotSize + 1n) * lotSize;
}

/** How much of a perp position to close, and the fee split, while the account's H^LE is negative. */
export function perpLiquidation(request: PerpLiquidationRequest): PerpLiquidation {
  validatePerpLiquidationRequest(request);
  const { params, market, positionSize, healthLiquidationEnd } = request;
  if (healthLiquidationEnd >= 0n || positionSize === 0n)
    return { size: 0n, fee: 0n, feeToLiquidator: 0n, feeToInsurance: 0n };

  const shortfall = -healthLiquidationEnd;
  const absSize = positionSize < 0n ? -positionSize : positionSize;
  const restoredPerNotional = marginFractions(market, absSize).maint + params.liquidationBuffer;
  let size = absSize;
  if (restoredPerNotional > params.liquidationFee) {
    const restoredPerBase = mulDown(market.markPrice, restoredPerNotional - params.liquidationFee);
    if (restoredPerBase !== 0n) size = min(absSize, ceilToLot(divUp(shortfall, restoredPerBase), market.lotSize));
  }
  const fee = mulUp(mulUp(size, market.markPrice), params.liquidationFee);
  const feeToInsurance = mulUp(fee, params.liquidationFeeInsuranceShare);
  return { size, fee, feeToLiquidator: fee - feeToInsurance, feeToInsurance };
}

/** How much debt a liquidator repays against one collateral entry, and what it seizes in return. */
export function collateralLiquidation(request: CollateralLiquidationRequest): CollateralLiquidation {
  validateCollateralLiquidationRequest(request);
  const { params, asset, assetTotal, haircut, amount, debt, healthLiquidationEnd } = request;
  const none = { repay: 0n, seized: 0n, seizedToLiquidator: 0n, seizedToProtocol: 0n };
  if (healthLiquidationEnd >= 0n) return none;

  const bonusFactor = WAD + params.collateralBonus;
  let repay = min(debt, divDown(mulDown(amount, asset.price), bonusFactor));
  const seizedValuePerRepay = mulUp(bonusFactor, effectiveWeight(haircut, tightenedWeights(asset, assetTotal).maint));
  const restoredPerRepay = WAD + params.liquidationBuffer;
  if (restoredPerRepay > seizedValuePerRepay) {
    repay = min(repay, divUp(-healthLiquidationEnd, restoredPerRepay - seizedValuePerRepay));
  }
  if (repay === 0n) return none;

  const seized = divDown(mulDown(repay, bonusFactor), asset.price);
  const seizedToProtocol = mulUp(seized - divDown(seized, bonusFactor), params.collateralBonusProtocolShare);
  return { repay, seized, seizedToLiquidator: seized - seizedToProtocol, seizedToProtocol };
}
