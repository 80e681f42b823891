import {
  type Abi,
  type Account,
  type Address,
  BaseError,
  type Chain,
  ContractFunctionRevertedError,
  encodeFunctionData,
  getAbiItem,
  type Hex,
  isAddressEqual,
  type Log,
  type PublicClient,
  parseEventLogs,
  type Transport,
  type WalletClient,
} from "viem";
import { type SubmitTransaction, viemSubmitter } from "../submit.ts";
import {
  hyperlaneGatewayAbi,
  ISM_MODULE_TYPE,
  interchainSecurityModuleAbi,
  mailboxAbi,
  merkleTreeHookAbi,
  messagingAppErrorsAbi,
} from "./abi.ts";
import { messageIdMultisigMetadata } from "./checkpoint.ts";
import { HyperlaneTransportError } from "./errors.ts";
import { blockRanges, confirmedHead, DEFAULT_MAX_BLOCK_RANGE } from "./logs.ts";
import { bytes32ToAddress, type HyperlaneMessage, hyperlaneMessageId, parseHyperlaneMessage } from "./message.ts";
import { type CheckpointRequest, type CheckpointSignatureSource, collectQuorum } from "./signatures.ts";

/** The chain messages leave from. */
export interface HyperlaneOrigin {
  domain: number;
  client: PublicClient;
  mailbox: Address;
  /** The Mailbox's required merkle tree hook: its tree is what validators attest. */
  merkleTreeHook: Address;
  /** First block to scan (the Mailbox's deployment block). */
  fromBlock?: bigint;
}

/** A chain messages are delivered to, with the account that pays for `process`. */
export interface HyperlaneDestination {
  domain: number;
  publicClient: PublicClient;
  walletClient: WalletClient<Transport, Chain | undefined, Account>;
  mailbox: Address;
  /** How transactions are sent (default: viem's `sendTransaction`, then receipt polling). */
  submit?: SubmitTransaction;
}

/** A message found in the origin's logs, with where the merkle tree hook put it. */
export interface DispatchedMessage {
  id: Hex;
  raw: Hex;
  message: HyperlaneMessage;
  /** Leaf index in the origin's merkle tree. */
  index: number;
  merkleTreeHook: Address;
  blockNumber: bigint;
  transactionHash: Hex;
  /** Position of the `Dispatch` log in its block. */
  logIndex: number;
}

export type DeliveryOutcome =
  | { status: "delivered"; message: DispatchedMessage; transactionHash: Hex; gasUsed: bigint; signers: Address[] }
  | { status: "already-delivered"; message: DispatchedMessage }
  | { status: "failed"; message: DispatchedMessage; error: HyperlaneTransportError };

const [dispatchEvent, dispatchIdEvent] = mailboxAbi;
const [insertedIntoTreeEvent] = merkleTreeHookAbi;

/** The origin's events a Hyperlane message shows in: the Mailbox's `Dispatch` and `DispatchId`, the hook's insertion. */
export const DISPATCH_EVENTS = [dispatchEvent, dispatchIdEvent, insertedIntoTreeEvent] as const;

/** The destination Mailbox's record of a processed message. */
export const PROCESS_ID_EVENT = getAbiItem({ abi: mailboxAbi, name: "ProcessId" });

/** The messages `mailbox` processed among `logs`, with the transactions that processed them. */
export function processedMessagesFromLogs(
  mailbox: Address,
  logs: readonly Log[],
): { messageId: Hex; transactionHash: Hex }[] {
  return parseEventLogs({ abi: [PROCESS_ID_EVENT], logs: [...logs] })
    .filter((log) => isAddressEqual(log.address, mailbox) && log.transactionHash !== null)
    .map((log) => ({ messageId: log.args.messageId, transactionHash: log.transactionHash }));
}

/**
 * Messages dispatched on the origin Mailbox in `fromBlock`..`toBlock`, in dispatch order. Each one's
 * `DispatchId` must match the hash of its bytes and the hook must have inserted it; otherwise the
 * Mailbox or hook is not what the configuration says, and this throws.
 */
export async function findDispatchedMessages(params: {
  client: PublicClient;
  mailbox: Address;
  merkleTreeHook: Address;
  fromBlock: bigint;
  toBlock: bigint;
  maxBlockRange?: bigint;
}): Promise<DispatchedMessage[]> {
  const { client, mailbox, merkleTreeHook } = params;
  const found: DispatchedMessage[] = [];
  for (const [fromBlock, toBlock] of blockRanges(
    params.fromBlock,
    params.toBlock,
    params.maxBlockRange ?? DEFAULT_MAX_BLOCK_RANGE,
  )) {
    const logs = await client.getLogs({
      address: [mailbox, merkleTreeHook],
      events: DISPATCH_EVENTS,
      fromBlock,
      toBlock,
    });
    found.push(...dispatchedMessagesFromLogs({ logs, mailbox, merkleTreeHook }));
  }
  return found;
}

