/**
 * Moves the devnet's writable price feeds (MockAggregatorV3) along a PriceSchedule, one step per interval,
 * and pokes the oracle so that its anchor follows (a price beyond the deviation bound of a stale anchor would
 * read as stale and block risk-increasing actions).
 */
import type { Address, Client, Hex, TransactionReceipt } from "viem";
import { readContract, waitForTransactionReceipt, writeContract } from "viem/actions";
import { xmarginOracleAbi } from "../../sdk/abi/index.ts";
import type { WalletClient } from "../../sdk/actions/internal/context.ts";
import { toXmarginError } from "../../sdk/contract-errors.ts";
import { formatWad } from "../../sdk/risk/fixed.ts";
import type { ProtocolDeployment } from "../infra/protocol.ts";
import { devnetPriceFeedAbi } from "../infra/protocol-abi.ts";
import { PricePathError } from "./errors.ts";
import { type KeeperLogger, type Loop, pollLoop } from "./loop.ts";
import { isPriceIdKey, type PriceSchedule } from "./price-path.ts";

/** A writable feed: its aggregator, the aggregator's decimals, and the oracle id it prices. */
export interface PriceFeedRef {
  address: Address;
  decimals: number;
  priceId: Hex;
}

/** Feeds by name. */
export type PriceFeeds = Readonly<Record<string, PriceFeedRef>>;

/** The feeds a protocol deployment recorded (`hub.priceFeeds` of deployments/devnet.json). */
export function protocolPriceFeeds(protocol: Pick<ProtocolDeployment, "hub">): PriceFeeds {
  return Object.fromEntries(
    Object.entries(protocol.hub.priceFeeds).map(([name, feed]) => [
      name,
      { address: feed.address, decimals: feed.decimals, priceId: feed.priceId },
    ]),
  );
}

/** Feeds found through the oracle's configuration of `priceIds` (by name), for deployments without a record. */
export async function oraclePriceFeeds(
  client: Client,
  oracle: Address,
  priceIds: Readonly<Record<string, Hex>>,
): Promise<PriceFeeds> {
  const entries = await Promise.all(
    Object.entries(priceIds).map(async ([name, priceId]) => {
      const config = await readContract(client, {
        address: oracle,
        abi: xmarginOracleAbi,
        functionName: "priceConfig",
        args: [priceId],
      });
      const decimals = await readContract(client, {
        address: config.source,
        abi: devnetPriceFeedAbi,
        functionName: "decimals",
      });
      return [name, { address: config.source, decimals, priceId }] as const;
    }),
  );
  return Object.fromEntries(entries);
}

export interface PriceMoverOptions {
  /** A client on the hub that signs: on the devnet any funded account may set a feed's answer. */
  walletClient: WalletClient;
  /** Reads; defaults to `walletClient`. */
  publicClient?: Client | undefined;
  feeds: PriceFeeds;
  schedule: PriceSchedule;
  /** When given, every moved price id is poked after its feed moves. */
  oracle?: Address | undefined;
  /** Between the end of one step and the start of the next, for `start()`. */
  intervalMs: number;
  logger: KeeperLogger;
  onStep?: ((result: PriceStepResult) => void) | undefined;
}

export interface PriceStepResult {
  /** 1 for the first step. */
  step: number;
  /** The new prices (WAD) by feed name. */
  prices: Record<string, bigint>;
  transactions: { hash: Hex; gasUsed: bigint }[];
}

export interface PriceMover extends Loop {
  /** Moves every feed of the schedule one step; undefined once the schedule has ended. */
  step(): Promise<PriceStepResult | undefined>;
}

/** The canonical feed name of a schedule key: a feed name, or the price id of one. */
function resolveFeeds(schedule: PriceSchedule, feeds: PriceFeeds): Map<string, string> {
  const resolved = new Map<string, string>();
  const unknown: string[] = [];
  for (const key of schedule.feeds) {
    const name = isPriceIdKey(key)
      ? Object.entries(feeds).find(([, feed]) => feed.priceId.toLowerCase() === key.toLowerCase())?.[0]
      : feeds[key] === undefined
        ? undefined
        : key;
    if (name === undefined) unknown.push(key);
    else resolved.set(key, name);
  }
  if (unknown.length > 0) {
    throw new PricePathError(
      `the price path names feeds the deployment does not have: ${unknown.join(", ")} (it has ${Object.keys(feeds).join(", ")})`,
      { details: { unknown, known: Object.keys(feeds) } },
    );
  }
  return resolved;
}

