import { type Address, type Hex, isAddressEqual, type Log, type PublicClient, parseEventLogs } from "viem";
import type { DigestSigner } from "../../engine/signer.ts";
import { merkleTreeHookAbi } from "./abi.ts";
import { type Checkpoint, type SignedCheckpoint, signCheckpoint } from "./checkpoint.ts";
import { HyperlaneTransportError } from "./errors.ts";
import { blockRanges, confirmedHead, DEFAULT_MAX_BLOCK_RANGE } from "./logs.ts";
import { IncrementalMerkleTree, type MerkleFrontier, rootOf } from "./merkle.ts";

const insertedIntoTree = merkleTreeHookAbi[0];

/** A checkpoint whose root is not computed yet: the tree as it stood right after the message's leaf. */
type PendingCheckpoint = Omit<Checkpoint, "root"> & { frontier: MerkleFrontier };

export interface HyperlaneValidatorOptions {
  /** Client of the origin chain this validator watches. */
  client: PublicClient;
  /** Hyperlane domain of the origin chain. */
  origin: number;
  /** The origin Mailbox's required `MerkleTreeHook`. */
  merkleTreeHook: Address;
  /** This operator's validator key: it signs only this validator's checkpoints. */
  signer: DigestSigner;
  /** Blocks (counting its own) a message must have before it is signed, against reorgs. Default 1. */
  confirmations?: number;
  /** Where the tree starts: the block the hook was deployed in (earlier blocks have no insertions). */
  fromBlock?: bigint;
  maxBlockRange?: bigint;
}

/**
 * A Hyperlane validator for one origin: it rebuilds the origin hook's incremental merkle tree from
 * `InsertedIntoTree` events, checks it against the hook's own root and count at every synced block,
 * and signs the checkpoint of a message only once that message is confirmed in the tree.
 */
export class HyperlaneValidator {
  readonly address: Address;
  readonly origin: number;
  readonly merkleTreeHook: Address;
  private readonly client: PublicClient;
  private readonly signer: DigestSigner;
  private readonly confirmations: number;
  private readonly maxBlockRange: bigint;
  private tree = new IncrementalMerkleTree();
  /**
   * Each message's checkpoint, its root computed when first asked for: with M of N, not every validator is
   * asked for every message, and a root costs 32 hashes.
   */
  private readonly checkpoints = new Map<string, Checkpoint | PendingCheckpoint>();
  private readonly fromBlock: bigint;
  private nextBlock: bigint;
  /** Syncs run one at a time: the tree must see insertions in order exactly once. */
  private syncQueue: Promise<unknown> = Promise.resolve();

  constructor(options: HyperlaneValidatorOptions) {
    this.client = options.client;
    this.origin = options.origin;
    this.merkleTreeHook = options.merkleTreeHook;
    this.signer = options.signer;
    this.address = options.signer.address;
    this.confirmations = options.confirmations ?? 1;
    this.maxBlockRange = options.maxBlockRange ?? DEFAULT_MAX_BLOCK_RANGE;
    this.fromBlock = options.fromBlock ?? 0n;
    this.nextBlock = this.fromBlock;
  }

  /** Leaves in the local tree. */
  get count(): number {
    return this.tree.count;
  }

  /** Reads insertions up to the confirmed head; returns the number of leaves. */
  sync(): Promise<number> {
    const run = this.syncQueue.then(() => this.syncOnce());
    this.syncQueue = run.catch(() => {});
    return run;
  }

  /**
   * Insertions a caller already read: `logs` holds every log of the hook in `fromBlock`..`toBlock` (others
   * are ignored), `toBlock` confirmed. Saves the validator its own read of that range; a range that does
   * not reach back to where the tree stands is not enough, and the validator syncs from there instead.
   */
  ingest(fromBlock: bigint, toBlock: bigint, logs: readonly Log[]): Promise<number> {
    const run = this.syncQueue.then(async () => {
      if (fromBlock > this.nextBlock) return this.syncOnce();
      if (toBlock < this.nextBlock) return this.tree.count;
      const inserted = parseEventLogs({ abi: [insertedIntoTree], logs: [...logs], strict: true }).filter(
        (log) =>
          log.blockNumber !== null &&
          log.blockNumber >= this.nextBlock &&
          isAddressEqual(log.address, this.merkleTreeHook),
      );
      for (const log of inserted) this.insert(log.args.messageId, log.args.index, log.blockNumber as bigint);
      this.nextBlock = toBlock + 1n;
      if (inserted.length > 0) await this.checkAgainstHook(toBlock);
      return this.tree.count;
    });
    this.syncQueue = run.catch(() => {});
    return run;
  }

