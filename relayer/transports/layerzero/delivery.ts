import { setTimeout as delay } from "node:timers/promises";
import {
  type Abi,
  type Address,
  type ContractFunctionArgs,
  encodeFunctionData,
  encodePacked,
  getAbiItem,
  type Hash,
  type Hex,
  isAddressEqual,
  type Log,
  pad,
  parseEventLogs,
  type TransactionReceipt,
} from "viem";
import { mayHaveRunOutOfGas } from "../batch.ts";
import { ChainClock } from "../chain-clock.ts";
import { keccak256 } from "../keccak.ts";
import { PromiseCache } from "../promise-cache.ts";
import { viemSubmitter } from "../submit.ts";
import { dvnAbi, endpointV2Abi, executorAbi, receiveUln302Abi } from "./abi.ts";
import type { LayerZeroChain } from "./chain.ts";
import { decodeRevertReason, describeReason, LayerZeroError, type RevertReason, revertDataOf } from "./errors.ts";
import { decodePacket, lzReceiveOption, type Packet, packetOrigin } from "./packet.ts";
import {
  assembleSignatures,
  type DvnInstruction,
  type QuorumSignatures,
  type SignatureSource,
  type VerificationRequest,
  verificationRequest,
} from "./signatures.ts";

/** A `PacketSent` found on a source chain. */
export interface SentPacket {
  sourceChainId: number;
  blockNumber: bigint;
  transactionHash: Hash;
  logIndex: number;
  packet: Packet;
  /** The options the sender paid for (type 3; the executor's lzReceive gas is read from them). */
  options: Hex;
  sendLibrary: Address;
}

/**
 * Where a packet stands on its destination:
 * - `unverified`: the DVN has not (sufficiently) verified it at the receive library;
 * - `verifiable`: the receive library holds enough DVN verifications, `commitVerification` is next;
 * - `committed`: the endpoint holds its payload hash, `lzReceive` is next;
 * - `delivered`: executed (or skipped by the OApp's delegate): the endpoint will not accept it again.
 */
export type PacketStatus = "unverified" | "verifiable" | "committed" | "delivered";

/**
 * A transaction of a delivery: `verifyAndCommit` is the DVN's verification with the commit batched in; `execute
 * (failed)` an execution that did not deliver the packet (out of its gas, say) before the one that did.
 */
export type DeliveryStep = "verify" | "verifyAndCommit" | "commit" | "execute" | "execute (failed)";

export interface StepReceipt {
  step: DeliveryStep;
  transactionHash: Hash;
  gasUsed: bigint;
}

export interface DeliveryOutcome {
  guid: Hex;
  nonce: bigint;
  sourceChainId: number;
  destinationChainId: number;
  /** `alreadyDelivered` when another run or operator had finished it: delivery is idempotent. */
  status: "delivered" | "alreadyDelivered";
  /** The transactions this call sent, in order (none when already delivered). */
  steps: StepReceipt[];
}

/**
 * How the verified packet is executed: through the `Executor` (`execute302`, with the gas the sender
 * paid for; a failing `lzReceive` becomes an `LzReceiveAlert`), or by calling `EndpointV2.lzReceive`
 * directly (permissionless; a failing `lzReceive` reverts the transaction).
 */
export type ExecutionMode = "executor" | "endpoint";

export interface LayerZeroDeliveryOptions {
  /** Every chain this operator relays between, each with the account it sends with. */
  chains: readonly LayerZeroChain[];
  /** Where DVN signatures come from: local keys, peers, or both. */
  signatures: SignatureSource;
  execution?: ExecutionMode;
  /**
   * Gas beyond the packet's own for one more try through the chain's delivery queue when its execution there ran
   * out of gas: for an application whose `lzReceive` may do more than the sender paid for. Undefined or 0 (or
   * without a queue): none, the execution goes alone through the endpoint on an estimate.
   */
  executionGasTopUp?: (sent: SentPacket) => Promise<bigint | undefined>;
  /** Lifetime of a signed DVN instruction, from the destination's latest block time. */
  instructionTtlSeconds?: number;
  confirmationPollIntervalMs?: number;
  confirmationTimeoutMs?: number;
}

export interface LayerZeroDelivery {
  /** `PacketSent` events of the source chain's endpoint in a block range, in chain order. */
  findSentPackets(sourceChainId: number, range: { fromBlock: bigint; toBlock: bigint }): Promise<SentPacket[]>;
  /** `PacketSent` events of one transaction. */
  sentPacketsInReceipt(sourceChainId: number, receipt: TransactionReceipt): SentPacket[];
  status(sent: SentPacket): Promise<PacketStatus>;
  /**
   * Verifies, commits and executes `sent` as far as it still needs; safe to repeat and to race. `known`
   * saves reading the status again when the caller just did.
   */
  deliver(sent: SentPacket, known?: { status: PacketStatus }): Promise<DeliveryOutcome>;
  /**
   * The DVN instructions for `sent`, once the source has the confirmations the destination requires:
   * verify, and commit when this DVN's verification completes the quorum of the destination's ULN config.
   */
  verificationRequest(sent: SentPacket): Promise<VerificationRequest>;
  /**
   * `DVN.execute` with the verify instruction and, when `signatures` has the commit's, the commit
   * instruction after it: the DVN's verdict on each is read from its events. A commit the DVN caught
   * or skipped leaves the step a plain `verify` (the packet stays `verifiable`).
   */
  submitVerification(
    sent: SentPacket,
    request: VerificationRequest,
    signatures: QuorumSignatures,
  ): Promise<StepReceipt>;
  commit(sent: SentPacket): Promise<StepReceipt>;
  /** The transactions of the execution: the attempts that did not deliver the packet, then the one that did. */
  execute(sent: SentPacket, mode?: ExecutionMode): Promise<StepReceipt[]>;
}

