import {
  type Address,
  decodeAbiParameters,
  encodeAbiParameters,
  encodeFunctionData,
  type Hex,
  isAddressEqual,
  type Log,
  type TransactionReceipt,
} from "viem";
import type { MessageTypeName } from "../../sdk/codec/index.ts";
import type { NewMessage, SeenDelivery, StoredMessage } from "../storage/index.ts";
import { type DeliveryCallOutcome, mayHaveRunOutOfGas } from "../transports/batch.ts";
import {
  addressToBytes32,
  type CheckpointRequest,
  type CheckpointSignatureSource,
  checkpointDigest,
  collectQuorum,
  DISPATCH_EVENTS,
  dispatchedMessagesFromLogs,
  HyperlaneValidator,
  hyperlaneMessageId,
  interchainGasPaymasterAbi,
  mailboxAbi,
  messageIdMultisigMetadata,
  PROCESS_ID_EVENT,
  parseHyperlaneMessage,
  processedMessagesFromLogs,
  processHyperlaneMessage,
  resolveMultisigIsm,
  validatorSignatureSource,
} from "../transports/hyperlane/index.ts";
import { PromiseCache } from "../transports/promise-cache.ts";
import { CommandGas, GAS_SETTINGS_TTL_MS, isCommand } from "./command-gas.ts";
import {
  type DeliveryProgress,
  type DeliveryResult,
  isFirstAttempt,
  type Lane,
  type LogSources,
  xmarginMessageType,
} from "./lane.ts";
import type { EngineChain, EngineNetwork } from "./network.ts";
import type { DigestSigner } from "./signer.ts";

// The raw Hyperlane message and its leaf index in the origin's merkle tree: all a checkpoint needs.
const STORED_MESSAGE = [
  { name: "raw", type: "bytes" },
  { name: "index", type: "uint32" },
] as const;

export function storedDispatchOf(message: StoredMessage): { raw: Hex; index: number } {
  const [raw, index] = decodeAbiParameters(STORED_MESSAGE, message.payload);
  return { raw, index };
}

/**
 * Hyperlane: `Dispatch` of our gateways, attested by M of N validator checkpoints (this operator's
 * validator first, the peers' over HTTP) and delivered with `Mailbox.process`.
 */
export class HyperlaneLane implements Lane {
  readonly transport = "hyperlane" as const;
  /** This operator's validator of each origin chain, by chain id; peers ask it for checkpoints too. */
  readonly validators: ReadonlyMap<number, HyperlaneValidator>;
  private readonly peers: CheckpointSignatureSource;
  private readonly isms = new PromiseCache<string, Awaited<ReturnType<typeof resolveMultisigIsm>>>();
  // Settings the gateway's and the paymaster's owners may change: read again after a while, not kept for good.
  private readonly commandGas = new CommandGas((chain) => chain.record.hyperlane.gateway);
  private readonly processOverhead = new PromiseCache<string, bigint | undefined>(GAS_SETTINGS_TTL_MS);

  constructor(
    private readonly network: EngineNetwork,
    options: { signer: DigestSigner; peers: CheckpointSignatureSource },
  ) {
    this.peers = options.peers;
    this.validators = new Map(
      network.chains.map((chain) => [
        chain.chainId,
        new HyperlaneValidator({
          client: chain.publicClient,
          origin: chain.record.hyperlane.domain,
          merkleTreeHook: chain.record.hyperlane.merkleTreeHook,
          signer: options.signer,
          confirmations: chain.config.confirmations,
          fromBlock: BigInt(chain.record.hyperlane.deployBlock),
        }),
      ]),
    );
  }

  startBlock(chain: EngineChain): bigint {
    return BigInt(chain.record.hyperlane.deployBlock);
  }

  logSources(chain: EngineChain): LogSources {
    const { mailbox, merkleTreeHook } = chain.record.hyperlane;
    return { addresses: [mailbox, merkleTreeHook], events: [...DISPATCH_EVENTS, PROCESS_ID_EVENT] };
  }

  deliveredOn(chain: EngineChain, logs: readonly Log[]): SeenDelivery[] {
    return processedMessagesFromLogs(chain.record.hyperlane.mailbox, logs).map(({ messageId, transactionHash }) => ({
      transport: "hyperlane",
      messageId,
      deliveryTxHash: transactionHash,
    }));
  }

