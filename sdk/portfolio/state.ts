/**
 * One account as the hub holds it, in the hub's own units, and its translation into the risk math's
 * inputs exactly as contracts/hub/libraries/AccountRisk.sol builds them, so that evaluating the inputs
 * with sdk/risk gives `MarginEngine.healthOf` to the wei.
 */
import type { Address, Hex } from "viem";
import { XmarginError } from "../errors.ts";
import { mulCeil } from "../risk/fixed.ts";
import type { AssetRisk, CollateralRisk, MarketRisk, PositionRisk, RiskInputs, RiskParams } from "../risk/types.ts";

/** A collateral entry of the hub ledger. Amounts are token units. */
export interface LedgerEntryState {
  chainId: number;
  token: Address;
  decimals: number;
  assetId: number;
  /** δ of the chain holding it (WAD). */
  haircut: bigint;
  reportedLocked: bigint;
  /** Commanded away (releases, seizures) and not yet acknowledged by the spoke. */
  pendingDecrease: bigint;
  /** reportedLocked − pendingDecrease, saturating at zero: what the hub counts. */
  counted: bigint;
  seq: number;
  acknowledgedNonce: bigint;
  /** Timestamp of the last applied report. */
  reportedAt: number;
}

export interface AssetState {
  assetId: number;
  priceId: Hex;
  weightInit: bigint;
  weightMaint: bigint;
  sizeFactor: bigint;
  /** Oracle price (WAD USD per token) and its staleness flag. */
  price: bigint;
  stale: boolean;
  kInit: bigint;
  kMaint: bigint;
}

export interface MarketConfigState {
  priceId: Hex;
  marginInit: bigint;
  marginMaint: bigint;
  sizeFactor: bigint;
  takerFee: bigint;
  lotSize: bigint;
  openInterestCap: bigint;
  maxFundingRatePerSecond: bigint;
  skewScale: bigint;
}

export interface MarketStateState {
  longOpenInterest: bigint;
  shortOpenInterest: bigint;
  fundingIndex: bigint;
  lastFundingAt: bigint;
  sizeTimesEntry: bigint;
}

export interface MarketView {
  marketId: bigint;
  config: MarketConfigState;
  state: MarketStateState;
  price: bigint;
  stale: boolean;
  kInit: bigint;
  kMaint: bigint;
}

export interface PositionState {
  marketId: bigint;
  size: bigint;
  entryPrice: bigint;
  fundingSnapshot: bigint;
}

export interface AccountState {
  account: Address;
  /** Hub block the state was read at. */
  blockNumber: bigint;
  timestamp: bigint;
  riskParams: RiskParams;
  /** Seconds after which a report blocks risk-increasing actions; zero disables the check. */
  maxReportAge: bigint;
  settleDecimals: number;
  /** Signed WAD; negative is debt. */
  settleBalance: bigint;
  /** In the hub ledger's order. */
  entries: LedgerEntryState[];
  /** In the hub's open-market order. */
  positions: PositionState[];
  /** Every asset an entry refers to, by asset id. */
  assets: Map<number, AssetState>;
  /** Every market a position is in, by market id. */
  markets: Map<bigint, MarketView>;
}

/** Token units → WAD, rounded down (FixedPoint.toWadDown). */
export function toWadDown(amount: bigint, decimals: number): bigint {
  return decimals <= 18 ? amount * 10n ** BigInt(18 - decimals) : amount / 10n ** BigInt(decimals - 18);
}

/** WAD → token units, rounded up (FixedPoint.fromWadUp): what the protocol collects. */
export function fromWadUp(wad: bigint, decimals: number): bigint {
  if (decimals > 18) return wad * 10n ** BigInt(decimals - 18);
  const unit = 10n ** BigInt(18 - decimals);
  return (wad + unit - 1n) / unit;
}

/** Funding the position owes at the market's stored index (PerpMarkets.fundingOwed), rounded up. */
export function fundingOwed(position: PositionState, market: MarketStateState): bigint {
  return mulCeil(position.size, market.fundingIndex - position.fundingSnapshot);
}

/** Prices to evaluate at instead of the oracle's, by price id (what-if and liquidation-price solving). */
export type PriceOverrides = ReadonlyMap<Hex, bigint>;

/**
 * The risk math's inputs for `state`, in AccountRisk.riskView's order: entries with nothing counted are
 * skipped, assets appear in the order their first entry does, markets in open-market order.
 */
export function toRiskInputs(state: AccountState, prices: PriceOverrides = new Map()): RiskInputs {
  const priceOf = (priceId: Hex, price: bigint) => prices.get(priceId) ?? price;
  const assets: AssetRisk[] = [];
  const assetIndex = new Map<number, number>();
  const collateral: CollateralRisk[] = [];
  for (const entry of state.entries) {
    if (entry.counted === 0n) continue;
    let index = assetIndex.get(entry.assetId);
    if (index === undefined) {
      const asset = requireAsset(state, entry.assetId);
      index = assets.length;
      assetIndex.set(entry.assetId, index);
      assets.push({
        price: priceOf(asset.priceId, asset.price),
        weightInit: asset.weightInit,
        weightMaint: asset.weightMaint,
        sizeFactor: asset.sizeFactor,
        kInit: asset.kInit,
        kMaint: asset.kMaint,
      });
    }
    collateral.push({ assetIndex: index, haircut: entry.haircut, amount: toWadDown(entry.counted, entry.decimals) });
  }
  const markets: MarketRisk[] = [];
  const positions: PositionRisk[] = [];
  for (const position of state.positions) {
    const market = requireMarket(state, position.marketId);
    positions.push({
      marketIndex: markets.length,
      size: position.size,
      entryPrice: position.entryPrice,
      fundingOwed: fundingOwed(position, market.state),
    });
    markets.push({
      markPrice: priceOf(market.config.priceId, market.price),
      marginInit: market.config.marginInit,
      marginMaint: market.config.marginMaint,
      sizeFactor: market.config.sizeFactor,
      lotSize: market.config.lotSize,
      kInit: market.kInit,
      kMaint: market.kMaint,
    });
  }
  return {
    params: state.riskParams,
    assets,
    markets,
    account: { collateral, settleBalance: state.settleBalance, positions },
  };
}

export function requireAsset(state: AccountState, assetId: number): AssetState {
  const asset = state.assets.get(assetId);
  if (asset === undefined) throw new XmarginError(`account state lacks asset ${assetId}`);
  return asset;
}

export function requireMarket(state: AccountState, marketId: bigint): MarketView {
  const market = state.markets.get(marketId);
  if (market === undefined) throw new XmarginError(`account state lacks market ${marketId}`);
  return market;
}

/** Every price id the account is exposed to, with the current price of each. */
export function exposedPrices(state: AccountState): Map<Hex, bigint> {
  const prices = new Map<Hex, bigint>();
  for (const entry of state.entries) {
    if (entry.counted === 0n) continue;
    const asset = requireAsset(state, entry.assetId);
    prices.set(asset.priceId, asset.price);
  }
  for (const position of state.positions) {
    const market = requireMarket(state, position.marketId);
    prices.set(market.config.priceId, market.price);
  }
  return prices;
}
