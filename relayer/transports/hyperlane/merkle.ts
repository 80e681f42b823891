import { concat, type Hex, keccak256 } from "viem";

/** Depth of the tree Hyperlane's `MerkleTreeHook` keeps (MerkleLib.TREE_DEPTH). */
export const MERKLE_TREE_DEPTH = 32;
const MAX_LEAVES = 2 ** MERKLE_TREE_DEPTH - 1;

const ZERO: Hex = `0x${"00".repeat(32)}`;

const hashPair = (left: Hex, right: Hex): Hex => keccak256(concat([left, right]));

/** Roots of the empty subtrees of each height: Z[0] = 0, Z[i+1] = H(Z[i], Z[i]). */
const ZERO_HASHES: readonly Hex[] = (() => {
  const zeros: Hex[] = [ZERO];
  for (let height = 1; height < MERKLE_TREE_DEPTH; height++) {
    const below = zeros[height - 1] as Hex;
    zeros.push(hashPair(below, below));
  }
  return zeros;
})();

/**
 * The append-only incremental merkle tree of Hyperlane's MerkleLib, bit for bit: it keeps one branch
 * node per level and the leaf count, so inserting and computing the root are O(depth).
 */
export class IncrementalMerkleTree {
  private readonly branch: Hex[] = Array.from({ length: MERKLE_TREE_DEPTH }, () => ZERO);
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
    let node = leaf;
    for (let level = 0; level < MERKLE_TREE_DEPTH; level++) {
      if ((size & 1) === 1) {
        this.branch[level] = node;
        return index;
      }
      node = hashPair(this.branch[level] as Hex, node);
      // Halving by division: `size` can exceed 2^31, where the bit shift operators would wrap.
      size = Math.floor(size / 2);
    }
    throw new Error("unreachable: a tree below capacity always has a free level");
  }

  root(): Hex {
    let current = ZERO;
    let index = this.leaves;
    for (let level = 0; level < MERKLE_TREE_DEPTH; level++) {
      current =
        index % 2 === 1 ? hashPair(this.branch[level] as Hex, current) : hashPair(current, ZERO_HASHES[level] as Hex);
      index = Math.floor(index / 2);
    }
    return current;
  }
}