/**
 * The messages dispatched among `logs` (every `DISPATCH_EVENTS` log of the Mailbox and its hook over a
 * block range, in chain order; other logs are ignored), checked as `findDispatchedMessages` checks them.
 */
export function dispatchedMessagesFromLogs(params: {
  logs: readonly Log[];
  mailbox: Address;
  merkleTreeHook: Address;
}): DispatchedMessage[] {
  const { mailbox, merkleTreeHook } = params;
  // Pending logs (no block yet) are not messages to act on.
  const logs = parseEventLogs({ abi: DISPATCH_EVENTS, logs: [...params.logs], strict: true }).filter(
    (log): log is typeof log & { blockNumber: bigint; transactionHash: Hex } =>
      log.blockNumber !== null && log.transactionHash !== null,
  );
  const found: DispatchedMessage[] = [];
  const dispatchIds = new Set<string>();
  const treeIndex = new Map<string, number>();
  for (const log of logs) {
    if (log.eventName === "DispatchId" && isAddressEqual(log.address, mailbox)) {
      dispatchIds.add(`${log.transactionHash}:${log.args.messageId.toLowerCase()}`);
    } else if (log.eventName === "InsertedIntoTree" && isAddressEqual(log.address, merkleTreeHook)) {
      treeIndex.set(log.args.messageId.toLowerCase(), log.args.index);
    }
  }
  for (const log of logs) {
    if (log.eventName !== "Dispatch" || !isAddressEqual(log.address, mailbox)) continue;
    const raw = log.args.message;
    const id = hyperlaneMessageId(raw);
    const context = { id, transactionHash: log.transactionHash, blockNumber: log.blockNumber };
    if (!dispatchIds.has(`${log.transactionHash}:${id}`)) {
      throw new HyperlaneTransportError("DispatchLogMismatch", `Dispatch of ${id} has no matching DispatchId`, {
        details: context,
      });
    }
    const index = treeIndex.get(id);
    if (index === undefined) {
      throw new HyperlaneTransportError(
        "MissingTreeInsertion",
        `message ${id} was not inserted into merkle tree hook ${merkleTreeHook}`,
        { details: { ...context, merkleTreeHook } },
      );
    }
    found.push({
      id,
      raw,
      message: parseHyperlaneMessage(raw),
      index,
      merkleTreeHook,
      blockNumber: log.blockNumber,
      transactionHash: log.transactionHash,
      logIndex: log.logIndex,
    });
  }
  return found;
}

/** The message-id multisig ISM a recipient's messages are verified by, following routing ISMs. */
export async function resolveMultisigIsm(
  destination: Pick<HyperlaneDestination, "publicClient" | "mailbox">,
  raw: Hex,
): Promise<{ ism: Address; validators: readonly Address[]; threshold: number }> {
  const client = destination.publicClient;
  const recipient = bytes32ToAddress(parseHyperlaneMessage(raw).recipient);
  let ism = await client.readContract({
    address: destination.mailbox,
    abi: mailboxAbi,
    functionName: "recipientIsm",
    args: [recipient],
  });
  const visited: Address[] = [];
  // Routing ISMs may nest; a cycle in a misconfigured tree must not loop forever.
  while (!visited.some((address) => isAddressEqual(address, ism))) {
    visited.push(ism);
    const read = { address: ism, abi: interchainSecurityModuleAbi } as const;
    try {
      const moduleType = await client.readContract({ ...read, functionName: "moduleType" });
      if (moduleType === ISM_MODULE_TYPE.routing) {
        ism = await client.readContract({ ...read, functionName: "route", args: [raw] });
        continue;
      }
      if (moduleType === ISM_MODULE_TYPE.messageIdMultisig) {
        const [validators, threshold] = await client.readContract({
          ...read,
          functionName: "validatorsAndThreshold",
          args: [raw],
        });
        return { ism, validators, threshold };
      }
      throw new HyperlaneTransportError("UnsupportedIsm", `ISM ${ism} has module type ${moduleType}`, {
        details: { ism, moduleType, recipient },
      });
    } catch (error) {
      if (error instanceof HyperlaneTransportError) throw error;
      throw new HyperlaneTransportError("UnsupportedIsm", `cannot resolve the ISM of ${recipient} at ${ism}`, {
        cause: error,
        details: { ism, recipient, visited },
      });
    }
  }
  throw new HyperlaneTransportError("UnsupportedIsm", `routing ISMs of ${recipient} form a cycle`, {
    details: { recipient, visited },
  });
}