/** The endpoint event a LayerZero message shows in on its origin. */
export const PACKET_SENT = getAbiItem({ abi: endpointV2Abi, name: "PacketSent" });
const DEFAULT_INSTRUCTION_TTL_SECONDS = 600;
const DEFAULT_CONFIRMATION_POLL_MS = 250;
const DEFAULT_CONFIRMATION_TIMEOUT_MS = 120_000;
const ULN_CONFIG_TTL_MS = 10_000;
// A packet executes only once every earlier nonce of its path is verified: how long to wait for the
// predecessors (their deliveries run alongside) before trying anyway, and how often to look again.
const PREDECESSOR_WAIT_MS = 2_000;
const PREDECESSOR_RECHECK_MS = 250;
// DVN.execute and Executor.execute302 catch the failure of their inner call, so a node's gas estimate
// may stop where the inner call runs out of gas and the outer one still succeeds: their gas is fixed.
const DVN_EXECUTE_GAS_PER_INSTRUCTION = 400_000n;
/**
 * Packets whose instructions one DVN.execute carries at most (each packet: verify, and commit when it completes):
 * 32 instructions at their fixed gas stay under EIP-7825's cap of 2^24 gas per transaction, which a larger batch
 * would exceed and every packet in it fail.
 */
const MAX_PACKETS_PER_DVN_EXECUTE = 16;
const EXECUTE302_OVERHEAD_GAS = 200_000n;
// Margin over the estimate for calls that revert on failure (estimates are exact, state may move).
const ESTIMATE_MARGIN_PERCENT = 20n;

/** One instruction as `DVN.execute` takes it (its ABI's `ExecuteParam`). */
type DvnExecuteParam = ContractFunctionArgs<typeof dvnAbi, "nonpayable", "execute">[0][number];

/** Submissions to one destination's DVN waiting for the call in flight to finish. */
interface DvnQueue {
  waiting: {
    sent: SentPacket;
    params: DvnExecuteParam[];
    resolve: (landed: { receipt: TransactionReceipt; offset: number }) => void;
    reject: (error: unknown) => void;
  }[];
  sending: boolean;
}

interface DvnCommittee {
  vid: number;
  quorum: number;
  committee: readonly Address[];
}

