/**
 * What actions do to an account on the hub, computed off-chain: each action is applied to a copy of the
 * AccountState with the same arithmetic and the same checks, in the same order, as the engine
 * (MarginEngine, TradingLogic, PerpMarkets), so the resulting health equals `healthOf` after the action.
 * A step that the engine would revert is reported with the custom error it would revert with, and leaves
 * the state as it was.
 */
import type { Address, Hex } from "viem";
import { isAddressEqual } from "viem";
import { mulCeil, mulFloor, mulUp } from "../risk/fixed.ts";
import { healthBreakdown } from "../risk/health.ts";
import type { HealthBreakdown } from "../risk/types.ts";
import {
  type AccountState,
  type LedgerEntryState,
  type MarketView,
  type PositionState,
  requireAsset,
  requireMarket,
  toRiskInputs,
  toWadDown,
} from "./state.ts";

export type PreviewAction =
  /** A deposit reported to the hub; only a locked deposit adds counted collateral. */
  | { type: "deposit"; chainId: number; token: Address; amount: bigint; lock: boolean }
  | { type: "lock"; chainId: number; token: Address; amount: bigint }
  | { type: "release"; chainId: number; token: Address; amount: bigint }
  | { type: "trade"; marketId: bigint; size: bigint }
  /** Settle tokens in token units. */
  | { type: "depositSettle"; amount: bigint }
  | { type: "withdrawSettle"; amount: bigint }
  /** A what-if: every asset and market priced by `priceId` moves to `price` (WAD). */
  | { type: "setPrice"; priceId: Hex; price: bigint };

/** The revert the engine would raise, named and shaped like the contract's custom error. */
export type PreviewViolation =
  | { errorName: "ZeroAmount"; args: readonly [] }
  | { errorName: "LotSizeViolated"; args: readonly [marketId: bigint, sizeDelta: bigint, lotSize: bigint] }
  | {
      errorName: "InsufficientCollateral";
      args: readonly [chainId: bigint, asset: Address, counted: bigint, requested: bigint];
    }
  | { errorName: "UnknownCollateral"; args: readonly [chainId: bigint, asset: Address] }
  | { errorName: "InsufficientSettleCredit"; args: readonly [credit: bigint, requested: bigint] }
  | { errorName: "StalePrice"; args: readonly [priceId: Hex] }
  | { errorName: "StaleReport"; args: readonly [chainId: bigint, asset: Address] }
  | { errorName: "OpenInterestCapExceeded"; args: readonly [marketId: bigint, openInterest: bigint, cap: bigint] }
  | { errorName: "TooManyPositions"; args: readonly [account: Address] }
  | { errorName: "InitialHealthViolated"; args: readonly [healthInit: bigint] };

export interface PreviewStep {
  action: PreviewAction;
  /** Gated by `H^init ≥ 0` after it (opening or growing a position, releasing, withdrawing settle credit). */
  increasesRisk: boolean;
  /** Why the engine would revert it; the step then changes nothing. */
  violation?: PreviewViolation | undefined;
  health: HealthBreakdown;
}

export interface Preview {
  before: HealthBreakdown;
  after: HealthBreakdown;
  steps: PreviewStep[];
  /** The state after every step that would succeed. */
  state: AccountState;
}

// OpenMarkets.MAX on the engine: one word holds the count and up to 20 market ids.
const MAX_OPEN_MARKETS = 20;

const abs = (value: bigint) => (value < 0n ? -value : value);
const min = (a: bigint, b: bigint) => (a < b ? a : b);

function cloneState(state: AccountState): AccountState {
  return {
    ...state,
    entries: state.entries.map((entry) => ({ ...entry })),
    positions: state.positions.map((position) => ({ ...position })),
    assets: new Map([...state.assets].map(([id, asset]) => [id, { ...asset }])),
    markets: new Map(
      [...state.markets].map(([id, market]) => [
        id,
        { ...market, config: { ...market.config }, state: { ...market.state } },
      ]),
    ),
  };
}

function findEntry(state: AccountState, chainId: number, token: Address): LedgerEntryState | undefined {
  return state.entries.find((entry) => entry.chainId === chainId && isAddressEqual(entry.token, token));
}

const counted = (entry: LedgerEntryState) =>
  entry.reportedLocked > entry.pendingDecrease ? entry.reportedLocked - entry.pendingDecrease : 0n;