  async discover(chain: EngineChain, fromBlock: bigint, toBlock: bigint, logs: readonly Log[]): Promise<NewMessage[]> {
    const { hyperlane } = chain.record;
    const gateway = addressToBytes32(hyperlane.gateway).toLowerCase();
    const dispatched = dispatchedMessagesFromLogs({
      logs,
      mailbox: hyperlane.mailbox,
      merkleTreeHook: hyperlane.merkleTreeHook,
    });
    // Whoever delivers will ask every validator for these checkpoints: the tree takes the same logs now. A
    // failed ingest is not lost: signing syncs again and reports it.
    this.validators
      .get(chain.chainId)
      ?.ingest(fromBlock, toBlock, logs)
      .catch(() => {});
    return dispatched.flatMap((found): NewMessage[] => {
      const destination = this.network.byDomain(found.message.destination);
      if (found.message.sender.toLowerCase() !== gateway || !destination) return [];
      if (
        found.message.recipient.toLowerCase() !== addressToBytes32(destination.record.hyperlane.gateway).toLowerCase()
      ) {
        return [];
      }
      return [
        {
          transport: "hyperlane",
          messageId: found.id,
          originChainId: chain.chainId,
          destinationChainId: destination.chainId,
          sourceTxHash: found.transactionHash,
          blockNumber: found.blockNumber,
          logIndex: found.logIndex,
          payload: encodeAbiParameters(STORED_MESSAGE, [found.raw, found.index]),
          messageType: xmarginMessageType(found.message.body),
        },
      ];
    });
  }

  async isDelivered(message: StoredMessage): Promise<boolean> {
    const destination = this.network.byChainId(message.destinationChainId);
    if (!destination) throw new Error(`stored Hyperlane message ${message.messageId} does not match the deployment`);
    return destination.publicClient.readContract({
      address: destination.record.hyperlane.mailbox,
      abi: mailboxAbi,
      functionName: "delivered",
      args: [message.messageId],
    });
  }

  async deliver(message: StoredMessage, progress: DeliveryProgress): Promise<DeliveryResult> {
    const { raw, index } = storedDispatchOf(message);
    const parsed = parseHyperlaneMessage(raw);
    const origin = this.network.byChainId(message.originChainId);
    const destination = this.network.byDomain(parsed.destination);
    if (!origin || !destination || hyperlaneMessageId(raw) !== message.messageId.toLowerCase()) {
      throw new Error(`stored Hyperlane message ${message.messageId} does not match the deployment`);
    }
    const target = {
      domain: destination.record.hyperlane.domain,
      publicClient: destination.publicClient,
      walletClient: destination.walletClient,
      mailbox: destination.record.hyperlane.mailbox,
      submit: destination.submit,
    };
    if (!isFirstAttempt(message) && (await this.isDelivered(message))) return { status: "alreadyDelivered", gas: [] };

    const { validators, threshold } = await this.multisigIsmOf(target, parsed, raw);
    const request: CheckpointRequest = {
      origin: origin.record.hyperlane.domain,
      merkleTreeHook: origin.record.hyperlane.merkleTreeHook,
      messageId: message.messageId,
      index,
      validators,
      threshold,
    };
    const own = this.validators.get(origin.chainId);
    const sources = own ? [validatorSignatureSource(own), this.peers] : [this.peers];
    const quorum = await collectQuorum(request, sources);
    await progress.signed(
      quorum.signers.map((signer, position) => ({
        signer,
        digest: checkpointDigest(quorum.checkpoint),
        signature: quorum.signatures[position] as Hex,
      })),
    );
    const metadata = messageIdMultisigMetadata(quorum.checkpoint, quorum.signatures);
    const destinationGas = await this.commandGas.destinationGasOf(origin, message.messageType as MessageTypeName);
    const failedAttempts: DeliveryCallOutcome[] = [];
    const queue = async (extraGas: bigint) => {
      const overhead = await this.processGasOf(origin, destination);
      // None configured for the route: the estimating path below decides.
      if (overhead === undefined) return undefined;
      const outcome = await destination.deliveries.call({
        to: target.mailbox,
        data: encodeFunctionData({ abi: mailboxAbi, functionName: "process", args: [metadata, raw] }),
        gas: overhead + destinationGas + extraGas,
      });
      // The Mailbox's own word, not only the batcher's: the message is processed in that transaction.
      if (outcome.success && processedIn(outcome.receipt, target.mailbox, message.messageId)) return outcome;
      failedAttempts.push(outcome);
      return undefined;
    };
    // A send that failed (or no paymaster to read) goes to the estimating path below, which says why if it fails too.
    let queued = await queue(0n).catch(() => undefined);
    const lastAttempt = failedAttempts.at(-1);
    if (!queued && lastAttempt && mayHaveRunOutOfGas(lastAttempt) && isCommand(message.messageType)) {
      // A command that arrived before its predecessor waits parked in the vault, and the predecessor's delivery
      // then runs it too: more than the one command the sender paid for. Once more, with room for the most a
      // delivery runs; an estimate instead would execute the whole drain a dozen times on the node.
      queued = await this.commandGas
        .parkedCommandsGasOf(origin, destination)
        .then((parkedGas) => queue(parkedGas))
        .catch(() => undefined);
    }
    const delivered = (transactionHash: Hex, gasUsed: bigint): DeliveryResult => ({
      status: "delivered",
      transactionHash,
      gas: [
        ...failedAttempts.map((attempt) => ({
          step: "process (failed)",
          chain: destination.name,
          gasUsed: attempt.gasUsed,
        })),
        { step: "process", chain: destination.name, gasUsed },
      ],
    });
    if (queued) return delivered(queued.receipt.transactionHash, queued.gasUsed);
    // Alone again, on an estimate: a revert (a peer delivered it first, an application's refusal) is decoded.
    let processed: { transactionHash: Hex; gasUsed: bigint };
    try {
      processed = await processHyperlaneMessage({
        destination: target,
        metadata,
        raw,
        recipientGasAllowance: destinationGas,
      });
    } catch (error) {
      // A peer operator may have delivered it between our check and our transaction.
      if (await this.isDelivered(message)) return { status: "alreadyDelivered", gas: [] };
      this.isms.forget(ismKey(parsed));
      throw error;
    }
    return delivered(processed.transactionHash, processed.gasUsed);
  }

