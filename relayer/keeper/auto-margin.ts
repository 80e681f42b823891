/**
 * Auto-margin: for an account that opted in and whose initial health is negative (the engine's condition
 * for `autoMarginLock`), the keeper asks the hub to send `Lock` commands that move free vault balance into
 * margin, enough to lift `H^init` to a buffer above zero.
 */
import type { Address, Client } from "viem";
import { readContract } from "viem/actions";
import { marginEngineAbi, messengerAbi, xmarginOracleAbi } from "../../sdk/abi/index.ts";
import type { GetAccountReturnType } from "../../sdk/actions/getAccount.ts";
import { encodeMessage } from "../../sdk/codec/index.ts";
import { fromWadUp, toWadDown } from "../../sdk/portfolio/state.ts";
import { divUp, mulDown, mulUp, WAD } from "../../sdk/risk/fixed.ts";
import { effectiveWeight, tightenedWeights } from "../../sdk/risk/health.ts";
import type { HealthBreakdown } from "../../sdk/risk/types.ts";

export interface AutoMarginSettings {
  /**
   * Opted-in accounts whose maintenance health ratio `E^maint / R^maint` is at or below this (WAD) are
   * topped up; the engine also requires `H^init < 0`. Default 1.5.
   */
  threshold: bigint;
  /** The locks aim to lift `H^init` to this fraction of `R^init` (WAD). Default 0.1. */
  targetBuffer: bigint;
  /** A Lock the hub has not seen acknowledged after this long is taken as lost, and may be sent again. */
  acknowledgementTimeoutMs: number;
}

export const DEFAULT_AUTO_MARGIN: AutoMarginSettings = {
  threshold: (WAD * 3n) / 2n,
  targetBuffer: WAD / 10n,
  acknowledgementTimeoutMs: 120_000,
};

/** Whether the keeper should consider topping up an account with this health. */
export function wantsAutoMargin(health: HealthBreakdown, settings: AutoMarginSettings): boolean {
  if (health.liquidatable || health.health.init >= 0n) return false;
  // Without a requirement the ratio is undefined; a negative H^init then means debt beyond collateral.
  return health.healthRatioMaint === null || health.healthRatioMaint <= settings.threshold;
}

/** Free balance the hub takes as collateral, with what one whole token adds to `C^init` (WAD). */
export interface LockCandidate {
  chainId: number;
  token: Address;
  symbol: string;
  decimals: number;
  free: bigint;
  /** USD of init-tier collateral value per whole token: price·w_eff^init. */
  initValuePerToken: bigint;
}

export interface PlannedLock {
  chainId: number;
  token: Address;
  symbol: string;
  amount: bigint;
}

/**
 * The locks that add at least `shortfall` (WAD) of init-tier collateral value, largest free value first,
 * each rounded up to a token unit and capped at the free balance. Fewer than needed when the free balances
 * do not suffice: every bit still helps.
 */
export function planLocks(candidates: readonly LockCandidate[], shortfall: bigint): PlannedLock[] {
  const freeValue = (c: LockCandidate) => mulDown(toWadDown(c.free, c.decimals), c.initValuePerToken);
  const ordered = candidates.filter((c) => c.free > 0n && c.initValuePerToken > 0n);
  ordered.sort((a, b) => (freeValue(b) > freeValue(a) ? 1 : freeValue(b) < freeValue(a) ? -1 : 0));
  const locks: PlannedLock[] = [];
  let remaining = shortfall;
  for (const candidate of ordered) {
    if (remaining <= 0n) break;
    let amount = fromWadUp(divUp(remaining, candidate.initValuePerToken), candidate.decimals);
    // A Lock moves at most the free balance anyway.
    if (amount > candidate.free) amount = candidate.free;
    locks.push({ chainId: candidate.chainId, token: candidate.token, symbol: candidate.symbol, amount });
    remaining -= mulDown(toWadDown(amount, candidate.decimals), candidate.initValuePerToken);
  }
  return locks;
}

/** The init-tier collateral `H^init` should reach: the buffer share of `R^init`, rounded up. */
export function lockShortfall(health: HealthBreakdown, settings: AutoMarginSettings): bigint {
  return mulUp(health.requirement.init, settings.targetBuffer) - health.health.init;
}

/**
 * Every free balance of `account` the hub takes as collateral, priced at the hub's current oracle price and
 * weighted as the engine would weigh it in the init tier (size discount over the account's total of the
 * asset once locked).
 */
export async function lockCandidates(
  hub: Client,
  engine: Address,
  view: GetAccountReturnType,
): Promise<LockCandidate[]> {
  const oracle = await readContract(hub, { address: engine, abi: marginEngineAbi, functionName: "oracle" });
  const free = view.chains.flatMap((chain) =>
    chain.balances.filter((balance) => balance.free > 0n).map((balance) => ({ chainId: chain.chainId, balance })),
  );
  const priced = await Promise.all(
    free.map(async ({ chainId, balance }): Promise<LockCandidate | undefined> => {
      const collateral = await readContract(hub, {
        address: engine,
        abi: marginEngineAbi,
        functionName: "collateralToken",
        args: [BigInt(chainId), balance.token],
      });
      if (!collateral.enabled) return undefined;
      const [asset, spoke] = await Promise.all([
        readContract(hub, {
          address: engine,
          abi: marginEngineAbi,
          functionName: "assetConfig",
          args: [BigInt(collateral.assetId)],
        }),
        readContract(hub, { address: engine, abi: marginEngineAbi, functionName: "spoke", args: [BigInt(chainId)] }),
      ]);
      const [{ price }, [kInit, kMaint]] = await Promise.all([
        readContract(hub, { address: oracle, abi: xmarginOracleAbi, functionName: "getPrice", args: [asset.priceId] }),
        readContract(hub, {
          address: oracle,
          abi: xmarginOracleAbi,
          functionName: "volatilityMultipliers",
          args: [asset.priceId],
        }),
      ]);
      const held = view.ledger
        .filter((entry) => entry.assetId === collateral.assetId)
        .reduce((sum, entry) => sum + toWadDown(entry.counted, entry.decimals), 0n);
      const weights = tightenedWeights(
        { ...asset, price, kInit, kMaint },
        held + toWadDown(balance.free, balance.decimals),
      );
      return {
        chainId,
        token: balance.token,
        symbol: balance.symbol,
        decimals: balance.decimals,
        free: balance.free,
        initValuePerToken: mulDown(price, effectiveWeight(spoke.haircut, weights.init)),
      };
    }),
  );
  return priced.filter((candidate): candidate is LockCandidate => candidate !== undefined);
}

/** The messaging fee of the Lock the engine will send next for `account` on `chainId`. */
export async function quoteLock(
  hub: Client,
  engine: Address,
  hubChainId: number,
  account: Address,
  lock: PlannedLock,
): Promise<bigint> {
  const [messenger, lastNonce] = await Promise.all([
    readContract(hub, { address: engine, abi: marginEngineAbi, functionName: "messenger" }),
    readContract(hub, {
      address: engine,
      abi: marginEngineAbi,
      functionName: "lastCommandNonce",
      args: [account, BigInt(lock.chainId)],
    }),
  ]);
  const message = encodeMessage({
    type: "Lock",
    origin: BigInt(hubChainId),
    destination: BigInt(lock.chainId),
    account,
    asset: lock.token,
    amount: lock.amount,
    cmdNonce: lastNonce + 1n,
  });
  return readContract(hub, {
    address: messenger,
    abi: messengerAbi,
    functionName: "quote",
    args: [BigInt(lock.chainId), message],
  });
}
