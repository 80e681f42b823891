/**
 * Gas the bench's chains executed over a stretch of blocks, split by who sent the transactions. Beside the
 * CPU figures it says what a message costs the chains whatever the relayer does (the source and destination
 * contracts' gas: LayerZero's and Hyperlane's included) and how fast anvil executes gas on this machine.
 */
import type { BenchChains } from "./devnet.ts";

/** Each chain's head block number, by chain name: where a stretch starts. */
export type Heads = ReadonlyMap<string, bigint>;

export interface ChainGas {
  /** Gas used by transactions the given senders sent (the relayer operators'). */
  bySenders: number;
  /** Gas used by every other transaction (the bench's traders'). */
  byOthers: number;
  blocks: number;
  /** The same by chain name. */
  blocksByChain: Record<string, number>;
  transactions: number;
  /** Transactions the given senders sent. */
  transactionsBySenders: number;
}

/** Blocks read at once per chain: anvil answers each from memory; more only queues on its side. */
const CONCURRENT_READS = 16;

export async function headBlocks(chains: BenchChains): Promise<Heads> {
  return new Map(
    await Promise.all(
      [...chains.chains].map(
        async ([name, { publicClient }]) => [name, await publicClient.getBlockNumber({ cacheTime: 0 })] as const,
      ),
    ),
  );
}

/** Gas of every block after `since` up to each chain's head now, read from the blocks' receipts. */
export async function gasSince(chains: BenchChains, since: Heads, senders: readonly string[]): Promise<ChainGas> {
  const sentByUs = new Set(senders.map((address) => address.toLowerCase()));
  const total: ChainGas = {
    bySenders: 0,
    byOthers: 0,
    blocks: 0,
    blocksByChain: {},
    transactions: 0,
    transactionsBySenders: 0,
  };
  for (const [name, { publicClient }] of chains.chains) {
    const from = since.get(name);
    if (from === undefined) throw new Error(`no starting block for ${name}`);
    const head = await publicClient.getBlockNumber({ cacheTime: 0 });
    const numbers = Array.from({ length: Number(head - from) }, (_, index) => from + 1n + BigInt(index));
    total.blocksByChain[name] = numbers.length;
    for (let start = 0; start < numbers.length; start += CONCURRENT_READS) {
      const receipts = await Promise.all(
        numbers
          .slice(start, start + CONCURRENT_READS)
          .map((blockNumber) => publicClient.getBlockReceipts({ blockNumber })),
      );
      for (const block of receipts) {
        total.blocks += 1;
        for (const receipt of block) {
          total.transactions += 1;
          const gas = Number(receipt.gasUsed);
          if (sentByUs.has(receipt.from.toLowerCase())) {
            total.bySenders += gas;
            total.transactionsBySenders += 1;
          } else total.byOthers += gas;
        }
      }
    }
  }
  return total;
}
