import type { Address, Client, Hash, Hex, TransactionReceipt } from "viem";
import { getBlockNumber, getContractEvents, waitForTransactionReceipt } from "viem/actions";
import { collateralVaultAbi, marginEngineAbi } from "../abi/generated.ts";
import type { Message } from "../codec/index.ts";
import { type DeploymentChain, getDeploymentChain, requireContract } from "../deployments.ts";
import {
  type ClientError,
  type ContractRevertError,
  DeliveryTimeoutError,
  type DeploymentError,
  InvalidParameterError,
  type RpcRequestError,
  type UnknownChainError,
} from "../errors.ts";
import { chainClient, clientChain, type XmarginParameters } from "./internal/context.ts";
import { type SentMessage, sentMessages } from "./internal/messages.ts";
import { rpc } from "./internal/transaction.ts";

export interface WaitForDeliveryParameters extends XmarginParameters {
  /** The transaction that sent the message(s): a deposit, lock, release, liquidation, … */
  hash: Hash;
  /** The chain of that transaction, by id or name; defaults to the client's. */
  chain?: number | string | undefined;
  /** Milliseconds to wait for every message to be applied. Default 120 000. */
  timeout?: number | undefined;
  /** Milliseconds between looks at the destination. Defaults to the destination client's polling interval. */
  pollingInterval?: number | undefined;
  /**
   * How far back to look on the destination for a delivery that already happened: this many blocks before
   * its head when waiting starts (default 1000). Pass `fromBlock` to set the first block exactly instead.
   */
  lookbackBlocks?: bigint | undefined;
  fromBlock?: bigint | undefined;
  onProgress?: ((progress: DeliveryProgress) => void) | undefined;
}

/**
 * How a message ended on its destination: a report `applied` or `ignored` by the hub (not newer than the
 * last one, or an asset the hub does not price); a command `executed` by the vault, or ignored as `stale`
 * (a replay of one already executed).
 */
export type DeliveryOutcome = "applied" | "ignored" | "executed" | "stale";

export interface Delivery {
  message: Message;
  raw: Hex;
  destinationChainId: number;
  outcome: DeliveryOutcome;
  /** The destination transaction that applied it (for a parked command: the one that finally executed it). */
  transactionHash: Hash;
  blockNumber: bigint;
  /** `executed` only: what the vault actually moved, which may be less than commanded. */
  applied?: bigint | undefined;
}

export type DeliveryProgress =
  /** The source transaction is mined and these messages left it. */
  | { status: "sent"; sourceChainId: number; messages: SentMessage[] }
  /** Still waiting: the destination was searched up to `searchedTo`. */
  | { status: "waiting"; message: Message; destinationChainId: number; searchedTo: bigint; elapsed: number }
  /** A command arrived ahead of its predecessors; the vault executes it once they arrive. */
  | { status: "parked"; message: Message; destinationChainId: number; transactionHash: Hash }
  | { status: "delivered"; delivery: Delivery };

export interface WaitForDeliveryReturnType {
  sourceChainId: number;
  /** One per message the source transaction sent, in the order it sent them. */
  deliveries: Delivery[];
}

export type WaitForDeliveryErrorType =
  | DeliveryTimeoutError
  | InvalidParameterError
  | RpcRequestError
  | ContractRevertError
  | UnknownChainError
  | DeploymentError
  | ClientError;

/** The application contracts of a chain: the messages they emit are xmargin's. */
function applications(chain: DeploymentChain): Address[] {
  return [chain.contracts.engine, chain.contracts.vault].filter((address): address is Address => address !== undefined);
}

interface Tracked {
  sent: SentMessage;
  destination: DeploymentChain;
  client: Client;
  receiver: Address;
  delivery?: Delivery;
  parked: boolean;
}