  /**
   * What `process` needs beside the recipient's gas (the Mailbox, the ISM): the overhead the origin's paymaster
   * charged the sender for, read per route (again after GAS_SETTINGS_TTL_MS). With the recipient's destination
   * gas it is the call's limit, no estimate needed.
   */
  private processGasOf(origin: EngineChain, destination: EngineChain): Promise<bigint | undefined> {
    return this.processOverhead.get(`${origin.chainId}>${destination.chainId}`, async () => {
      const paymaster = origin.record.hyperlane.interchainGasPaymaster;
      const [, gasOverhead] = await origin.publicClient.readContract({
        address: paymaster,
        abi: interchainGasPaymasterAbi,
        functionName: "destinationGasConfigs",
        args: [destination.record.hyperlane.domain],
      });
      // None configured for the route: unknown, not free.
      return gasOverhead === 0n ? undefined : BigInt(gasOverhead);
    });
  }

  /**
   * The validators and threshold that verify messages of one origin to one recipient: resolved through the
   * routing ISM once and kept, since every message of that route needs them. A failed delivery forgets the
   * entry (the owner may have changed the ISM).
   */
  private multisigIsmOf(
    target: Parameters<typeof resolveMultisigIsm>[0],
    message: { origin: number; destination: number; recipient: Hex },
    raw: Hex,
  ): ReturnType<typeof resolveMultisigIsm> {
    return this.isms.get(ismKey(message), () => resolveMultisigIsm(target, raw));
  }

  /** Whether a checkpoint request names a tree this operator validates. */
  servesOrigin(request: Pick<CheckpointRequest, "origin" | "merkleTreeHook">): HyperlaneValidator | undefined {
    const chain = this.network.byDomain(request.origin);
    const validator = chain && this.validators.get(chain.chainId);
    return validator && isAddressEqual(validator.merkleTreeHook, request.merkleTreeHook) ? validator : undefined;
  }
}

const processedIn = (receipt: TransactionReceipt, mailbox: Address, messageId: Hex): boolean =>
  processedMessagesFromLogs(mailbox, receipt.logs).some(
    (processed) => processed.messageId.toLowerCase() === messageId.toLowerCase(),
  );

const ismKey = (message: { origin: number; destination: number; recipient: Hex }): string =>
  `${message.origin}>${message.destination}:${message.recipient.toLowerCase()}`;
