/**
 * The keeper: a role of the relayer service. It learns accounts from the engine's events, re-evaluates them
 * on every new hub block (a price update is one), and
 *
 * - liquidates every account with `H^maint < 0`: its positions first, largest notional first, for as long as
 *   the account stays liquidatable; then, if it still is and owes settle debt, its collateral, largest value
 *   first (the keeper repays the debt in settle tokens, so it must hold some); and once nothing is left and
 *   every Seize is acknowledged, writes off the remaining debt (`resolveBadDebt`);
 * - sends auto-margin `Lock`s for opted-in accounts near maintenance (see auto-margin.ts).
 *
 * A liquidation the engine refuses because the account recovered in the meantime (NotLiquidatable and its
 * kin) is a race, not a failure: it is reported as skipped. Every transaction is logged and returned in the
 * tick's result with its gas, for the service's metrics.
 */
import { type Address, type Client, erc20Abi, type Hash, type Hex, type TransactionReceipt, zeroAddress } from "viem";
import { getBlockNumber, readContract } from "viem/actions";
import { marginEngineAbi, xmarginOracleAbi } from "../../sdk/abi/index.ts";
import { getAccount } from "../../sdk/actions/getAccount.ts";
import type { ChainClients, WalletClient } from "../../sdk/actions/internal/context.ts";
import { engineEvent } from "../../sdk/actions/internal/engine.ts";
import { sendContractTransaction } from "../../sdk/actions/internal/transaction.ts";
import { liquidateCollateral } from "../../sdk/actions/liquidateCollateral.ts";
import { liquidatePerp } from "../../sdk/actions/liquidatePerp.ts";
import { previewHealth } from "../../sdk/actions/previewHealth.ts";
import { isContractRevert, toXmarginError } from "../../sdk/contract-errors.ts";
import { type Deployment, getDeploymentMarket, requireContract } from "../../sdk/deployments.ts";
import type { XmarginContractErrorName, XmarginError } from "../../sdk/errors.ts";
import { type AccountState, requireAsset, requireMarket, toWadDown } from "../../sdk/portfolio/state.ts";
import { mulDown, mulUp } from "../../sdk/risk/fixed.ts";
import { fromHealthBreakdownStruct } from "../../sdk/risk/onchain.ts";
import type { HealthBreakdown } from "../../sdk/risk/types.ts";
import { EngineAccountDiscovery } from "./accounts.ts";
import {
  type AutoMarginSettings,
  DEFAULT_AUTO_MARGIN,
  lockCandidates,
  lockShortfall,
  planLocks,
  quoteLock,
  wantsAutoMargin,
} from "./auto-margin.ts";
import { KeeperConfigError } from "./errors.ts";
import { type KeeperLogger, pollLoop } from "./loop.ts";

export interface KeeperOptions {
  deployment: Deployment;
  hub: {
    /** Reads (health, events, state). Must be on the hub chain. */
    publicClient: Client;
    /** Signs the keeper's transactions: liquidations, auto-margin locks, bad-debt resolution. */
    walletClient: WalletClient;
  };
  /**
   * Read clients of the other chains by chain id, for the vaults' free balances that auto-margin locks.
   * Chains without one are read over HTTP at the deployment's `rpcUrl`.
   */
  chainClients?: ChainClients | undefined;
  logger: KeeperLogger;
  /** Between the end of one tick and the start of the next, for `start()`. Default 2 s. */
  pollIntervalMs?: number | undefined;
  /** Auto-margin settings, or false to send no Locks. Defaults: DEFAULT_AUTO_MARGIN. */
  autoMargin?: Partial<AutoMarginSettings> | false | undefined;
  /** The first hub block whose engine events name accounts. Default 0. */
  fromBlock?: bigint | undefined;
  /** Blocks per `eth_getLogs` request. Default 10,000. */
  maxBlockRange?: bigint | undefined;
  /** Transactions per account per tick at most, so that one account cannot hold the keeper. Default 12. */
  maxActionsPerAccount?: number | undefined;
  /** Called with every tick's result while `start()`ed (metrics). */
  onTick?: ((result: KeeperTickResult) => void) | undefined;
  /**
   * The engine's price ids. When the engine caches prices for its health views, the keeper refreshes the cache
   * of every id whose oracle price moved before it evaluates accounts, so that a price move is seen at once.
   */
  priceIds?: readonly Hex[] | undefined;
}