  /** The checkpoint of a message already in the local tree. */
  checkpointOf(messageId: Hex): Checkpoint | undefined {
    const key = messageId.toLowerCase();
    const entry = this.checkpoints.get(key);
    if (!entry || !("frontier" in entry)) return entry;
    const { frontier, ...rest } = entry;
    const checkpoint: Checkpoint = { ...rest, root: rootOf(frontier) };
    this.checkpoints.set(key, checkpoint);
    return checkpoint;
  }

  /** Signs the checkpoint of `messageId`, syncing first if the message is not in the local tree yet. */
  async sign(messageId: Hex): Promise<SignedCheckpoint> {
    if (!this.checkpointOf(messageId)) await this.sync();
    const checkpoint = this.checkpointOf(messageId);
    if (!checkpoint) {
      throw new HyperlaneTransportError(
        "CheckpointUnavailable",
        `validator ${this.address} has not seen message ${messageId} confirmed on domain ${this.origin}`,
        { details: { validator: this.address, origin: this.origin, messageId, treeCount: this.tree.count } },
      );
    }
    return signCheckpoint(this.signer, checkpoint);
  }

  private async syncOnce(): Promise<number> {
    const toBlock = await confirmedHead(this.client, this.confirmations);
    if (toBlock === undefined || toBlock < this.nextBlock) return this.tree.count;
    for (const [from, to] of blockRanges(this.nextBlock, toBlock, this.maxBlockRange)) {
      const logs = await this.client.getLogs({
        address: this.merkleTreeHook,
        event: insertedIntoTree,
        fromBlock: from,
        toBlock: to,
        strict: true,
      });
      for (const log of logs) this.insert(log.args.messageId, log.args.index, log.blockNumber);
      this.nextBlock = to + 1n;
    }
    await this.checkAgainstHook(toBlock);
    return this.tree.count;
  }

  private insert(messageId: Hex, index: number, blockNumber: bigint): void {
    if (index !== this.tree.count) {
      throw this.discardTree(
        "MerkleTreeMismatch",
        `hook inserted message ${messageId} at index ${index}, the local tree expected index ${this.tree.count}`,
        { details: { origin: this.origin, merkleTreeHook: this.merkleTreeHook, messageId, index, blockNumber } },
      );
    }
    this.tree.insert(messageId);
    this.checkpoints.set(messageId.toLowerCase(), {
      origin: this.origin,
      merkleTreeHook: this.merkleTreeHook,
      frontier: this.tree.frontier(),
      index,
      messageId,
    });
  }

  /** A missed or doubled event would make every later checkpoint wrong: compare with the hook itself. */
  private async checkAgainstHook(blockNumber: bigint): Promise<void> {
    const hook = { address: this.merkleTreeHook, abi: merkleTreeHookAbi, blockNumber } as const;
    const [count, root] = await Promise.all([
      this.client.readContract({ ...hook, functionName: "count" }),
      this.client.readContract({ ...hook, functionName: "root" }),
    ]);
    const localRoot = this.tree.root();
    if (count !== this.tree.count || root !== localRoot) {
      throw this.discardTree(
        "MerkleTreeMismatch",
        `local tree (${this.tree.count} leaves) differs from hook ${this.merkleTreeHook} (${count} leaves) at block ${blockNumber}`,
        {
          details: {
            origin: this.origin,
            merkleTreeHook: this.merkleTreeHook,
            blockNumber,
            hookCount: count,
            hookRoot: root,
            localCount: this.tree.count,
            localRoot,
          },
        },
      );
    }
  }

  /**
   * The local tree disagrees with the hook (a node that served a block's logs incompletely, say): every
   * checkpoint it would sign could carry a wrong root, which Hyperlane's fraud proofs treat as misbehaviour.
   * So nothing it holds is signed any more: the tree is dropped and rebuilt from the first block on the next
   * sync, which is checked against the hook again before anything is signed.
   */
  private discardTree(...args: ConstructorParameters<typeof HyperlaneTransportError>): HyperlaneTransportError {
    this.tree = new IncrementalMerkleTree();
    this.checkpoints.clear();
    this.nextBlock = this.fromBlock;
    return new HyperlaneTransportError(...args);
  }
}