/** The LayerZero delivery strategy over viem clients: find, verify (M-of-N DVN), commit, execute. */
export function createLayerZeroDelivery(options: LayerZeroDeliveryOptions): LayerZeroDelivery {
  const execution = options.execution ?? "executor";
  const ttl = BigInt(options.instructionTtlSeconds ?? DEFAULT_INSTRUCTION_TTL_SECONDS);
  const pollMs = options.confirmationPollIntervalMs ?? DEFAULT_CONFIRMATION_POLL_MS;
  const timeoutMs = options.confirmationTimeoutMs ?? DEFAULT_CONFIRMATION_TIMEOUT_MS;
  const committees = new PromiseCache<number, DvnCommittee>();

  const chainById = (chainId: number): LayerZeroChain => {
    const chain = options.chains.find((candidate) => candidate.chainId === chainId);
    if (!chain) throw new LayerZeroError("UnknownChain", `no LayerZero chain configured for chain id ${chainId}`);
    return chain;
  };
  const destinationOf = (sent: SentPacket): LayerZeroChain => {
    const chain = options.chains.find((candidate) => candidate.contracts.eid === sent.packet.dstEid);
    if (!chain) {
      throw new LayerZeroError("UnknownChain", `no LayerZero chain configured for eid ${sent.packet.dstEid}`, {
        details: packetDetails(sent),
      });
    }
    return chain;
  };

  const committeeOf = (chain: LayerZeroChain): Promise<DvnCommittee> =>
    committees.get(chain.chainId, async () => {
      const read = { address: chain.contracts.dvn, abi: dvnAbi } as const;
      const [vid, quorum, signers] = await Promise.all([
        chain.publicClient.readContract({ ...read, functionName: "vid" }),
        chain.publicClient.readContract({ ...read, functionName: "quorum" }),
        chain.publicClient.readContract({ ...read, functionName: "getSigners" }),
      ]);
      return { vid, quorum: Number(quorum), committee: signers };
    });

  const readUlnConfig = (destination: LayerZeroChain, packet: Packet) =>
    destination.publicClient.readContract({
      address: destination.contracts.receiveUln302,
      abi: receiveUln302Abi,
      functionName: "getUlnConfig",
      args: [packet.receiver, packet.srcEid],
    });
  type UlnConfig = Awaited<ReturnType<typeof readUlnConfig>>;
  /**
   * The path's receive-library config, read once per `ULN_CONFIG_TTL_MS` (every delivery step needs it, the
   * OApp owner rarely changes it); a failed delivery forgets it so the retry reads it afresh.
   */
  const ulnConfigs = new PromiseCache<string, UlnConfig>(ULN_CONFIG_TTL_MS);
  const ulnConfigKey = (destination: LayerZeroChain, packet: Packet) =>
    `${destination.chainId}:${packet.receiver.toLowerCase()}:${packet.srcEid}`;
  const ulnConfigOf = (destination: LayerZeroChain, packet: Packet): Promise<UlnConfig> =>
    ulnConfigs.get(ulnConfigKey(destination, packet), () => readUlnConfig(destination, packet));

  /**
   * Whether the packet is verifiable at the receive library once this DVN has verified it (mirrors
   * `ReceiveUlnBase._checkVerifiable`): every required DVN has, and enough optional ones to reach the
   * threshold; a DVN outside both lists completes nothing.
   */
  async function completesQuorum(destination: LayerZeroChain, packet: Packet, config: UlnConfig): Promise<boolean> {
    const ours = (dvn: Address) => isAddressEqual(dvn, destination.contracts.dvn);
    if (!config.requiredDVNs.some(ours) && !config.optionalDVNs.some(ours)) return false;
    const headerHash = keccak256(packet.header);
    const verified = (dvns: readonly Address[]) =>
      Promise.all(
        dvns.map(async (dvn) => {
          if (ours(dvn)) return true;
          const [submitted, confirmations] = await destination.publicClient.readContract({
            address: destination.contracts.receiveUln302,
            abi: receiveUln302Abi,
            functionName: "hashLookup",
            args: [headerHash, packet.payloadHash, dvn],
          });
          return submitted && confirmations >= config.confirmations;
        }),
      );
    if (!(await verified(config.requiredDVNs)).every(Boolean)) return false;
    if (config.optionalDVNs.length === 0) return config.requiredDVNs.length > 0;
    return (await verified(config.optionalDVNs)).filter(Boolean).length >= config.optionalDVNThreshold;
  }

  async function status(sent: SentPacket): Promise<PacketStatus> {
    const destination = destinationOf(sent);
    const { packet } = sent;
    const endpoint = { address: destination.contracts.endpoint, abi: endpointV2Abi } as const;
    // All three at once: one round trip when the path's config is cached.
    const [storedHash, lazyNonce, verifiable] = await Promise.all([
      destination.publicClient.readContract({
        ...endpoint,
        functionName: "inboundPayloadHash",
        args: [packet.receiver, packet.srcEid, packet.sender, packet.nonce],
      }),
      destination.publicClient.readContract({
        ...endpoint,
        functionName: "lazyInboundNonce",
        args: [packet.receiver, packet.srcEid, packet.sender],
      }),
      ulnConfigOf(destination, packet).then((config) =>
        destination.publicClient.readContract({
          address: destination.contracts.receiveUln302,
          abi: receiveUln302Abi,
          functionName: "verifiable",
          args: [config, keccak256(packet.header), packet.payloadHash],
        }),
      ),
    ]);
    if (storedHash === packet.payloadHash) return "committed";
    if (BigInt(storedHash) === 0n && packet.nonce <= lazyNonce) return "delivered";
    return verifiable ? "verifiable" : "unverified";
  }

  async function waitForConfirmations(sent: SentPacket, confirmations: bigint): Promise<void> {
    // The packet's block exists (its log was read): that is one confirmation, all that 0 or 1 asks.
    if (confirmations <= 1n) return;
    const source = chainById(sent.sourceChainId);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const head = await source.publicClient.getBlockNumber({ cacheTime: 0 });
      if (head - sent.blockNumber + 1n >= confirmations) return;
      if (Date.now() >= deadline) {
        throw new LayerZeroError(
          "ConfirmationTimeout",
          `chain ${sent.sourceChainId} did not reach ${confirmations} confirmations of block ${sent.blockNumber} in ${timeoutMs} ms`,
          { details: { ...packetDetails(sent), head } },
        );
      }
      await delay(pollMs);
    }
  }

  // Expirations on the destination's own clock; a failed delivery forgets its reading (time may have jumped).
  const clock = new ChainClock();
  const destinationTime = (destination: LayerZeroChain) => clock.now(destination.chainId, destination.publicClient);

  async function buildVerificationRequest(sent: SentPacket): Promise<VerificationRequest> {
    const destination = destinationOf(sent);
    const pathConfig = ulnConfigOf(destination, sent.packet);
    const [{ vid }, config, now] = await Promise.all([
      committeeOf(destination),
      pathConfig,
      destinationTime(destination),
      pathConfig.then((config) => waitForConfirmations(sent, config.confirmations)),
    ]);
    return verificationRequest(sent.packet, {
      sourceChainId: sent.sourceChainId,
      destinationChainId: destination.chainId,
      transactionHash: sent.transactionHash,
      dvn: destination.contracts.dvn,
      vid,
      receiveUln302: destination.contracts.receiveUln302,
      confirmations: config.confirmations,
      expiration: now + ttl,
      commit: await completesQuorum(destination, sent.packet, config),
    });
  }

  // DVN.execute takes any number of instructions and checks and runs each on its own: what is submitted to
  // one destination while its DVN call is in flight goes together in the next call. Alone, a submission
  // goes at once; under load, one transaction verifies (and commits) several packets.
  const dvnQueues = new Map<number, DvnQueue>();

  /** Sends `params` in a DVN.execute on the packet's destination; `offset` is the index of the first. */
  function executeOnDvn(sent: SentPacket, params: DvnExecuteParam[]) {
    const destination = destinationOf(sent);
    let queue = dvnQueues.get(destination.chainId);
    if (!queue) {
      queue = { waiting: [], sending: false };
      dvnQueues.set(destination.chainId, queue);
    }
    const landed = new Promise<{ receipt: TransactionReceipt; offset: number }>((resolve, reject) => {
      queue.waiting.push({ sent, params, resolve, reject });
    });
    if (!queue.sending) void drainDvnQueue(destination, queue);
    return landed;
  }

  async function drainDvnQueue(destination: LayerZeroChain, queue: DvnQueue) {
    queue.sending = true;
    while (queue.waiting.length > 0) {
      const batch = queue.waiting.splice(0, MAX_PACKETS_PER_DVN_EXECUTE);
      const params = batch.flatMap((submission) => submission.params);
      const data = encodeFunctionData({ abi: dvnAbi, functionName: "execute", args: [params] });
      const gas = DVN_EXECUTE_GAS_PER_INSTRUCTION * BigInt(params.length);
      try {
        // A revert of the whole call (not of one instruction: the DVN catches those) fails every packet in
        // it; the error names the first.
        const receipt = await transact(
          destination,
          destination.contracts.dvn,
          data,
          gas,
          (batch[0] as DvnQueue["waiting"][number]).sent,
          "VerifyFailed",
        );
        let offset = 0;
        for (const submission of batch) {
          submission.resolve({ receipt, offset });
          offset += submission.params.length;
        }
      } catch (error) {
        for (const submission of batch) submission.reject(error);
      }
    }
    queue.sending = false;
  }

  async function submitVerification(sent: SentPacket, request: VerificationRequest, signatures: QuorumSignatures) {
    const destination = destinationOf(sent);
    const param = (instruction: DvnInstruction, quorum: Hex): DvnExecuteParam => ({
      vid: request.vid,
      target: instruction.target,
      callData: instruction.callData,
      expiration: request.expiration,
      signatures: quorum,
    });
    const params = [param(request.verify, signatures.verify)];
    if (request.commit && signatures.commit) params.push(param(request.commit, signatures.commit));
    const { receipt, offset } = await executeOnDvn(sent, params);
    // Events name an instruction by its index in the call: this packet's verify is at `offset`.
    const verifyIndex = BigInt(offset);
    const dvnEvents = eventsFrom(receipt, destination.contracts.dvn, dvnAbi);
    const rejected = dvnEvents.find(
      (event) => event.eventName === "VerifySignaturesFailed" && event.args.idx === verifyIndex,
    );
    if (rejected) {
      throw new LayerZeroError(
        "SignaturesRejected",
        `the DVN on chain ${destination.chainId} rejected the signatures`,
        {
          details: { ...packetDetails(sent), transactionHash: receipt.transactionHash },
        },
      );
    }
    const failed = dvnEvents.find((event) => event.eventName === "ExecuteFailed" && event.args._index === verifyIndex);
    if (failed?.eventName === "ExecuteFailed") {
      const reason = decodeRevertReason(failed.args._data);
      throw new LayerZeroError("VerifyFailed", `ReceiveUln302.verify failed: ${describeReason(reason)}`, {
        details: { ...packetDetails(sent), transactionHash: receipt.transactionHash },
        reason,
      });
    }
    const verified = eventsFrom(receipt, destination.contracts.receiveUln302, receiveUln302Abi).some(
      (event) =>
        event.eventName === "PayloadVerified" &&
        isAddressEqual(event.args.dvn, destination.contracts.dvn) &&
        event.args.proofHash === sent.packet.payloadHash,
    );
    if (!verified) {
      throw new LayerZeroError(
        "VerificationIneffective",
        "DVN.execute verified nothing (instruction expired, another vid, or hash already used)",
        { details: { ...packetDetails(sent), transactionHash: receipt.transactionHash } },
      );
    }
    const committed = params.length > 1 && packetVerifiedIn(receipt, destination, sent);
    return stepReceipt(committed ? "verifyAndCommit" : "verify", receipt);
  }

  async function commit(sent: SentPacket): Promise<StepReceipt> {
    const destination = destinationOf(sent);
    const data = encodeFunctionData({
      abi: receiveUln302Abi,
      functionName: "commitVerification",
      args: [sent.packet.header, sent.packet.payloadHash],
    });
    const receipt = await transact(
      destination,
      destination.contracts.receiveUln302,
      data,
      undefined,
      sent,
      "CommitFailed",
    );
    if (!packetVerifiedIn(receipt, destination, sent)) {
      throw new LayerZeroError("CommitFailed", "commitVerification emitted no PacketVerified", {
        details: { ...packetDetails(sent), transactionHash: receipt.transactionHash },
      });
    }
    return stepReceipt("commit", receipt);
  }

  async function execute(sent: SentPacket, mode: ExecutionMode = execution): Promise<StepReceipt[]> {
    const destination = destinationOf(sent);
    const { packet } = sent;
    const origin = packetOrigin(packet);
    const budget = lzReceiveOption(sent.options);
    if (!budget) {
      throw new LayerZeroError("MalformedPacket", "the packet's options hold no executor lzReceive gas", {
        details: packetDetails(sent),
      });
    }
    const lzReceive = encodeFunctionData({
      abi: endpointV2Abi,
      functionName: "lzReceive",
      args: [origin, packet.receiver, packet.guid, packet.message, "0x"],
    });
    const failed: StepReceipt[] = [];
    /** The endpoint's lzReceive with `gas`, queued with the chain's other deliveries; a failed try is noted. */
    const queue = async (deliveries: NonNullable<LayerZeroChain["deliveries"]>, gas: bigint) => {
      const queued = await deliveries.call({
        to: destination.contracts.endpoint,
        data: lzReceive,
        gas,
        value: budget.value,
      });
      const step = { transactionHash: queued.receipt.transactionHash, gasUsed: queued.gasUsed };
      if (queued.success && packetDeliveredIn(queued.receipt, destination, sent)) {
        return { executed: { step: "execute", ...step } satisfies StepReceipt, queued };
      }
      failed.push({ step: "execute (failed)", ...step });
      return { executed: undefined, queued };
    };
    let toppedUp = false;
    /**
     * Once, after the packet's own gas ran out (an application that refuses says why): through the queue again with
     * the top-up the application asks for, which an estimate would find by executing the packet many times on the
     * node. Its steps, or undefined when there is no top-up or it failed too.
     */
    const withTopUp = async (): Promise<StepReceipt[] | undefined> => {
      const { deliveries } = destination;
      if (toppedUp || !deliveries) return undefined;
      toppedUp = true;
      const topUp = await options.executionGasTopUp?.(sent).catch(() => undefined);
      if (!topUp) return undefined;
      const { executed } = await queue(deliveries, budget.gas + topUp).catch(() => ({ executed: undefined }));
      return executed && [...failed, executed];
    };
    // Failing that, a verified packet may be executed by anyone through the endpoint: this operator does, on its
    // estimate and at its own cost.
    const outOfGas = async (): Promise<StepReceipt[]> =>
      (await withTopUp()) ?? [...failed, ...(await execute(sent, "endpoint"))];
    if (mode === "executor" && destination.deliveries) {
      // What the Executor would do (the endpoint's lzReceive with exactly the options' gas); a failure there
      // (refused, a peer's execution first) goes again alone below and says why.
      const { executed, queued } = await queue(destination.deliveries, budget.gas);
      if (executed) return [executed];
      // No revert data in a batch: the executor would run out of gas the same way.
      if (queued.revertData === "0x") return outOfGas();
      // Alone, the receipt says no more than that it reverted: perhaps out of gas too; if not, the executor says why.
      if (mayHaveRunOutOfGas(queued)) {
        const retried = await withTopUp();
        if (retried) return retried;
      }
    }
    let receipt: TransactionReceipt;
    if (mode === "executor") {
      const data = encodeFunctionData({
        abi: executorAbi,
        functionName: "execute302",
        args: [
          {
            receiver: packet.receiver,
            origin,
            guid: packet.guid,
            message: packet.message,
            extraData: "0x",
            gasLimit: budget.gas,
          },
        ],
      });
      receipt = await transact(
        destination,
        destination.contracts.executor,
        data,
        budget.gas + budget.gas / 63n + EXECUTE302_OVERHEAD_GAS,
        sent,
        "ExecutionReverted",
        budget.value,
      );
    } else {
      receipt = await transact(
        destination,
        destination.contracts.endpoint,
        lzReceive,
        undefined,
        sent,
        "ExecutionReverted",
        budget.value,
      );
    }
    const endpointEvents = eventsFrom(receipt, destination.contracts.endpoint, endpointV2Abi);
    const alert = endpointEvents.find(
      (event) => event.eventName === "LzReceiveAlert" && event.args.guid === packet.guid,
    );
    if (alert?.eventName === "LzReceiveAlert") {
      if (mode === "executor" && alert.args.reason === "0x") {
        failed.push(stepReceipt("execute (failed)", receipt));
        return outOfGas();
      }
      const reason = decodeRevertReason(alert.args.reason);
      throw new LayerZeroError("ExecutionAlert", `lzReceive failed under the executor: ${describeReason(reason)}`, {
        details: { ...packetDetails(sent), transactionHash: receipt.transactionHash },
        reason,
      });
    }
    if (!packetDeliveredIn(receipt, destination, sent)) {
      throw new LayerZeroError("ExecutionReverted", "execution emitted no PacketDelivered", {
        details: { ...packetDetails(sent), transactionHash: receipt.transactionHash },
      });
    }
    return [...failed, stepReceipt("execute", receipt)];
  }

  // Deliveries of one path run side by side: each verification this instance lands may be what a waiting
  // execution needs, so it wakes the waiters to look again.
  const verificationWaiters = new Set<() => void>();
  const announceVerification = () => {
    for (const wake of [...verificationWaiters]) wake();
  };

  // Per path, the highest nonce up to which every nonce is known verified (the endpoint's inboundNonce as
  // last read, carried forward by the verifications this instance saw land): it only grows, so a packet whose
  // predecessors are all in it executes without asking the endpoint again. Batches verify a path's packets out
  // of order, so the nonces known verified above it wait in a set until the gap below them closes.
  const verifiedThrough = new Map<string, bigint>();
  const verifiedAbove = new Map<string, Set<bigint>>();
  const pathKey = (destination: LayerZeroChain, packet: Packet) =>
    `${destination.chainId}:${packet.srcEid}:${packet.sender.toLowerCase()}:${packet.receiver.toLowerCase()}`;
  const closeGaps = (path: string) => {
    const above = verifiedAbove.get(path);
    if (!above) return;
    let through = verifiedThrough.get(path) ?? 0n;
    while (above.delete(through + 1n)) through += 1n;
    for (const nonce of above) if (nonce <= through) above.delete(nonce);
    if (above.size === 0) verifiedAbove.delete(path);
    verifiedThrough.set(path, through);
  };
  const noteVerified = (path: string, nonce: bigint) => {
    if (nonce <= (verifiedThrough.get(path) ?? 0n)) return;
    const above = verifiedAbove.get(path) ?? new Set<bigint>();
    verifiedAbove.set(path, above.add(nonce));
    closeGaps(path);
  };
  const noteVerifiedThrough = (path: string, nonce: bigint) => {
    if (nonce > (verifiedThrough.get(path) ?? 0n)) verifiedThrough.set(path, nonce);
    closeGaps(path);
  };

  /**
   * Resolves once every nonce up to the packet's is verified (the caller noted the packet's own verification),
   * or after `PREDECESSOR_WAIT_MS`: then the execution is tried anyway and reports what is missing. A
   * verification this instance lands wakes the waiters to look at what it knows; the endpoint is read at first
   * and then every `PREDECESSOR_RECHECK_MS`, for predecessors another operator verified — not on every wake,
   * which under load cost each waiting packet a read per verification landed.
   */
  async function predecessorsVerified(sent: SentPacket): Promise<void> {
    const destination = destinationOf(sent);
    const { packet } = sent;
    const path = pathKey(destination, packet);
    const ready = () => (verifiedThrough.get(path) ?? 0n) >= packet.nonce;
    if (ready()) return;
    const deadline = Date.now() + PREDECESSOR_WAIT_MS;
    let readEndpoint = true;
    for (;;) {
      if (readEndpoint) {
        const through = await destination.publicClient.readContract({
          address: destination.contracts.endpoint,
          abi: endpointV2Abi,
          functionName: "inboundNonce",
          args: [packet.receiver, packet.srcEid, packet.sender],
        });
        noteVerifiedThrough(path, through);
      }
      if (ready() || Date.now() >= deadline) return;
      readEndpoint = await new Promise<boolean>((resolve) => {
        const wake = (timedOut: boolean) => {
          clearTimeout(timer);
          verificationWaiters.delete(announced);
          resolve(timedOut);
        };
        const announced = () => wake(false);
        const timer = setTimeout(() => wake(true), PREDECESSOR_RECHECK_MS);
        verificationWaiters.add(announced);
      });
    }
  }

  /** Runs `step`; if it fails because someone else moved the packet past `passed`, that is success. */
  async function unlessAlreadyPast<Result>(
    sent: SentPacket,
    passed: readonly PacketStatus[],
    step: () => Promise<Result>,
  ): Promise<Result | undefined> {
    try {
      return await step();
    } catch (error) {
      if (passed.includes(await status(sent))) return undefined;
      throw error;
    }
  }

  async function deliver(sent: SentPacket, known?: { status: PacketStatus }): Promise<DeliveryOutcome> {
    try {
      return await deliverFrom(sent, known?.status ?? (await status(sent)));
    } catch (error) {
      const destination = destinationOf(sent);
      ulnConfigs.forget(ulnConfigKey(destination, sent.packet));
      clock.forget(destination.chainId);
      throw error;
    }
  }

  async function deliverFrom(sent: SentPacket, initial: PacketStatus): Promise<DeliveryOutcome> {
    const destination = destinationOf(sent);
    const outcome = (result: DeliveryOutcome["status"], steps: StepReceipt[]): DeliveryOutcome => ({
      guid: sent.packet.guid,
      nonce: sent.packet.nonce,
      sourceChainId: sent.sourceChainId,
      destinationChainId: destination.chainId,
      status: result,
      steps,
    });
    if (initial === "delivered") return outcome("alreadyDelivered", []);

    const steps: StepReceipt[] = [];
    const record = (step: StepReceipt | StepReceipt[] | undefined) => {
      if (step) steps.push(...[step].flat());
    };
    if (initial === "unverified") {
      const request = await buildVerificationRequest(sent);
      const { quorum, committee } = await committeeOf(destination);
      const signatures = await assembleSignatures(request, await options.signatures(request), { quorum, committee });
      record(
        await unlessAlreadyPast(sent, ["verifiable", "committed", "delivered"], () =>
          submitVerification(sent, request, signatures),
        ),
      );
    }
    // Separately when the verification did not batch it (not possible, or the DVN caught its failure).
    if (initial !== "committed" && steps.at(-1)?.step !== "verifyAndCommit") {
      record(await unlessAlreadyPast(sent, ["committed", "delivered"], () => commit(sent)));
    }
    // Noted before the waiters look: this packet may be the gap they wait on.
    noteVerified(pathKey(destination, sent.packet), sent.packet.nonce);
    if (steps.length > 0) announceVerification();
    await predecessorsVerified(sent);
    record(await unlessAlreadyPast(sent, ["delivered"], () => execute(sent)));
    return outcome(steps.some((step) => step.step === "execute") ? "delivered" : "alreadyDelivered", steps);
  }

  return {
    findSentPackets: async (sourceChainId, range) => {
      const source = chainById(sourceChainId);
      const logs = await source.publicClient.getLogs({
        address: source.contracts.endpoint,
        event: PACKET_SENT,
        fromBlock: range.fromBlock,
        toBlock: range.toBlock,
      });
      return sentPacketsFromLogs(sourceChainId, source.contracts.endpoint, logs);
    },
    sentPacketsInReceipt: (sourceChainId, receipt) =>
      sentPacketsFromLogs(sourceChainId, chainById(sourceChainId).contracts.endpoint, receipt.logs),
    status,
    deliver,
    verificationRequest: buildVerificationRequest,
    submitVerification,
    commit,
    execute,
  };
}

