import {
  type Address,
  encodeFunctionData,
  type Hex,
  isAddressEqual,
  parseAbi,
  parseEventLogs,
  size,
  type TransactionReceipt,
} from "viem";
import type { RelayerTransaction, SubmitTransaction } from "./submit.ts";

/** contracts/messaging/DeliveryBatcher.sol (interface IDeliveryBatcher). */
export const deliveryBatcherAbi = parseAbi([
  "struct Call { address target; uint64 gas; uint256 value; bytes data; }",
  "function execute(Call[] calls) payable",
  "event CallExecuted(uint256 indexed index, bool success, uint256 gasUsed, bytes result)",
  "error InsufficientGasForCall(uint256 index, uint256 required, uint256 available)",
  "error InsufficientValueForCall(uint256 index, uint256 required, uint256 available)",
  "error RefundFailed(address to, uint256 amount)",
]);

/**
 * A delivery call anyone may make (`Mailbox.process`, `EndpointV2.lzReceive`); `gas` is what the call itself gets,
 * alone or batched (the transaction's own cost is added).
 */
export type DeliveryCall = RelayerTransaction;

export interface DeliveryCallOutcome {
  /** The transaction the call went out in: alone, or with others through the batcher. */
  receipt: TransactionReceipt;
  /** Whether the call itself succeeded (a batch transaction succeeds even where some of its calls revert). */
  success: boolean;
  /** Gas of the call: the whole transaction's when it went alone, the batcher's count of it otherwise. */
  gasUsed: bigint;
  /** How many calls the transaction carried. */
  batchSize: number;
  /**
   * What a failed call reverted with, when it ran in a batch (the batcher reports it; "0x" is out of gas or a bare
   * revert); undefined for a call that went alone or a batch that reverted as a whole.
   */
  revertData?: Hex;
}

/**
 * Whether a failed call looks out of gas: in a batch it reverted without data; alone, its transaction reverted
 * (the receipt says no more). Either may also be a bare revert, which a retry with more gas then meets again.
 */
export const mayHaveRunOutOfGas = (outcome: DeliveryCallOutcome): boolean =>
  outcome.revertData === "0x" || (outcome.revertData === undefined && outcome.batchSize === 1);

export interface DeliveryBatchQueueOptions {
  submit: SubmitTransaction;
  /** The chain's DeliveryBatcher; without one every call goes alone. */
  batcher?: Address;
  /** Calls one transaction carries at most (default 32). */
  maxCalls?: number;
  /** Gas one transaction may ask for at most (default 12M: under EIP-7825's 2^24 per transaction and block limits). */
  maxGas?: bigint;
}

const DEFAULT_MAX_CALLS = 32;
const DEFAULT_MAX_GAS = 12_000_000n;
// DeliveryBatcher's CALL_OVERHEAD_GAS and its loop around each call (decoding it, the event).
const BATCHER_GAS_PER_CALL = 15_000n + 5_000n;
const TRANSACTION_BASE_GAS = 21_000n;
// The transaction itself and the batcher's entry, beside the calldata.
const BATCHER_BASE_GAS = TRANSACTION_BASE_GAS + 10_000n;
// Calldata costs at most this per byte (EIP-2028, non-zero bytes).
const CALLDATA_GAS_PER_BYTE = 16n;

interface Waiting {
  call: DeliveryCall;
  resolve(outcome: DeliveryCallOutcome): void;
  reject(error: unknown): void;
}

/**
 * Deliveries to one chain, one transaction in flight at a time: a call made while the chain is idle goes
 * out alone at once (no latency is added), and the calls made while a transaction is in flight go together
 * in the next one, through the chain's DeliveryBatcher, each with its own gas and outcome. Under load one
 * transaction (one block on a chain that mines per transaction) thus carries many deliveries. Without a
 * batcher every call is sent at once, alone, beside the others.
 */
export class DeliveryBatchQueue {
  private readonly waiting: Waiting[] = [];
  private sending = false;
  private readonly maxCalls: number;
  private readonly maxGas: bigint;