/** Why a call reverted, decoded with the given ABI: a custom error's name and args, or a revert string. */
export function revertReason(error: unknown): { reason?: string; args?: readonly unknown[] } {
  if (!(error instanceof BaseError)) return {};
  const reverted = error.walk((cause) => cause instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) return { reason: error.shortMessage };
  if (reverted.data && reverted.data.errorName !== "Error") {
    return { reason: reverted.data.errorName, args: reverted.data.args ?? [] };
  }
  return { reason: reverted.reason ?? reverted.signature ?? "execution reverted" };
}

/**
 * Calls `Mailbox.process(metadata, message)` on the destination. The gas estimate doubles as the
 * simulation: a revert surfaces there decoded (with the Mailbox's, the gateway's, the messaging apps'
 * and `errorAbi`'s errors) and costs no gas.
 */
export async function processHyperlaneMessage(params: {
  destination: HyperlaneDestination;
  metadata: Hex;
  raw: Hex;
  errorAbi?: Abi;
  /**
   * Gas the recipient may need beyond what the estimate saw, added to the limit: in dual mode the other
   * transport's copy can land between the estimate and this transaction, and this delivery then applies
   * the message instead of only recording it.
   */
  recipientGasAllowance?: bigint;
}): Promise<{ transactionHash: Hex; gasUsed: bigint }> {
  const { destination, metadata, raw } = params;
  const id = hyperlaneMessageId(raw);
  const abi = [...mailboxAbi, ...hyperlaneGatewayAbi, ...messagingAppErrorsAbi, ...(params.errorAbi ?? [])];
  const failed = (error: unknown, transactionHash?: Hex) => {
    const decoded = revertReason(error);
    return new HyperlaneTransportError(
      "ProcessReverted",
      `process of ${id} on domain ${destination.domain} reverted${decoded.reason ? `: ${decoded.reason}` : ""}`,
      { cause: error, details: { messageId: id, destination: destination.domain, transactionHash, ...decoded } },
    );
  };
  const call = {
    address: destination.mailbox,
    abi,
    functionName: "process",
    args: [metadata, raw],
    // The sender as a bare address: with a local account viem would first fill a whole transaction (nonce,
    // fees, eth_fillTransaction), four extra round trips the estimate does not need.
    account: destination.walletClient.account?.address,
  } as const;
  let estimate: bigint;
  try {
    estimate = await destination.publicClient.estimateContractGas(call);
  } catch (error) {
    throw failed(error);
  }
  const submit = destination.submit ?? viemSubmitter(destination.publicClient, destination.walletClient);
  const receipt = await submit({
    to: destination.mailbox,
    data: encodeFunctionData(call),
    gas: estimate + (estimate * PROCESS_GAS_MARGIN_PERCENT) / 100n + (params.recipientGasAllowance ?? 0n),
  });
  if (receipt.status !== "success") {
    throw failed(new Error("the process transaction reverted after a successful estimate"), receipt.transactionHash);
  }
  return { transactionHash: receipt.transactionHash, gasUsed: receipt.gasUsed };
}

// The estimate is exact for the state it ran on; the margin covers state that moves before inclusion.
const PROCESS_GAS_MARGIN_PERCENT = 20n;

export interface HyperlaneDelivererOptions {
  origin: HyperlaneOrigin;
  /** Chains this deliverer serves; messages to other domains are left to other relayers. */
  destinations: readonly HyperlaneDestination[];
  /** Asked in order until the ISM's threshold is met: own validators first, then peers. */
  signatureSources: readonly CheckpointSignatureSource[];
  /** Blocks (counting its own) a dispatch must have before it is relayed. Default 1. */
  confirmations?: number;
  maxBlockRange?: bigint;
  /** Errors of the recipients' applications, to decode reverts of `process`. */
  errorAbi?: Abi;
}

/**
 * Relays Hyperlane messages from one origin: finds confirmed dispatches, collects `threshold`
 * validator signatures over each message's checkpoint, and calls `Mailbox.process` on the
 * destination. A message is done once the destination Mailbox reports it delivered, whoever
 * delivered it; failed messages stay pending and are retried by the next `poll`.
 */