/** Decodes the `PacketSent` events an endpoint emitted among `logs`, in chain order. */
export function sentPacketsFromLogs(sourceChainId: number, endpoint: Address, logs: readonly Log[]): SentPacket[] {
  // The one event, not the endpoint's whole ABI: viem hashes every event it is given on each call, and the
  // watcher calls this for every block.
  return parseEventLogs({ abi: [PACKET_SENT], logs: [...logs] })
    .filter((log) => isAddressEqual(log.address, endpoint) && log.blockNumber !== null && log.transactionHash !== null)
    .map((log) => ({
      sourceChainId,
      blockNumber: log.blockNumber,
      transactionHash: log.transactionHash,
      logIndex: log.logIndex,
      packet: decodePacket(log.args.encodedPayload),
      options: log.args.options,
      sendLibrary: log.args.sendLibrary,
    }))
    .sort((a, b) =>
      a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1,
    );
}

export const PACKET_DELIVERED = getAbiItem({ abi: endpointV2Abi, name: "PacketDelivered" });

/** A packet's execution on its destination, as the endpoint's `PacketDelivered` shows it. */
export interface DeliveredPacket {
  guid: Hex;
  /** The application the packet was executed on. */
  receiver: Address;
  transactionHash: Hex;
}

/**
 * The packets an endpoint on the chain of `dstEid` delivered among `logs`. The event carries the packet's origin
 * and receiver, not its GUID: the GUID is computed from them as the sending endpoint computed it.
 */