/** Looks for the message's effect in [fromBlock, toBlock] of its destination. */
async function findEffect(tracked: Tracked, fromBlock: bigint, toBlock: bigint) {
  const { message } = tracked.sent;
  const range = { address: tracked.receiver, fromBlock, toBlock } as const;
  const call = { chainId: tracked.destination.chainId, contract: tracked.receiver };
  const found = (outcome: DeliveryOutcome, log: { transactionHash: Hash; blockNumber: bigint }, applied?: bigint) => ({
    message,
    raw: tracked.sent.raw,
    destinationChainId: tracked.destination.chainId,
    outcome,
    transactionHash: log.transactionHash,
    blockNumber: log.blockNumber,
    ...(applied === undefined ? {} : { applied }),
  });
  if (message.type === "BalanceReport") {
    const args = { account: message.account, chainId: message.origin, asset: message.asset };
    const [applied, ignored] = await rpc("searching the hub for the report", call, () =>
      Promise.all([
        getContractEvents(tracked.client, {
          ...range,
          abi: marginEngineAbi,
          eventName: "BalanceReportApplied",
          args,
          strict: true,
        }),
        getContractEvents(tracked.client, {
          ...range,
          abi: marginEngineAbi,
          eventName: "BalanceReportIgnored",
          args,
          strict: true,
        }),
      ]),
    );
    const seq = Number(message.seq);
    const appliedLog = applied.find((log) => log.args.seq === seq);
    if (appliedLog !== undefined) return { delivery: found("applied", appliedLog) };
    const ignoredLog = ignored.find((log) => log.args.seq === seq);
    if (ignoredLog !== undefined) return { delivery: found("ignored", ignoredLog) };
    return {};
  }
  const args = { account: message.account, cmdNonce: message.cmdNonce };
  const [executed, stale, parked] = await rpc("searching the vault for the command", call, () =>
    Promise.all([
      getContractEvents(tracked.client, {
        ...range,
        abi: collateralVaultAbi,
        eventName: "CommandExecuted",
        args,
        strict: true,
      }),
      getContractEvents(tracked.client, {
        ...range,
        abi: collateralVaultAbi,
        eventName: "StaleCommandIgnored",
        args,
        strict: true,
      }),
      getContractEvents(tracked.client, {
        ...range,
        abi: collateralVaultAbi,
        eventName: "CommandParked",
        args,
        strict: true,
      }),
    ]),
  );
  const [executedLog] = executed;
  if (executedLog !== undefined) return { delivery: found("executed", executedLog, executedLog.args.applied) };
  const [staleLog] = stale;
  if (staleLog !== undefined) return { delivery: found("stale", staleLog) };
  return { parkedIn: parked[0]?.transactionHash };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Follows a cross-chain message from its source transaction to its application on the destination: finds
 * every xmargin message the transaction sent (the application's `MessageSent` event, decoded with the
 * codec), then watches each destination for the application's effect — `BalanceReportApplied` or
 * `BalanceReportIgnored` on the hub for a report (matched by account, origin, asset and seq),
 * `CommandExecuted` or `StaleCommandIgnored` on the vault for a command (matched by account and cmdNonce;
 * `CommandParked` is reported as progress). It reads only logs, so it works whatever transport and relayer
 * carry the message.
 */
export async function waitForDelivery(
  client: Client,
  parameters: WaitForDeliveryParameters,
): Promise<WaitForDeliveryReturnType> {
  const { deployment, hash, timeout = 120_000, onProgress } = parameters;
  const started = Date.now();
  const source =
    parameters.chain === undefined
      ? clientChain(client, deployment, "waitForDelivery")
      : getDeploymentChain(deployment, parameters.chain);
  const sourceClient = chainClient(parameters, source.chainId, client);
  const receipt: TransactionReceipt = await rpc(`waiting for transaction ${hash}`, { chainId: source.chainId }, () =>
    waitForTransactionReceipt(sourceClient, { hash, timeout }),
  );
  const sent = applications(source).flatMap((app) => sentMessages(receipt, app));
  if (sent.length === 0) {
    throw new InvalidParameterError(`transaction ${hash} on ${source.name} sent no xmargin message`, {
      details: { hash, chainId: source.chainId },
    });
  }
  onProgress?.({ status: "sent", sourceChainId: source.chainId, messages: sent });

  const tracked: Tracked[] = sent.map((message) => {
    const destination = getDeploymentChain(deployment, Number(message.message.destination));
    return {
      sent: message,
      destination,
      client: chainClient(parameters, destination.chainId, client),
      receiver:
        message.message.type === "BalanceReport"
          ? requireContract(destination, "engine")
          : requireContract(destination, "vault"),
      parked: false,
    };
  });
  const cursors = new Map<number, bigint>();
  for (const { destination, client: destinationClient } of tracked) {
    if (cursors.has(destination.chainId)) continue;
    const head = await rpc("reading the destination's head", { chainId: destination.chainId }, () =>
      getBlockNumber(destinationClient, { cacheTime: 0 }),
    );
    const lookback = parameters.lookbackBlocks ?? 1000n;
    cursors.set(destination.chainId, parameters.fromBlock ?? (head > lookback ? head - lookback : 0n));
  }

  for (;;) {
    const heads = new Map<number, bigint>();
    for (const item of tracked.filter((t) => t.delivery === undefined)) {
      const chainId = item.destination.chainId;
      let head = heads.get(chainId);
      if (head === undefined) {
        head = await rpc("reading the destination's head", { chainId }, () =>
          getBlockNumber(item.client, { cacheTime: 0 }),
        );
        heads.set(chainId, head);
      }
      const from = cursors.get(chainId) as bigint;
      if (from > head) continue;
      const { delivery, parkedIn } = await findEffect(item, from, head);
      if (delivery !== undefined) {
        item.delivery = delivery;
        onProgress?.({ status: "delivered", delivery });
      } else if (parkedIn !== undefined && !item.parked) {
        item.parked = true;
        onProgress?.({
          status: "parked",
          message: item.sent.message,
          destinationChainId: chainId,
          transactionHash: parkedIn,
        });
      } else {
        onProgress?.({
          status: "waiting",
          message: item.sent.message,
          destinationChainId: chainId,
          searchedTo: head,
          elapsed: Date.now() - started,
        });
      }
    }
    // Every pending message was searched up to its chain's head: the next look starts after it (a parked
    // command's CommandExecuted comes in a later transaction, so it is still ahead).
    for (const [chainId, head] of heads) cursors.set(chainId, head + 1n);
    const pending = tracked.filter((t) => t.delivery === undefined);
    if (pending.length === 0)
      return { sourceChainId: source.chainId, deliveries: tracked.map((t) => t.delivery as Delivery) };
    if (Date.now() - started >= timeout) {
      throw new DeliveryTimeoutError(
        `${pending.length} of ${tracked.length} message(s) of ${hash} not applied within ${timeout} ms${pending.some((t) => t.parked) ? " (a command is parked behind an earlier one)" : ""}`,
        { details: { hash, pending: pending.map((t) => t.sent.message), parked: pending.some((t) => t.parked) } },
      );
    }
    await sleep(parameters.pollingInterval ?? pending[0]?.client.pollingInterval ?? 1000);
  }
}