  constructor(private readonly options: DeliveryBatchQueueOptions) {
    this.maxCalls = options.maxCalls ?? DEFAULT_MAX_CALLS;
    this.maxGas = options.maxGas ?? DEFAULT_MAX_GAS;
  }

  /** Sends `call` (alone or with others) and resolves with its outcome; rejects only if the send failed. */
  call(call: DeliveryCall): Promise<DeliveryCallOutcome> {
    // Without a batcher nothing is gained by waiting: calls go side by side, as the chain's nonce allows.
    if (!this.options.batcher) return this.sendAlone(call);
    const outcome = new Promise<DeliveryCallOutcome>((resolve, reject) => {
      this.waiting.push({ call, resolve, reject });
    });
    if (!this.sending) void this.drain();
    return outcome;
  }

  private async drain(): Promise<void> {
    this.sending = true;
    while (this.waiting.length > 0) {
      const batch = this.nextBatch();
      try {
        const outcomes =
          batch.length === 1 ? [await this.sendAlone((batch[0] as Waiting).call)] : await this.sendBatch(batch);
        for (const [index, waiting] of batch.entries()) waiting.resolve(outcomes[index] as DeliveryCallOutcome);
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
    }
    this.sending = false;
  }

  /** The oldest calls that fit one transaction (at least one, whatever its gas). */
  private nextBatch(): Waiting[] {
    let gas = BATCHER_BASE_GAS;
    let count = 0;
    for (const waiting of this.waiting) {
      const added = batchedGas(waiting.call);
      if (count === this.maxCalls || (count > 0 && gas + added > this.maxGas)) break;
      gas += added;
      count++;
    }
    return this.waiting.splice(0, count);
  }

  private async sendAlone(call: DeliveryCall): Promise<DeliveryCallOutcome> {
    // The call's gas is what it gets: the transaction adds its own cost and its calldata's.
    const gas = call.gas + TRANSACTION_BASE_GAS + BigInt(size(call.data)) * CALLDATA_GAS_PER_BYTE;
    const receipt = await this.options.submit({ ...call, gas });
    return { receipt, success: receipt.status === "success", gasUsed: receipt.gasUsed, batchSize: 1 };
  }

  private async sendBatch(batch: readonly Waiting[]): Promise<DeliveryCallOutcome[]> {
    const batcher = this.options.batcher as Address;
    const calls = batch.map(({ call }) => ({
      target: call.to,
      gas: call.gas,
      value: call.value ?? 0n,
      data: call.data,
    }));
    const value = calls.reduce((sum, call) => sum + call.value, 0n);
    const gas = batch.reduce((sum, { call }) => sum + batchedGas(call), BATCHER_BASE_GAS);
    const receipt = await this.options.submit({
      to: batcher,
      data: encodeFunctionData({ abi: deliveryBatcherAbi, functionName: "execute", args: [calls] }),
      gas,
      value,
    });
    const executed = new Map(executedCalls(receipt, batcher).map((call) => [Number(call.index), call]));
    // A reverted batch ran none of its calls: each reports failure and its delivery goes again on its own.
    return batch.map((_, index) => {
      const result = executed.get(index);
      const success = receipt.status === "success" && result?.success === true;
      return {
        receipt,
        success,
        gasUsed: result?.gasUsed ?? 0n,
        batchSize: batch.length,
        ...(result && !success ? { revertData: result.result } : {}),
      };
    });
  }
}

/** The outcomes `batcher` reported in `receipt` (its `CallExecuted` events), in log order. */
export function executedCalls(receipt: Pick<TransactionReceipt, "logs">, batcher: Address) {
  return parseEventLogs({ abi: deliveryBatcherAbi, eventName: "CallExecuted", logs: receipt.logs })
    .filter((log) => isAddressEqual(log.address, batcher))
    .map((log) => log.args);
}

/** What a call adds to a batch transaction's gas: its own, what EIP-150 withholds, the batcher's, its calldata. */
function batchedGas(call: DeliveryCall): bigint {
  const calldata = BigInt(size(call.data) + 4 * 32) * CALLDATA_GAS_PER_BYTE;
  return call.gas + (call.gas + 62n) / 63n + BATCHER_GAS_PER_CALL + calldata;
}
