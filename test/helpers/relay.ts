import type { Address } from "viem";
import type { Connection } from "./chains.ts";
import { sentMessages } from "./messaging.ts";

interface Endpoint {
  chainId: bigint;
  connection: Connection;
  /** The TestMessenger deployed on this chain. */
  messenger: Address;
  /** The application (engine or vault) that receives messages on this chain. */
  receiver: Address;
}

/**
 * TEST RELAY over the test transport: carries every `TestMessageSent` from one in-process chain to
 * its destination's application. It stands in for LayerZero/Hyperlane in contract-level tests only.
 */
export class TestRelay {
  private readonly endpoints = new Map<bigint, Endpoint>();
  private readonly nextBlock = new Map<bigint, bigint>();

  add(endpoint: Endpoint): void {
    this.endpoints.set(endpoint.chainId, endpoint);
  }

  /** Delivers every message sent since the last call, repeating until no chain has anything left. */
  async flush(): Promise<number> {
    let delivered = 0;
    for (;;) {
      let round = 0;
      for (const endpoint of this.endpoints.values()) round += await this.flushChain(endpoint);
      if (round === 0) return delivered;
      delivered += round;
    }
  }

  private async flushChain(source: Endpoint): Promise<number> {
    const client = await source.connection.viem.getPublicClient();
    const head = await client.getBlockNumber();
    const from = this.nextBlock.get(source.chainId) ?? 0n;
    if (from > head) return 0;
    this.nextBlock.set(source.chainId, head + 1n);
    let delivered = 0;
    for (let block = from; block <= head; block++) {
      const { transactions } = await client.getBlock({ blockNumber: block, includeTransactions: true });
      for (const transaction of transactions) {
        const receipt = await client.getTransactionReceipt({ hash: transaction.hash });
        for (const message of sentMessages(receipt, source.messenger)) {
          const destination = this.endpoints.get(message.destination);
          if (!destination) throw new Error(`no endpoint for chain ${message.destination}`);
          const messenger = await destination.connection.viem.getContractAt("TestMessenger", destination.messenger);
          await messenger.write.deliver([destination.receiver, source.chainId, message.raw]);
          delivered++;
        }
      }
    }
    return delivered;
  }
}