export function deliveredPacketsFromLogs(endpoint: Address, dstEid: number, logs: readonly Log[]): DeliveredPacket[] {
  // One event only, as in sentPacketsFromLogs.
  return parseEventLogs({ abi: [PACKET_DELIVERED], logs: [...logs] })
    .filter((log) => isAddressEqual(log.address, endpoint) && log.transactionHash !== null)
    .map((log) => ({
      guid: keccak256(
        encodePacked(
          ["uint64", "uint32", "bytes32", "uint32", "bytes32"],
          [log.args.origin.nonce, log.args.origin.srcEid, log.args.origin.sender, dstEid, pad(log.args.receiver)],
        ),
      ),
      receiver: log.args.receiver,
      transactionHash: log.transactionHash,
    }));
}

function packetDetails(sent: SentPacket): Record<string, unknown> {
  return {
    guid: sent.packet.guid,
    nonce: sent.packet.nonce,
    srcEid: sent.packet.srcEid,
    dstEid: sent.packet.dstEid,
    sourceChainId: sent.sourceChainId,
    sourceTransaction: sent.transactionHash,
  };
}

/** Whether `receipt` holds the endpoint's `PacketVerified` of `sent` (its commit). */
function packetVerifiedIn(receipt: TransactionReceipt, destination: LayerZeroChain, sent: SentPacket): boolean {
  return eventsFrom(receipt, destination.contracts.endpoint, endpointV2Abi).some(
    (event) =>
      event.eventName === "PacketVerified" &&
      event.args.payloadHash === sent.packet.payloadHash &&
      event.args.origin.nonce === sent.packet.nonce &&
      event.args.origin.srcEid === sent.packet.srcEid &&
      isAddressEqual(event.args.receiver, sent.packet.receiver),
  );
}

