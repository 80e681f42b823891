import type { PublicClient } from "viem";

/** Log queries are split into ranges of at most this many blocks, the limit of many public RPCs. */
export const DEFAULT_MAX_BLOCK_RANGE = 10_000n;

/**
 * The newest block with at least `confirmations` blocks counting itself (1: any mined block), or
 * undefined when the chain is not that long yet.
 */
export async function confirmedHead(client: PublicClient, confirmations: number): Promise<bigint | undefined> {
  if (!Number.isInteger(confirmations) || confirmations < 1) {
    throw new RangeError(`confirmations must be a positive integer, got ${confirmations}`);
  }
  const head = await client.getBlockNumber({ cacheTime: 0 });
  const confirmed = head - BigInt(confirmations - 1);
  return confirmed < 0n ? undefined : confirmed;
}

/** Consecutive [from, to] ranges covering `fromBlock`..`toBlock`, each at most `maxRange` blocks. */
export function* blockRanges(fromBlock: bigint, toBlock: bigint, maxRange: bigint): Generator<[bigint, bigint]> {
  for (let from = fromBlock; from <= toBlock; from += maxRange) {
    const to = from + maxRange - 1n;
    yield [from, to < toBlock ? to : toBlock];
  }
}
