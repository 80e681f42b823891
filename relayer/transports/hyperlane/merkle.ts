import { bytesToHex, type Hex, hexToBytes } from "viem";
import { keccak256Bytes } from "../keccak.ts";

/** Depth of the tree Hyperlane's `MerkleTreeHook` keeps (MerkleLib.TREE_DEPTH). */
export const MERKLE_TREE_DEPTH = 32;
const MAX_LEAVES = 2 ** MERKLE_TREE_DEPTH - 1;

// Nodes are raw bytes: a relayer hashes 33 nodes per root, and hex round trips around each hash cost more
// than the hash itself.
const pair = new Uint8Array(64);
const hashPair = (left: Uint8Array, right: Uint8Array): Uint8Array => {
  pair.set(left, 0);
  pair.set(right, 32);
  return keccak256Bytes(pair);
};

/** Roots of the empty subtrees of each height: Z[0] = 0, Z[i+1] = H(Z[i], Z[i]). */
const ZERO_HASHES: readonly Uint8Array[] = (() => {
  const zeros: Uint8Array[] = [new Uint8Array(32)];
  for (let height = 1; height < MERKLE_TREE_DEPTH; height++) {
    const below = zeros[height - 1] as Uint8Array;
    zeros.push(hashPair(below, below));
  }
  return zeros;
})();

/**
 * The tree as it stood after some insertion: its leaf count and the branch nodes then. Nodes are never
 * changed in place, so a frontier costs one array of references and its root can be computed any time later.
 */
export interface MerkleFrontier {
  readonly count: number;
  readonly branch: readonly Uint8Array[];
}

/**
 * The append-only incremental merkle tree of Hyperlane's MerkleLib, bit for bit: it keeps one branch
 * node per level and the leaf count, so inserting and computing the root are O(depth).
 */
export class IncrementalMerkleTree {
  private branch: readonly Uint8Array[] = ZERO_HASHES.map(() => ZERO_HASHES[0] as Uint8Array);
  private leaves = 0;

  get count(): number {
    return this.leaves;
  }

  /** Appends `leaf`; returns its index. */
  insert(leaf: Hex): number {
    if (this.leaves >= MAX_LEAVES) throw new RangeError("merkle tree full");
    const index = this.leaves;
    this.leaves += 1;
    let size = this.leaves;
    let node = hexToBytes(leaf);
    const branch = [...this.branch];
    for (let level = 0; level < MERKLE_TREE_DEPTH; level++) {
      if ((size & 1) === 1) {
        branch[level] = node;
        this.branch = branch;
        return index;
      }
      node = hashPair(branch[level] as Uint8Array, node);
      // Halving by division: `size` can exceed 2^31, where the bit shift operators would wrap.
      size = Math.floor(size / 2);
    }
    throw new Error("unreachable: a tree below capacity always has a free level");
  }

  /** The tree as it stands now, for a root computed later (`rootOf`). */
  frontier(): MerkleFrontier {
    return { count: this.leaves, branch: this.branch };
  }

  root(): Hex {
    return rootOf(this.frontier());
  }
}

/** The root of the tree as it stood at `frontier`. */
export function rootOf(frontier: MerkleFrontier): Hex {
  let current = ZERO_HASHES[0] as Uint8Array;
  let index = frontier.count;
  for (let level = 0; level < MERKLE_TREE_DEPTH; level++) {
    current =
      index % 2 === 1
        ? hashPair(frontier.branch[level] as Uint8Array, current)
        : hashPair(current, ZERO_HASHES[level] as Uint8Array);
    index = Math.floor(index / 2);
  }
  return bytesToHex(current);
}
