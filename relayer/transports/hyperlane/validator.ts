import { setTimeout as sleep } from "node:timers/promises";
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

/** Reads again of a hook found further than the logs of the same block (after 10, 20, 40 ms) before the tree is dropped. */
const HOOK_REREADS = 3;
const HOOK_REREAD_DELAY_MS = 10;

/** The local tree as the hook's own count and root last confirmed it. */
interface ConfirmedTree {
  readonly leaves: number;
  readonly root: Hex;
}

const NOTHING_CONFIRMED: ConfirmedTree = { leaves: 0, root: new IncrementalMerkleTree().root() };

/**
 * Checkpoints a validator keeps per origin, of the newest messages; older ones are rebuilt from the origin's
 * logs when asked for. An entry costs 0.7–1 KB (pending or resolved, measured), and a checkpoint is asked for
 * within seconds of its message's confirmation (at delivery: p99 2.8 s at the bench's 131 msg/s), so 4,096
 * entries cover half a minute of the heaviest traffic measured for ~4 MB per origin, against the relayer's
 * 250 MB RSS target.
 */
export const DEFAULT_MAX_RETAINED_CHECKPOINTS = 4_096;

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
  /** Checkpoints kept in memory; the oldest are dropped first. Default DEFAULT_MAX_RETAINED_CHECKPOINTS. */
  maxRetainedCheckpoints?: number;
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
  private readonly maxRetainedCheckpoints: number;
  /**
   * The newest messages' checkpoints, oldest first, each root computed when first asked for: with M of N,
   * not every validator is asked for every message, and a root costs 32 hashes.
   */
  private readonly checkpoints = new Map<string, Checkpoint | PendingCheckpoint>();
  /** Every checkpoint dropped from `checkpoints` had a leaf index below this. */
  private evictedBelowIndex = 0;
  /**
   * The tree as the hook last confirmed it (checked after the sync that read its leaves): only those leaves are
   * signed, and a rebuilt tree must come to the same root.
   */
  private confirmed = NOTHING_CONFIRMED;
  /** Rebuilds run one at a time, each for every message asked for while the one before it ran. */
  private rebuildQueue: Promise<unknown> = Promise.resolve();
  private nextRebuild?: { messageIds: Set<string>; found: Promise<Map<string, Checkpoint>> };
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
    this.maxRetainedCheckpoints = options.maxRetainedCheckpoints ?? DEFAULT_MAX_RETAINED_CHECKPOINTS;
    if (!Number.isInteger(this.maxRetainedCheckpoints) || this.maxRetainedCheckpoints < 1) {
      throw new RangeError(`maxRetainedCheckpoints must be a positive integer, got ${this.maxRetainedCheckpoints}`);
    }
    this.fromBlock = options.fromBlock ?? 0n;
    this.nextBlock = this.fromBlock;
  }

  /** Leaves in the local tree. */
  get count(): number {
    return this.tree.count;
  }

  /** Checkpoints held in memory, at most `maxRetainedCheckpoints`. */
  get retainedCheckpoints(): number {
    return this.checkpoints.size;
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
      if (inserted.length > 0 || this.confirmed.leaves < this.tree.count) await this.checkAgainstHook(toBlock);
      return this.tree.count;
    });
    this.syncQueue = run.catch(() => {});
    return run;
  }

  /** The checkpoint of a message already in the local tree and still retained. */
  checkpointOf(messageId: Hex): Checkpoint | undefined {
    const key = messageId.toLowerCase();
    const entry = this.checkpoints.get(key);
    // A leaf the hook has not confirmed yet (the check after its sync failed) is not signed.
    if (!entry || entry.index >= this.confirmed.leaves) return undefined;
    if (!("frontier" in entry)) return entry;
    const { frontier, ...rest } = entry;
    const checkpoint: Checkpoint = { ...rest, root: rootOf(frontier) };
    this.checkpoints.set(key, checkpoint);
    return checkpoint;
  }

  /**
   * Signs the checkpoint of `messageId`, syncing first if the message is not in the local tree yet, and
   * rebuilding it from the origin's logs if it is no longer retained. That scan reads the origin's history, so
   * it runs only for a message that may really have been evicted: `index`, the message's leaf when the caller
   * knows it, must be below the evicted ones, and `mayRebuild` (e.g. "my watcher stored this message") must
   * agree — an unknown or made-up id from a peer costs no scan.
   */
  async sign(
    messageId: Hex,
    options: { index?: number | undefined; mayRebuild?: () => Promise<boolean> } = {},
  ): Promise<SignedCheckpoint> {
    if (!this.checkpointOf(messageId)) {
      // The leaf may be in a read already under way (the watcher's ingest, or a sync) whose hook check has not
      // passed yet: that check is what makes it signable, so wait for it before reading the chain once more.
      await this.syncQueue;
      if (!this.checkpointOf(messageId)) await this.sync();
    }
    let checkpoint = this.checkpointOf(messageId);
    const { index, mayRebuild } = options;
    const mayBeEvicted = index === undefined ? this.evictedBelowIndex > 0 : index < this.evictedBelowIndex;
    if (!checkpoint && mayBeEvicted && (mayRebuild === undefined || (await mayRebuild()))) {
      checkpoint = await this.rebuild(messageId);
    }
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
    if (toBlock === undefined || toBlock < this.nextBlock) {
      if (this.confirmed.leaves < this.tree.count) await this.checkAgainstHook(this.nextBlock - 1n);
      return this.tree.count;
    }
    for (const [from, to] of blockRanges(this.nextBlock, toBlock, this.maxBlockRange)) {
      const logs = await this.insertionsIn(from, to);
      for (const log of logs) this.insert(log.args.messageId, log.args.index, log.blockNumber);
      this.nextBlock = to + 1n;
    }
    await this.checkAgainstHook(toBlock);
    return this.tree.count;
  }

  private insertionsIn(fromBlock: bigint, toBlock: bigint) {
    return this.client.getLogs({
      address: this.merkleTreeHook,
      event: insertedIntoTree,
      fromBlock,
      toBlock,
      strict: true,
    });
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
    this.retain(messageId.toLowerCase(), {
      origin: this.origin,
      merkleTreeHook: this.merkleTreeHook,
      frontier: this.tree.frontier(),
      index,
      messageId,
    });
  }

  private retain(key: string, entry: Checkpoint | PendingCheckpoint): void {
    this.checkpoints.set(key, entry);
    for (const [oldestKey, oldest] of this.checkpoints) {
      if (this.checkpoints.size <= this.maxRetainedCheckpoints) break;
      this.checkpoints.delete(oldestKey);
      this.evictedBelowIndex = Math.max(this.evictedBelowIndex, oldest.index + 1);
    }
  }

  /** The checkpoint of a message no longer retained, from the origin's logs; undefined if it is not among them. */
  private rebuild(messageId: Hex): Promise<Checkpoint | undefined> {
    if (!this.nextRebuild) {
      const messageIds = new Set<string>();
      const found = this.rebuildQueue.then(() => {
        // From here on the set is read: later requests wait for the next rebuild.
        this.nextRebuild = undefined;
        return this.rebuildEvicted(messageIds);
      });
      this.rebuildQueue = found.catch(() => {});
      this.nextRebuild = { messageIds, found };
    }
    const key = messageId.toLowerCase();
    this.nextRebuild.messageIds.add(key);
    return this.nextRebuild.found.then((checkpoints) => checkpoints.get(key));
  }

  /**
   * Builds a tree of its own, so the live one and its syncs are untouched, from the same confirmed logs the
   * live tree was built from (up to the block it has synced). The node may serve those logs differently now
   * (another message id at some leaf, indices still without a gap), and a checkpoint with a root the hook
   * never had is what Hyperlane's fraud proofs punish: so the rebuilt tree goes on to the leaves the hook
   * last confirmed, and none of its checkpoints is kept or signed unless its root is the one confirmed then.
   * The scan so reads on from the messages asked for to the synced head, on top of the history before them
   * that it reads anyway: a cost accepted because rebuilds are rare (only for messages older than the
   * retained ones, and only for one this operator's watcher stored).
   */
  private async rebuildEvicted(messageIds: ReadonlySet<string>): Promise<Map<string, Checkpoint>> {
    const found = new Map<string, Checkpoint>();
    // Asked for while the rebuild before this one ran, which kept them again: no second scan for those.
    for (const key of messageIds) {
      const kept = this.checkpointOf(key as Hex);
      if (kept) found.set(key, kept);
    }
    if (found.size === messageIds.size) return found;
    // Read together, before any wait: every leaf the hook confirmed is in the logs up to the synced block.
    const confirmed = this.confirmed;
    const toBlock = this.nextBlock - 1n;
    // Only leaves the hook confirmed, as for the live tree.
    const evictedLeaves = Math.min(this.evictedBelowIndex, confirmed.leaves);
    if (evictedLeaves === 0) return found;
    const rebuilt: Checkpoint[] = [];
    const tree = new IncrementalMerkleTree();
    scan: for (const [from, to] of blockRanges(this.fromBlock, toBlock, this.maxBlockRange)) {
      for (const { args, blockNumber } of await this.insertionsIn(from, to)) {
        if (args.index !== tree.count) {
          throw new HyperlaneTransportError(
            "MerkleTreeMismatch",
            `rebuilding evicted checkpoints: hook inserted message ${args.messageId} at index ${args.index}, the rebuilt tree expected index ${tree.count}`,
            { details: { origin: this.origin, merkleTreeHook: this.merkleTreeHook, ...args, blockNumber } },
          );
        }
        tree.insert(args.messageId);
        if (args.index < evictedLeaves && messageIds.has(args.messageId.toLowerCase())) {
          rebuilt.push({
            origin: this.origin,
            merkleTreeHook: this.merkleTreeHook,
            root: tree.root(),
            index: args.index,
            messageId: args.messageId,
          });
        }
        if (tree.count === confirmed.leaves) break scan;
      }
    }
    const rebuiltRoot = tree.root();
    if (tree.count !== confirmed.leaves || rebuiltRoot !== confirmed.root) {
      throw new HyperlaneTransportError(
        "MerkleTreeMismatch",
        `rebuilding evicted checkpoints: the origin's logs up to block ${toBlock} give a tree of ${tree.count} leaves with root ${rebuiltRoot}, the hook confirmed ${confirmed.leaves} leaves with root ${confirmed.root}`,
        {
          details: {
            origin: this.origin,
            merkleTreeHook: this.merkleTreeHook,
            fromBlock: this.fromBlock,
            toBlock,
            confirmedCount: confirmed.leaves,
            confirmedRoot: confirmed.root,
            rebuiltCount: tree.count,
            rebuiltRoot,
          },
        },
      );
    }
    for (const checkpoint of rebuilt) {
      const key = checkpoint.messageId.toLowerCase();
      found.set(key, checkpoint);
      // Retried once, a message is likely retried again (by the deliverer, and by each peer asked).
      this.retain(key, checkpoint);
    }
    return found;
  }

  /** A missed or doubled event would make every later checkpoint wrong: compare with the hook itself. */
  private async checkAgainstHook(blockNumber: bigint): Promise<void> {
    // An empty tree has nothing to sign, and the hook's latestCheckpoint reverts while its own tree is empty.
    if (this.tree.count === 0) return;
    // Count and root in one call: read one after the other they can come from two states (anvil answers a read
    // at its latest block from the state it is mining the next block into: seen as a count one ahead beside the
    // previous root), and such a pair looks like a wrong tree.
    const readHook = async () => {
      const [root, lastIndex] = await this.client.readContract({
        address: this.merkleTreeHook,
        abi: merkleTreeHookAbi,
        functionName: "latestCheckpoint",
        blockNumber,
      });
      return { root, count: lastIndex + 1 };
    };
    const localRoot = this.tree.root();
    let { root, count } = await readHook();
    // The hook further than the logs read through the same block: the node answered from a newer state (anvil
    // mid-block, seen several times a minute under load; a provider's load-balanced nodes) or the logs miss an
    // insertion. Read again shortly before calling the tree wrong: by then the block is the node's past.
    for (let reread = 0; count > this.tree.count && reread < HOOK_REREADS; reread++) {
      await sleep(HOOK_REREAD_DELAY_MS * 2 ** reread);
      ({ root, count } = await readHook());
    }
    if (count === this.tree.count && root === localRoot) {
      this.confirmed = { leaves: count, root };
      return;
    }
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

  /**
   * The local tree disagrees with the hook (a node that served a block's logs incompletely, say): every
   * checkpoint it would sign could carry a wrong root, which Hyperlane's fraud proofs treat as misbehaviour.
   * So nothing it holds is signed any more: the tree is dropped and rebuilt from the first block on the next
   * sync, which is checked against the hook again before anything is signed.
   */
  private discardTree(...args: ConstructorParameters<typeof HyperlaneTransportError>): HyperlaneTransportError {
    this.tree = new IncrementalMerkleTree();
    this.checkpoints.clear();
    this.evictedBelowIndex = 0;
    this.confirmed = NOTHING_CONFIRMED;
    this.nextBlock = this.fromBlock;
    return new HyperlaneTransportError(...args);
  }
}