export type KeeperActionKind = "liquidatePerp" | "liquidateCollateral" | "resolveBadDebt" | "autoMarginLock";

interface ActionBase<kind extends KeeperActionKind> {
  account: Address;
  kind: kind;
  hash: Hash;
  blockNumber: bigint;
  gasUsed: bigint;
  effectiveGasPrice: bigint;
}

/** A transaction the keeper sent. Amounts as the engine's events give them. */
export type KeeperAction =
  | (ActionBase<"liquidatePerp"> & {
      marketId: bigint;
      market?: string | undefined;
      size: bigint;
      price: bigint;
      feeToLiquidator: bigint;
    })
  | (ActionBase<"liquidateCollateral"> & {
      chainId: number;
      asset: Address;
      /** Settle tokens paid (token units). */
      repaid: bigint;
      seizedToLiquidator: bigint;
      seizedToProtocol: bigint;
    })
  | (ActionBase<"resolveBadDebt"> & { debt: bigint; coveredByInsurance: bigint; socialized: bigint })
  | (ActionBase<"autoMarginLock"> & { chainId: number; asset: Address; amount: bigint; cmdNonce: bigint });

/** Something the keeper decided not to do, or that the engine refused because the account changed. */
export interface KeeperSkip {
  account: Address;
  kind: KeeperActionKind;
  reason: string;
}

export interface KeeperFailure {
  /** The account concerned; the zero address for `refreshPrices`, which concerns all of them. */
  account: Address;
  kind: KeeperActionKind | "evaluate" | "refreshPrices";
  error: XmarginError;
}

export interface KeeperTickResult {
  /** The hub block the tick evaluated. */
  blockNumber: bigint;
  /** Accounts the keeper watches (those with a requirement or debt). */
  watched: number;
  /** Accounts evaluated this tick: none when no block came since the last tick. */
  evaluated: number;
  actions: KeeperAction[];
  skipped: KeeperSkip[];
  failures: KeeperFailure[];
  durationMs: number;
}

export interface Keeper {
  /** One pass: read new events, re-evaluate every watched account, act. */
  tick(): Promise<KeeperTickResult>;
  /** Ticks every `pollIntervalMs` until `stop()`; failures are logged, never thrown. */
  start(): void;
  /** Resolves once the tick in progress has ended. */
  stop(): Promise<void>;
  readonly running: boolean;
}

/** Reverts that mean the account changed since the keeper looked at it: a lost race, not a failure. */
const RACE_ERRORS: readonly XmarginContractErrorName[] = [
  "NotLiquidatable",
  "NothingToLiquidate",
  "NoDebt",
  "NotBankrupt",
  "AutoMarginNotNeeded",
  "AutoMarginNotEnabled",
];

/** Reads in flight at once when evaluating accounts. */
const READ_CONCURRENCY = 16;

/** bigint → string, for log lines. */
const loggable = (record: object) =>
  Object.fromEntries(Object.entries(record).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : v]));

const receiptFields = (receipt: TransactionReceipt) => ({
  hash: receipt.transactionHash,
  blockNumber: receipt.blockNumber,
  gasUsed: receipt.gasUsed,
  effectiveGasPrice: receipt.effectiveGasPrice,
});

const abs = (value: bigint) => (value < 0n ? -value : value);
const byDescending =
  <T>(key: (item: T) => bigint) =>
  (a: T, b: T) => {
    const [ka, kb] = [key(a), key(b)];
    return ka === kb ? 0 : kb > ka ? 1 : -1;
  };

/** Of one engine call: sent, lost to a race (try something else), or failed (leave the account for now). */
type Outcome = "sent" | "race" | "failed";
type Attempt<T> = { outcome: "sent"; value: T } | { outcome: "race" | "failed" };

/** A Lock sent and not yet acknowledged on the hub. */
interface LockInFlight {
  chainId: number;
  cmdNonce: bigint;
  sentAt: number;
}