export class HyperlaneDeliverer {
  private readonly pending = new Map<string, DispatchedMessage>();
  private readonly destinations = new Map<number, HyperlaneDestination>();
  private nextBlock: bigint;

  constructor(private readonly options: HyperlaneDelivererOptions) {
    for (const destination of options.destinations) this.destinations.set(destination.domain, destination);
    this.nextBlock = options.origin.fromBlock ?? 0n;
  }

  /** Messages found but not yet known delivered. */
  get pendingMessages(): readonly DispatchedMessage[] {
    return [...this.pending.values()];
  }

  /** Reads dispatches up to the confirmed head and queues those for served destinations. */
  async scan(): Promise<DispatchedMessage[]> {
    const { origin } = this.options;
    const toBlock = await confirmedHead(origin.client, this.options.confirmations ?? 1);
    if (toBlock === undefined || toBlock < this.nextBlock) return [];
    const found = await findDispatchedMessages({
      client: origin.client,
      mailbox: origin.mailbox,
      merkleTreeHook: origin.merkleTreeHook,
      fromBlock: this.nextBlock,
      toBlock,
      maxBlockRange: this.options.maxBlockRange,
    });
    this.nextBlock = toBlock + 1n;
    const served = found.filter((dispatched) => this.destinations.has(dispatched.message.destination));
    for (const dispatched of served) this.pending.set(dispatched.id, dispatched);
    return served;
  }

  /** Scans, then tries every pending message once; never throws for a single message's failure. */
  async poll(): Promise<DeliveryOutcome[]> {
    await this.scan();
    const outcomes: DeliveryOutcome[] = [];
    for (const dispatched of this.pending.values()) {
      try {
        outcomes.push(await this.deliver(dispatched));
        this.pending.delete(dispatched.id);
      } catch (error) {
        const failure =
          error instanceof HyperlaneTransportError
            ? error
            : new HyperlaneTransportError("DeliveryFailed", `delivery of ${dispatched.id} failed`, {
                cause: error,
                details: { messageId: dispatched.id },
              });
        outcomes.push({ status: "failed", message: dispatched, error: failure });
      }
    }
    return outcomes;
  }

  /** Delivers one message; "already delivered" (by us earlier or by anyone) is success. */
  async deliver(dispatched: DispatchedMessage): Promise<Exclude<DeliveryOutcome, { status: "failed" }>> {
    const destination = this.destinations.get(dispatched.message.destination);
    if (!destination) {
      throw new HyperlaneTransportError(
        "UnknownDestination",
        `no client for destination domain ${dispatched.message.destination}`,
        { details: { messageId: dispatched.id, destination: dispatched.message.destination } },
      );
    }
    if (await isDelivered(destination, dispatched.id)) return { status: "already-delivered", message: dispatched };

    const { validators, threshold } = await resolveMultisigIsm(destination, dispatched.raw);
    const request: CheckpointRequest = {
      origin: this.options.origin.domain,
      merkleTreeHook: dispatched.merkleTreeHook,
      messageId: dispatched.id,
      index: dispatched.index,
      validators,
      threshold,
    };
    const quorum = await collectQuorum(request, this.options.signatureSources);
    const metadata = messageIdMultisigMetadata(quorum.checkpoint, quorum.signatures);

    let processed: { transactionHash: Hex; gasUsed: bigint };
    try {
      processed = await processHyperlaneMessage({
        destination,
        metadata,
        raw: dispatched.raw,
        errorAbi: this.options.errorAbi,
      });
    } catch (error) {
      // Another relayer may have delivered it between our check and our transaction.
      if (await isDelivered(destination, dispatched.id)) return { status: "already-delivered", message: dispatched };
      throw error;
    }
    if (!(await isDelivered(destination, dispatched.id))) {
      throw new HyperlaneTransportError(
        "NotDelivered",
        `process of ${dispatched.id} was mined but the Mailbox does not report it delivered`,
        { details: { messageId: dispatched.id, transactionHash: processed.transactionHash } },
      );
    }
    return { status: "delivered", message: dispatched, ...processed, signers: quorum.signers };
  }
}

function isDelivered(destination: Pick<HyperlaneDestination, "publicClient" | "mailbox">, id: Hex): Promise<boolean> {
  return destination.publicClient.readContract({
    address: destination.mailbox,
    abi: mailboxAbi,
    functionName: "delivered",
    args: [id],
  });
}
