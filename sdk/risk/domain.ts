/**
 * The input domain of the risk math. Inside it no intermediate value of contracts/libraries/RiskMath.sol
 * can overflow or underflow (every product stays below 2^256 with room to spare), so the hub never
 * reverts and the TypeScript mirror, which has no such limits, returns the same numbers. Outside it the
 * hub would revert, so the preview refuses instead of silently disagreeing.
 */
import { RiskInputError } from "./errors.ts";
import { WAD } from "./fixed.ts";
import type {
  AssetRisk,
  CollateralLiquidationRequest,
  MarketRisk,
  PerpLiquidationRequest,
  RiskInputs,
  RiskParams,
} from "./types.ts";

/** Token amounts (each entry and each asset's total over all chains) and lot sizes: below 2^128 wei. */
export const MAX_QUANTITY = (1n << 128n) - 1n;
/** Signed balances (sizes, settle balance, funding, debt): magnitude below 2^127 wei. */
export const MAX_SIGNED_QUANTITY = (1n << 127n) - 1n;
/** Prices: below 2^96 wei, about 7.9e10 USD per unit. */
export const MAX_PRICE = (1n << 96n) - 1n;
/** Multipliers and rates that may exceed 1 (k, margins, size factors, fee, buffer, bonus): below 2^64 wei ≈ 18.4. */
export const MAX_FACTOR = (1n << 64n) - 1n;
/** |H^LE| accepted by the liquidation functions: far beyond any account inside the domain. */
export const MAX_HEALTH = (1n << 192n) - 1n;

function requireRange(value: bigint, min: bigint, max: bigint, field: string): void {
  if (value < min || value > max) throw new RiskInputError(`${value} is outside [${min}, ${max}]`, field);
}

const requireFraction = (value: bigint, field: string) => requireRange(value, 0n, WAD, field);
const requireFactor = (value: bigint, field: string) => requireRange(value, 0n, MAX_FACTOR, field);
const requireSigned = (value: bigint, field: string) =>
  requireRange(value, -MAX_SIGNED_QUANTITY, MAX_SIGNED_QUANTITY, field);

function requireIndex(index: number, length: number, field: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new RiskInputError(`index ${index} is outside [0, ${length - 1}]`, field);
  }
}

function validateParams(params: RiskParams): void {
  requireFraction(params.pnlWeightInit, "params.pnlWeightInit");
  requireFactor(params.liquidationBuffer, "params.liquidationBuffer");
  requireFactor(params.liquidationFee, "params.liquidationFee");
  requireFraction(params.liquidationFeeInsuranceShare, "params.liquidationFeeInsuranceShare");
  requireFactor(params.collateralBonus, "params.collateralBonus");
  requireFraction(params.collateralBonusProtocolShare, "params.collateralBonusProtocolShare");
}

function validateAsset(asset: AssetRisk, field: string): void {
  requireRange(asset.price, 0n, MAX_PRICE, `${field}.price`);
  requireFraction(asset.weightInit, `${field}.weightInit`);
  requireFraction(asset.weightMaint, `${field}.weightMaint`);
  requireFactor(asset.sizeFactor, `${field}.sizeFactor`);
  requireFactor(asset.kInit, `${field}.kInit`);
  requireFactor(asset.kMaint, `${field}.kMaint`);
}

function validateMarket(market: MarketRisk, field: string): void {
  requireRange(market.markPrice, 0n, MAX_PRICE, `${field}.markPrice`);
  requireFactor(market.marginInit, `${field}.marginInit`);
  requireFactor(market.marginMaint, `${field}.marginMaint`);
  requireFactor(market.sizeFactor, `${field}.sizeFactor`);
  requireRange(market.lotSize, 1n, MAX_QUANTITY, `${field}.lotSize`);
  requireFactor(market.kInit, `${field}.kInit`);
  requireFactor(market.kMaint, `${field}.kMaint`);
}

/** Throws a RiskInputError naming the first field outside the domain. */
export function validateRiskInputs({ params, assets, markets, account }: RiskInputs): void {
  validateParams(params);
  for (const [i, asset] of assets.entries()) validateAsset(asset, `assets[${i}]`);
  for (const [i, market] of markets.entries()) validateMarket(market, `markets[${i}]`);
  const totals = new Array<bigint>(assets.length).fill(0n);
  account.collateral.forEach((entry, i) => {
    const field = `account.collateral[${i}]`;
    requireIndex(entry.assetIndex, assets.length, `${field}.assetIndex`);
    requireFraction(entry.haircut, `${field}.haircut`);
    requireRange(entry.amount, 0n, MAX_QUANTITY, `${field}.amount`);
    const total = (totals[entry.assetIndex] ?? 0n) + entry.amount;
    if (total > MAX_QUANTITY) {
      throw new RiskInputError(
        `the total of asset ${entry.assetIndex} over all entries exceeds ${MAX_QUANTITY}`,
        `${field}.amount`,
      );
    }
    totals[entry.assetIndex] = total;
  });
  requireSigned(account.settleBalance, "account.settleBalance");
  account.positions.forEach((position, i) => {
    const field = `account.positions[${i}]`;
    requireIndex(position.marketIndex, markets.length, `${field}.marketIndex`);
    requireSigned(position.size, `${field}.size`);
    requireRange(position.entryPrice, 0n, MAX_PRICE, `${field}.entryPrice`);
    requireSigned(position.fundingOwed, `${field}.fundingOwed`);
  });
}

export function validatePerpLiquidationRequest(request: PerpLiquidationRequest): void {
  validateParams(request.params);
  validateMarket(request.market, "market");
  requireSigned(request.positionSize, "positionSize");
  requireRange(request.healthLiquidationEnd, -MAX_HEALTH, MAX_HEALTH, "healthLiquidationEnd");
}

export function validateCollateralLiquidationRequest(request: CollateralLiquidationRequest): void {
  validateParams(request.params);
  validateAsset(request.asset, "asset");
  requireRange(request.assetTotal, 0n, MAX_QUANTITY, "assetTotal");
  requireFraction(request.haircut, "haircut");
  requireRange(request.amount, 0n, request.assetTotal, "amount");
  requireRange(request.debt, 0n, MAX_SIGNED_QUANTITY, "debt");
  requireRange(request.healthLiquidationEnd, -MAX_HEALTH, MAX_HEALTH, "healthLiquidationEnd");
}