/** AccountRisk.requireInitialHealth: fresh prices, fresh reports, then `H^init ≥ 0`. */
function initialHealthViolation(state: AccountState): PreviewViolation | undefined {
  for (const entry of state.entries) {
    if (entry.counted === 0n) continue;
    const asset = requireAsset(state, entry.assetId);
    if (asset.stale) return { errorName: "StalePrice", args: [asset.priceId] };
  }
  for (const position of state.positions) {
    const market = requireMarket(state, position.marketId);
    if (market.stale) return { errorName: "StalePrice", args: [market.config.priceId] };
  }
  if (state.maxReportAge !== 0n) {
    const stale = state.entries.find(
      (entry) => entry.counted !== 0n && state.timestamp > BigInt(entry.reportedAt) + state.maxReportAge,
    );
    if (stale !== undefined) return { errorName: "StaleReport", args: [BigInt(stale.chainId), stale.token] };
  }
  const healthInit = healthBreakdown(toRiskInputs(state)).health.init;
  return healthInit < 0n ? { errorName: "InitialHealthViolated", args: [healthInit] } : undefined;
}

/** PerpMarkets.accrueFunding up to `state.timestamp` at `price`. */
function accrueFunding(market: MarketView, timestamp: bigint): void {
  const { config, state } = market;
  const elapsed = timestamp - state.lastFundingAt;
  state.lastFundingAt = timestamp;
  if (elapsed <= 0n || config.skewScale === 0n || config.maxFundingRatePerSecond === 0n) return;
  let skew = state.longOpenInterest - state.shortOpenInterest;
  if (skew > config.skewScale) skew = config.skewScale;
  if (skew < -config.skewScale) skew = -config.skewScale;
  const ratePerSecond = (skew * config.maxFundingRatePerSecond) / config.skewScale;
  state.fundingIndex += mulFloor(ratePerSecond * elapsed, market.price);
}

function removeFromAggregates(market: MarketView, size: bigint, entry: bigint): void {
  if (size > 0n) market.state.longOpenInterest -= size;
  if (size < 0n) market.state.shortOpenInterest += size;
  market.state.sizeTimesEntry -= size * entry;
}

function addToAggregates(market: MarketView, size: bigint, entry: bigint): void {
  if (size > 0n) market.state.longOpenInterest += size;
  if (size < 0n) market.state.shortOpenInterest -= size;
  market.state.sizeTimesEntry += size * entry;
}

/** TradingLogic.trade at the oracle price, without a limit price. */
function applyTrade(
  state: AccountState,
  marketId: bigint,
  sizeDelta: bigint,
): { increasesRisk: boolean; violation?: PreviewViolation } {
  const market = requireMarket(state, marketId);
  if (sizeDelta === 0n) return { increasesRisk: false, violation: { errorName: "ZeroAmount", args: [] } };
  if (abs(sizeDelta) % market.config.lotSize !== 0n) {
    return {
      increasesRisk: false,
      violation: { errorName: "LotSizeViolated", args: [marketId, sizeDelta, market.config.lotSize] },
    };
  }
  const price = market.price;
  accrueFunding(market, state.timestamp);

  let index = state.positions.findIndex((position) => position.marketId === marketId);
  const position: PositionState =
    index === -1
      ? { marketId, size: 0n, entryPrice: 0n, fundingSnapshot: 0n }
      : (state.positions[index] as PositionState);
  const fundingPaid = mulCeil(position.size, market.state.fundingIndex - position.fundingSnapshot);
  const oldSize = position.size;
  const newSize = oldSize + sizeDelta;
  const entry = position.entryPrice;
  const notional = mulUp(abs(sizeDelta), price);
  const increasesRisk = abs(newSize) > abs(oldSize) || (newSize !== 0n && newSize > 0n !== oldSize > 0n);

  removeFromAggregates(market, oldSize, entry);
  let newEntry: bigint;
  let realizedPnl = 0n;
  if (oldSize === 0n || oldSize > 0n === sizeDelta > 0n) {
    const weighted = abs(oldSize) * entry + abs(sizeDelta) * price;
    const total = abs(newSize);
    newEntry = newSize > 0n ? (weighted + total - 1n) / total : weighted / total;
  } else {
    const closed = min(abs(sizeDelta), abs(oldSize));
    const perUnit = oldSize < 0n ? entry - price : price - entry;
    realizedPnl = mulFloor(perUnit, closed);
    newEntry = newSize === 0n ? 0n : newSize > 0n === oldSize > 0n ? entry : price;
  }
  position.size = newSize;
  position.entryPrice = newEntry;
  position.fundingSnapshot = market.state.fundingIndex;
  addToAggregates(market, newSize, newEntry);
  state.settleBalance += realizedPnl - fundingPaid;

  if (oldSize === 0n && newSize !== 0n) {
    if (state.positions.length >= MAX_OPEN_MARKETS) {
      return { increasesRisk, violation: { errorName: "TooManyPositions", args: [state.account] } };
    }
    state.positions.push(position);
    index = state.positions.length - 1;
  } else if (oldSize !== 0n && newSize === 0n) {
    // AccountRisk._removeOpenMarket: the last market takes the closed one's place.
    const last = state.positions.pop() as PositionState;
    if (index < state.positions.length) state.positions[index] = last;
  }
  state.settleBalance -= mulUp(notional, market.config.takerFee);

  if (!increasesRisk) return { increasesRisk };
  if (market.stale) return { increasesRisk, violation: { errorName: "StalePrice", args: [market.config.priceId] } };
  const openInterest = sizeDelta > 0n ? market.state.longOpenInterest : market.state.shortOpenInterest;
  if (openInterest > market.config.openInterestCap) {
    return {
      increasesRisk,
      violation: {
        errorName: "OpenInterestCapExceeded",
        args: [marketId, openInterest, market.config.openInterestCap],
      },
    };
  }
  return { increasesRisk, violation: initialHealthViolation(state) };
}