/** Feed units → WAD. */
const feedToWad = (answer: bigint, decimals: number) =>
  decimals <= 18 ? answer * 10n ** BigInt(18 - decimals) : answer / 10n ** BigInt(decimals - 18);

/** WAD → feed units, to the nearest unit (half up), at least one unit: a feed never reports zero. */
function wadToFeed(price: bigint, decimals: number): bigint {
  if (decimals >= 18) return price * 10n ** BigInt(decimals - 18);
  const unit = 10n ** BigInt(18 - decimals);
  const rounded = (price + unit / 2n) / unit;
  return rounded > 0n ? rounded : 1n;
}

export function createPriceMover(options: PriceMoverOptions): PriceMover {
  const { walletClient, feeds, schedule, oracle } = options;
  const reader = options.publicClient ?? walletClient;
  const logger = options.logger.child({ module: "price-mover" });
  const keys = resolveFeeds(schedule, feeds);
  let steps = 0;

  async function send(operation: string, write: () => Promise<Hex>): Promise<TransactionReceipt> {
    const call = { chainId: walletClient.chain.id, functionName: operation };
    try {
      const hash = await write();
      return await waitForTransactionReceipt(reader, { hash });
    } catch (error) {
      throw toXmarginError(error, operation, call);
    }
  }

  async function currentPrices(): Promise<Map<string, bigint>> {
    const entries = await Promise.all(
      [...keys].map(async ([key, name]) => {
        const feed = feeds[name] as PriceFeedRef;
        const [, answer] = await readContract(reader, {
          address: feed.address,
          abi: devnetPriceFeedAbi,
          functionName: "latestRoundData",
        });
        return [key, feedToWad(answer, feed.decimals)] as const;
      }),
    );
    return new Map(entries);
  }

  async function step(): Promise<PriceStepResult | undefined> {
    const next = schedule.next(await currentPrices());
    if (next === undefined) return undefined;
    steps++;
    const result: PriceStepResult = { step: steps, prices: {}, transactions: [] };
    const moved = new Set<Hex>();
    for (const [key, price] of next) {
      const name = keys.get(key) as string;
      const feed = feeds[name] as PriceFeedRef;
      const receipt = await send(`setting the ${name} feed`, () =>
        writeContract(walletClient, {
          address: feed.address,
          abi: devnetPriceFeedAbi,
          functionName: "setAnswer",
          args: [wadToFeed(price, feed.decimals)],
          account: walletClient.account,
          chain: walletClient.chain,
        }),
      );
      result.prices[name] = feedToWad(wadToFeed(price, feed.decimals), feed.decimals);
      result.transactions.push({ hash: receipt.transactionHash, gasUsed: receipt.gasUsed });
      moved.add(feed.priceId);
    }
    if (oracle !== undefined) {
      for (const priceId of moved) {
        // A poke within the oracle's minimum interval is a no-op, not a revert.
        const receipt = await send("poking the oracle", () =>
          writeContract(walletClient, {
            address: oracle,
            abi: xmarginOracleAbi,
            functionName: "poke",
            args: [priceId],
            account: walletClient.account,
            chain: walletClient.chain,
          }),
        );
        result.transactions.push({ hash: receipt.transactionHash, gasUsed: receipt.gasUsed });
      }
    }
    logger.info(
      {
        step: result.step,
        prices: Object.fromEntries(Object.entries(result.prices).map(([n, p]) => [n, formatWad(p)])),
      },
      "prices moved",
    );
    options.onStep?.(result);
    return result;
  }

  const loop = pollLoop(
    async () => {
      const result = await step();
      if (result === undefined) logger.info({ steps }, "price path finished");
      return result !== undefined;
    },
    { intervalMs: options.intervalMs, logger, what: "moving prices" },
  );
  return {
    step,
    start: loop.start,
    stop: loop.stop,
    get running() {
      return loop.running;
    },
  };
}