function packetDeliveredIn(receipt: TransactionReceipt, destination: LayerZeroChain, sent: SentPacket): boolean {
  return eventsFrom(receipt, destination.contracts.endpoint, endpointV2Abi).some(
    (event) =>
      event.eventName === "PacketDelivered" &&
      event.args.origin.nonce === sent.packet.nonce &&
      event.args.origin.srcEid === sent.packet.srcEid &&
      event.args.origin.sender === sent.packet.sender &&
      isAddressEqual(event.args.receiver, sent.packet.receiver),
  );
}

/**
 * Decoded events by receipt, contract ABI and address: every packet a batch transaction carried reads its
 * receipt, which decoded once per packet cost a batch of n packets n² log decodings.
 */
const decodedEvents = new WeakMap<TransactionReceipt, WeakMap<Abi, Map<string, unknown>>>();

function eventsFrom<const abi extends Abi>(
  receipt: TransactionReceipt,
  address: Address,
  abi: abi,
): ReturnType<typeof parseEventLogs<abi>> {
  const byAbi = decodedEvents.get(receipt) ?? new WeakMap<Abi, Map<string, unknown>>();
  decodedEvents.set(receipt, byAbi);
  const byAddress = byAbi.get(abi) ?? new Map<string, unknown>();
  byAbi.set(abi, byAddress);
  const key = address.toLowerCase();
  const cached = byAddress.get(key) as ReturnType<typeof parseEventLogs<abi>> | undefined;
  if (cached) return cached;
  const events = parseEventLogs({ abi, logs: receipt.logs.filter((log) => isAddressEqual(log.address, address)) });
  byAddress.set(key, events);
  return events;
}