/** Applies one action to `state` in place. */
function applyAction(
  state: AccountState,
  action: PreviewAction,
): { increasesRisk: boolean; violation?: PreviewViolation | undefined } {
  switch (action.type) {
    case "deposit":
    case "lock": {
      if (action.type === "deposit" && !action.lock) return { increasesRisk: false };
      // The hub ignores reports of tokens it does not price: no entry, no change.
      const entry = findEntry(state, action.chainId, action.token);
      if (entry === undefined) return { increasesRisk: false };
      entry.reportedLocked += action.amount;
      entry.counted = counted(entry);
      entry.reportedAt = Number(state.timestamp);
      entry.seq += 1;
      return { increasesRisk: false };
    }
    case "release": {
      if (action.amount === 0n) return { increasesRisk: true, violation: { errorName: "ZeroAmount", args: [] } };
      const entry = findEntry(state, action.chainId, action.token);
      if (entry === undefined) {
        return {
          increasesRisk: true,
          violation: { errorName: "UnknownCollateral", args: [BigInt(action.chainId), action.token] },
        };
      }
      if (action.amount > entry.counted) {
        return {
          increasesRisk: true,
          violation: {
            errorName: "InsufficientCollateral",
            args: [BigInt(action.chainId), action.token, entry.counted, action.amount],
          },
        };
      }
      entry.pendingDecrease += action.amount;
      entry.counted = counted(entry);
      return { increasesRisk: true, violation: initialHealthViolation(state) };
    }
    case "trade":
      return applyTrade(state, action.marketId, action.size);
    case "depositSettle":
      if (action.amount === 0n) return { increasesRisk: false, violation: { errorName: "ZeroAmount", args: [] } };
      state.settleBalance += toWadDown(action.amount, state.settleDecimals);
      return { increasesRisk: false };
    case "withdrawSettle": {
      if (action.amount === 0n) return { increasesRisk: true, violation: { errorName: "ZeroAmount", args: [] } };
      const debit = toWadDown(action.amount, state.settleDecimals);
      const credit = state.settleBalance > 0n ? state.settleBalance : 0n;
      if (debit > credit) {
        return { increasesRisk: true, violation: { errorName: "InsufficientSettleCredit", args: [credit, debit] } };
      }
      state.settleBalance -= debit;
      return { increasesRisk: true, violation: initialHealthViolation(state) };
    }
    case "setPrice":
      for (const asset of state.assets.values()) if (asset.priceId === action.priceId) asset.price = action.price;
      for (const market of state.markets.values())
        if (market.config.priceId === action.priceId) market.price = action.price;
      return { increasesRisk: false };
  }
}

/**
 * Applies `actions` in order to a copy of `state` and evaluates health before and after each. The state
 * must already hold every ledger entry, asset and market the actions touch (previewHealth reads them).
 */
export function previewActions(state: AccountState, actions: readonly PreviewAction[]): Preview {
  const before = healthBreakdown(toRiskInputs(state));
  let current = cloneState(state);
  const steps: PreviewStep[] = [];
  for (const action of actions) {
    const next = cloneState(current);
    const { increasesRisk, violation } = applyAction(next, action);
    if (violation === undefined) current = next;
    steps.push({ action, increasesRisk, violation, health: healthBreakdown(toRiskInputs(current)) });
  }
  return { before, after: steps.at(-1)?.health ?? before, steps, state: current };
}