export function createKeeper(options: KeeperOptions): Keeper {
  const { deployment, chainClients } = options;
  const { publicClient, walletClient } = options.hub;
  if (publicClient.chain?.id !== deployment.hub.chainId || walletClient.chain.id !== deployment.hub.chainId) {
    throw new KeeperConfigError(
      `the keeper's clients must be on the hub (chain ${deployment.hub.chainId}); got ${publicClient.chain?.id} and ${walletClient.chain.id}`,
    );
  }
  const engine = requireContract(deployment.hub, "engine");
  const keeperAddress = walletClient.account.address;
  const logger = options.logger.child({ module: "keeper" });
  const autoMargin = options.autoMargin === false ? undefined : { ...DEFAULT_AUTO_MARGIN, ...options.autoMargin };
  const maxActions = options.maxActionsPerAccount ?? 12;
  const discovery = new EngineAccountDiscovery(publicClient, engine, {
    fromBlock: options.fromBlock ?? 0n,
    maxBlockRange: options.maxBlockRange ?? 10_000n,
  });
  const parameters = { deployment, chainClients };

  /** Accounts that can become liquidatable or need margin; others return when an event names them. */
  const watched = new Set<Address>();
  const locksInFlight = new Map<Address, LockInFlight[]>();
  let lastEvaluated: bigint | undefined;
  let retry = false;
  let settleToken: Promise<{ address: Address; decimals: number }> | undefined;

  /** One tick's outcome, filled in as it goes. */
  interface TickLog {
    actions: KeeperAction[];
    skipped: KeeperSkip[];
    failures: KeeperFailure[];
  }

  function recordAction(log: TickLog, action: KeeperAction): void {
    log.actions.push(action);
    logger.info(loggable(action), `${action.kind} ${action.account}`);
  }

  function recordSkip(log: TickLog, skip: KeeperSkip): void {
    log.skipped.push(skip);
    logger.debug(skip, `${skip.kind} ${skip.account} skipped: ${skip.reason}`);
  }

  function recordFailure(log: TickLog, account: Address, kind: KeeperFailure["kind"], error: unknown): void {
    const failure = { account, kind, error: toXmarginError(error, kind, { chainId: deployment.hub.chainId }) };
    log.failures.push(failure);
    logger.warn({ account, kind, err: failure.error }, `${kind} ${account} failed: ${failure.error.message}`);
  }

  /**
   * Runs one engine call for `account`. A lost race (the account recovered, or someone liquidated first) is
   * recorded as a skip, any other failure as a failure.
   */
  async function attempt<T>(
    log: TickLog,
    account: Address,
    kind: KeeperActionKind,
    send: () => Promise<T>,
  ): Promise<Attempt<T>> {
    try {
      return { outcome: "sent", value: await send() };
    } catch (error) {
      const race = RACE_ERRORS.find((name) => isContractRevert(error, name));
      if (race === undefined) {
        recordFailure(log, account, kind, error);
        return { outcome: "failed" };
      }
      recordSkip(log, { account, kind, reason: `the engine refused it: ${race}` });
      return { outcome: "race" };
    }
  }

  function keeperSettleToken() {
    settleToken ??= (async () => {
      const address = await readContract(publicClient, {
        address: engine,
        abi: marginEngineAbi,
        functionName: "settleToken",
      });
      const decimals = await readContract(publicClient, { address, abi: erc20Abi, functionName: "decimals" });
      return { address, decimals };
    })();
    // A failed read is not remembered: the next liquidation reads again.
    settleToken.catch(() => {
      settleToken = undefined;
    });
    return settleToken;
  }

  async function healthOf(account: Address, blockNumber: bigint): Promise<HealthBreakdown> {
    const struct = await readContract(publicClient, {
      address: engine,
      abi: marginEngineAbi,
      functionName: "healthOf",
      args: [account],
      blockNumber,
    });
    return fromHealthBreakdownStruct(struct);
  }

  // ------------------------------------------------------------------------------------- liquidation

  async function liquidatePosition(log: TickLog, account: Address, marketId: bigint): Promise<Outcome> {
    const attempted = await attempt(log, account, "liquidatePerp", () =>
      liquidatePerp(walletClient, { ...parameters, account, market: marketId }),
    );
    if (attempted.outcome !== "sent") return attempted.outcome;
    const result = attempted.value;
    recordAction(log, {
      account,
      kind: "liquidatePerp",
      ...receiptFields(result.receipt),
      marketId,
      market: getDeploymentMarket(deployment, marketId).name,
      size: result.size,
      price: result.price,
      feeToLiquidator: result.feeToLiquidator,
    });
    return "sent";
  }

  async function liquidateEntry(
    log: TickLog,
    account: Address,
    entry: { chainId: number; token: Address },
  ): Promise<Outcome> {
    const settle = await keeperSettleToken();
    const balance = await readContract(publicClient, {
      address: settle.address,
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [keeperAddress],
    });
    if (balance === 0n) {
      recordSkip(log, {
        account,
        kind: "liquidateCollateral",
        reason: "the keeper holds no settle tokens to repay debt",
      });
      logger.warn({ account, keeper: keeperAddress }, "collateral liquidation needs settle tokens: fund the keeper");
      return "failed";
    }
    const attempted = await attempt(log, account, "liquidateCollateral", () =>
      liquidateCollateral(walletClient, {
        ...parameters,
        account,
        chain: entry.chainId,
        asset: entry.token,
        maxRepay: toWadDown(balance, settle.decimals),
      }),
    );
    if (attempted.outcome !== "sent") return attempted.outcome;
    const result = attempted.value;
    recordAction(log, {
      account,
      kind: "liquidateCollateral",
      ...receiptFields(result.receipt),
      chainId: entry.chainId,
      asset: entry.token,
      repaid: result.repaid,
      seizedToLiquidator: result.seizedToLiquidator,
      seizedToProtocol: result.seizedToProtocol,
    });
    return "sent";
  }

  async function resolveBadDebt(log: TickLog, account: Address): Promise<void> {
    const attempted = await attempt(log, account, "resolveBadDebt", () =>
      sendContractTransaction(walletClient, {
        address: engine,
        abi: marginEngineAbi,
        functionName: "resolveBadDebt",
        args: [account],
      }),
    );
    if (attempted.outcome !== "sent") return;
    const sent = attempted.value;
    const resolved = engineEvent(sent.receipt, engine, "BadDebtResolved");
    recordAction(log, {
      account,
      kind: "resolveBadDebt",
      ...receiptFields(sent.receipt),
      debt: resolved.debt,
      coveredByInsurance: resolved.coveredByInsurance,
      socialized: resolved.socialized,
    });
  }

  /** Nothing left to seize and nothing in flight: only then does the engine write the debt off. */
  const isBankruptShell = (state: AccountState) =>
    state.positions.length === 0 &&
    state.settleBalance < 0n &&
    state.entries.every((entry) => entry.reportedLocked === 0n && entry.pendingDecrease === 0n);

  async function liquidate(log: TickLog, account: Address): Promise<void> {
    // Markets and entries the engine found nothing to take from this tick: not tried again.
    const exhaustedMarkets = new Set<bigint>();
    const exhaustedEntries = new Set<string>();
    for (let actions = 0; actions < maxActions; actions++) {
      const { before: health, state } = await previewHealth(publicClient, { ...parameters, account, actions: [] });
      if (!health.liquidatable) return;

      const positions = state.positions
        .filter((position) => position.size !== 0n && !exhaustedMarkets.has(position.marketId))
        .sort(byDescending((p) => mulUp(abs(p.size), requireMarket(state, p.marketId).price)));
      const [position] = positions;
      if (position !== undefined) {
        const outcome = await liquidatePosition(log, account, position.marketId);
        if (outcome === "failed") return;
        if (outcome === "race") exhaustedMarkets.add(position.marketId);
        continue;
      }

      if (health.debt > 0n) {
        const entryKey = (entry: { chainId: number; token: Address }) => `${entry.chainId}:${entry.token}`;
        const entries = state.entries
          .filter((entry) => entry.counted > 0n && !exhaustedEntries.has(entryKey(entry)))
          .sort(byDescending((e) => mulDown(toWadDown(e.counted, e.decimals), requireAsset(state, e.assetId).price)));
        const [entry] = entries;
        if (entry !== undefined) {
          const outcome = await liquidateEntry(log, account, entry);
          if (outcome === "failed") return;
          if (outcome === "race") exhaustedEntries.add(entryKey(entry));
          continue;
        }
      }

      if (isBankruptShell(state)) await resolveBadDebt(log, account);
      else if (state.entries.some((entry) => entry.pendingDecrease > 0n)) {
        recordSkip(log, { account, kind: "resolveBadDebt", reason: "waiting for the spokes to execute the seizures" });
      }
      return;
    }
    recordSkip(log, { account, kind: "liquidatePerp", reason: `stopped after ${maxActions} transactions this tick` });
  }

  // ------------------------------------------------------------------------------------- auto-margin

  /** Drops the account's acknowledged or timed-out Locks; true while one is still in flight. */
  function lockPending(account: Address, view: Awaited<ReturnType<typeof getAccount>>, now: number): boolean {
    const settings = autoMargin as AutoMarginSettings;
    const pending = (locksInFlight.get(account) ?? []).filter(
      (lock) =>
        now - lock.sentAt < settings.acknowledgementTimeoutMs &&
        !view.ledger.some((entry) => entry.chainId === lock.chainId && entry.acknowledgedNonce >= lock.cmdNonce),
    );
    if (pending.length === 0) locksInFlight.delete(account);
    else locksInFlight.set(account, pending);
    return pending.length > 0;
  }

  /** Locks past the acknowledgement timeout no longer hold anything back. */
  function forgetExpiredLocks(now: number): void {
    if (autoMargin === undefined) return;
    for (const [account, locks] of locksInFlight) {
      const live = locks.filter((lock) => now - lock.sentAt < autoMargin.acknowledgementTimeoutMs);
      if (live.length === 0) locksInFlight.delete(account);
      else locksInFlight.set(account, live);
    }
  }

  async function topUp(log: TickLog, account: Address, health: HealthBreakdown): Promise<void> {
    const settings = autoMargin as AutoMarginSettings;
    const optedIn = await readContract(publicClient, {
      address: engine,
      abi: marginEngineAbi,
      functionName: "autoMarginEnabled",
      args: [account],
    });
    if (!optedIn) return;
    const view = await getAccount(publicClient, { ...parameters, account });
    if (lockPending(account, view, Date.now())) {
      recordSkip(log, { account, kind: "autoMarginLock", reason: "a Lock is still on its way to the spoke" });
      return;
    }
    const locks = planLocks(await lockCandidates(publicClient, engine, view), lockShortfall(health, settings));
    if (locks.length === 0) {
      recordSkip(log, { account, kind: "autoMarginLock", reason: "no free balance the hub takes as collateral" });
      return;
    }
    for (const lock of locks) {
      const attempted = await attempt(log, account, "autoMarginLock", async () => {
        const fee = await quoteLock(publicClient, engine, deployment.hub.chainId, account, lock);
        return sendContractTransaction(walletClient, {
          address: engine,
          abi: marginEngineAbi,
          functionName: "autoMarginLock",
          args: [account, BigInt(lock.chainId), lock.token, lock.amount],
          value: fee,
        });
      });
      if (attempted.outcome !== "sent") return;
      const sent = attempted.value;
      const command = engineEvent(sent.receipt, engine, "CommandSent");
      const inFlight = locksInFlight.get(account) ?? [];
      inFlight.push({ chainId: lock.chainId, cmdNonce: command.cmdNonce, sentAt: Date.now() });
      locksInFlight.set(account, inFlight);
      recordAction(log, {
        account,
        kind: "autoMarginLock",
        ...receiptFields(sent.receipt),
        chainId: lock.chainId,
        asset: lock.token,
        amount: command.amount,
        cmdNonce: command.cmdNonce,
      });
    }
  }

  // ------------------------------------------------------------------------------------- tick

  async function evaluate(
    accounts: readonly Address[],
    blockNumber: bigint,
    log: TickLog,
  ): Promise<Map<Address, HealthBreakdown>> {
    const healths = new Map<Address, HealthBreakdown>();
    for (let i = 0; i < accounts.length; i += READ_CONCURRENCY) {
      const batch = accounts.slice(i, i + READ_CONCURRENCY);
      const settled = await Promise.allSettled(batch.map((account) => healthOf(account, blockNumber)));
      settled.forEach((outcome, j) => {
        const account = batch[j] as Address;
        if (outcome.status === "fulfilled") healths.set(account, outcome.value);
        else recordFailure(log, account, "evaluate", outcome.reason);
      });
    }
    return healths;
  }

  /** Brings the engine's price cache in line with the oracle wherever the oracle moved (one transaction). */
  async function refreshMovedPrices(log: TickLog): Promise<bigint | undefined> {
    const priceIds = options.priceIds ?? [];
    if (priceIds.length === 0) return undefined;
    try {
      const maxAge = await readContract(publicClient, {
        address: engine,
        abi: marginEngineAbi,
        functionName: "maxPriceAge",
      });
      if (maxAge === 0) return undefined;
      const oracle = await readContract(publicClient, {
        address: engine,
        abi: marginEngineAbi,
        functionName: "oracle",
      });
      const moved: Hex[] = [];
      await Promise.all(
        priceIds.map(async (priceId) => {
          const [live, cached] = await Promise.all([
            readContract(publicClient, {
              address: oracle,
              abi: xmarginOracleAbi,
              functionName: "getPrice",
              args: [priceId],
            }),
            readContract(publicClient, {
              address: engine,
              abi: marginEngineAbi,
              functionName: "cachedPrice",
              args: [priceId],
            }),
          ]);
          if (cached.readAt !== 0 && !live.stale && live.price !== cached.price) moved.push(priceId);
        }),
      );
      if (moved.length === 0) return undefined;
      const sent = await sendContractTransaction(walletClient, {
        address: engine,
        abi: marginEngineAbi,
        functionName: "refreshPrices",
        args: [moved],
      });
      logger.debug({ priceIds: moved, hash: sent.hash }, "refreshed the engine's price cache");
      return sent.receipt.blockNumber;
    } catch (error) {
      recordFailure(log, zeroAddress, "refreshPrices", error);
      return undefined;
    }
  }

  async function tick(): Promise<KeeperTickResult> {
    const started = performance.now();
    const log: TickLog = { actions: [], skipped: [], failures: [] };
    const head = await getBlockNumber(publicClient, { cacheTime: 0 }).catch((error: unknown) => {
      throw toXmarginError(error, "reading the hub's block number", { chainId: deployment.hub.chainId });
    });
    const named = await discovery.sync(head);
    for (const account of named) watched.add(account);

    let evaluated = 0;
    if (head !== lastEvaluated || named.size > 0 || retry) {
      // Health views read the cache: evaluate after the refresh, at its block.
      const refreshedAt = await refreshMovedPrices(log);
      const accounts = [...watched];
      evaluated = accounts.length;
      const healths = await evaluate(accounts, refreshedAt ?? head, log);
      for (const [account, health] of healths) {
        try {
          if (health.liquidatable) await liquidate(log, account);
          else if (autoMargin !== undefined && wantsAutoMargin(health, autoMargin)) await topUp(log, account, health);
          else if (health.requirement.maint === 0n && health.debt === 0n && !locksInFlight.has(account)) {
            // Nothing a price can push below maintenance; its next event brings it back.
            watched.delete(account);
          }
        } catch (error) {
          recordFailure(log, account, health.liquidatable ? "liquidatePerp" : "autoMarginLock", error);
        }
      }
      lastEvaluated = head;
      retry = log.failures.length > 0;
      forgetExpiredLocks(Date.now());
    }
    return {
      blockNumber: head,
      watched: watched.size,
      evaluated,
      ...log,
      durationMs: Math.round(performance.now() - started),
    };
  }

  const loop = pollLoop(
    async () => {
      const result = await tick();
      options.onTick?.(result);
      return true;
    },
    { intervalMs: options.pollIntervalMs ?? 2_000, logger, what: "keeper tick" },
  );

  return {
    tick,
    start: loop.start,
    stop: loop.stop,
    get running() {
      return loop.running;
    },
  };
}
