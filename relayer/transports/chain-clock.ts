import type { PublicClient } from "viem";
import { PromiseCache } from "./promise-cache.ts";

/**
 * Chains' current time, for the expirations of LayerZero DVN instructions: the latest block's timestamp,
 * read once per `ttlMs` and carried forward on this machine's clock in between (instructions live for
 * minutes, far longer than the drift). A devnet chain's time can jump ahead of the wall clock (tests move
 * it), so expirations are set and checked against the chain's own time; `forget` drops a reading that a
 * failure suggests is stale.
 */
export class ChainClock {
  private readonly readings: PromiseCache<number, { timestamp: bigint; readAt: number }>;

  constructor(ttlMs = 10_000) {
    this.readings = new PromiseCache(ttlMs);
  }

  async now(chainId: number, client: PublicClient): Promise<bigint> {
    const reading = await this.readings.get(chainId, async () => {
      const readAt = Date.now();
      const block = await client.getBlock({ blockTag: "latest" });
      return { timestamp: block.timestamp, readAt };
    });
    // Whole seconds elapsed since the read, rounded down: never later than the chain's time.
    return reading.timestamp + BigInt(Math.floor((Date.now() - reading.readAt) / 1000));
  }

  forget(chainId: number): void {
    this.readings.forget(chainId);
  }
}