const stepReceipt = (step: DeliveryStep, receipt: TransactionReceipt): StepReceipt => ({
  step,
  transactionHash: receipt.transactionHash,
  gasUsed: receipt.gasUsed,
});

/**
 * Sends `data` to `to` from the chain's operator account. Without `gas`, the estimate (plus a margin) is
 * the limit and a revert surfaces there; a fixed `gas` (calls that catch their inner failure) goes
 * straight out, and only a reverted receipt is replayed as a call to learn why. Either way a revert
 * becomes a typed error carrying the decoded reason.
 */
async function transact(
  chain: LayerZeroChain,
  to: Address,
  data: Hex,
  fixedGas: bigint | undefined,
  sent: SentPacket,
  kind: "VerifyFailed" | "CommitFailed" | "ExecutionReverted",
  value = 0n,
): Promise<TransactionReceipt> {
  const { account } = chain.walletClient;
  const reverted = (reason: RevertReason | undefined, cause?: unknown, transactionHash?: Hash) =>
    new LayerZeroError(kind, `${kind} on chain ${chain.chainId}: ${describeReason(reason)}`, {
      cause,
      reason,
      details: { ...packetDetails(sent), to, ...(transactionHash ? { transactionHash } : {}) },
    });
  const reasonOf = (error: unknown) => {
    const revertData = revertDataOf(error);
    return revertData === undefined ? undefined : decodeRevertReason(revertData);
  };
  let gas = fixedGas;
  if (gas === undefined) {
    try {
      // The sender as a bare address: with a local account viem would first fill a whole transaction
      // (nonce, fees, eth_fillTransaction), four extra round trips the estimate does not need.
      const estimate = await chain.publicClient.estimateGas({ account: account?.address, to, data, value });
      gas = estimate + (estimate * ESTIMATE_MARGIN_PERCENT) / 100n;
    } catch (error) {
      throw reverted(reasonOf(error), error);
    }
  }
  const submit = chain.submit ?? viemSubmitter(chain.publicClient, chain.walletClient);
  const receipt = await submit({ to, data, gas, value });
  if (receipt.status !== "success") {
    const reason = await chain.publicClient.call({ account, to, data, value, gas }).then(
      () => undefined,
      (error: unknown) => reasonOf(error),
    );
    throw reverted(reason, undefined, receipt.transactionHash);
  }
  return receipt;
}
