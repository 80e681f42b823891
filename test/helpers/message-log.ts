// A record of every message the test transport carried, for tests that replay, duplicate or reorder
// deliveries on purpose (TestRelay delivers each message once, in order).
import type { Address, Hex } from "viem";
import { decodeMessage, type Message } from "../../sdk/codec/index.ts";
import type { Connection } from "./chains.ts";

export interface LoggedMessage {
  /** Position in the log (discovery order). */
  index: number;
  origin: bigint;
  destination: bigint;
  /** Block of the origin chain that sent it. */
  block: bigint;
  raw: Hex;
  decoded: Message;
}

interface Chain {
  chainId: bigint;
  connection: Connection;
  messenger: Address;
  /** The application that receives messages on this chain. */
  receiver: Address;
}

/** Watches the TestMessenger of every chain and can deliver any logged message again. */
export class MessageLog {
  readonly messages: LoggedMessage[] = [];
  private readonly chains = new Map<bigint, Chain>();
  private readonly cursor = new Map<bigint, bigint>();
  /** Highest block of each chain whose messages TestRelay has delivered (see `markFlushed`). */
  private readonly flushedThrough = new Map<bigint, bigint>();

  add(chain: Chain): void {
    this.chains.set(chain.chainId, chain);
  }

  /** Records messages sent since the last poll. */
  async poll(): Promise<void> {
    for (const chain of this.chains.values()) {
      const client = await chain.connection.viem.getPublicClient();
      const head = await client.getBlockNumber();
      const from = this.cursor.get(chain.chainId) ?? 0n;
      if (from > head) continue;
      const messenger = await chain.connection.viem.getContractAt("TestMessenger", chain.messenger);
      const events = await client.getContractEvents({
        address: chain.messenger,
        abi: messenger.abi,
        eventName: "TestMessageSent",
        fromBlock: from,
        toBlock: head,
      });
      for (const event of events) {
        const raw = event.args.message as Hex;
        this.messages.push({
          index: this.messages.length,
          origin: chain.chainId,
          destination: event.args.destination as bigint,
          block: event.blockNumber,
          raw,
          decoded: decodeMessage(raw),
        });
      }
      this.cursor.set(chain.chainId, head + 1n);
    }
  }

  /** Call right after `TestRelay.flush()`: everything sent up to each chain's head is delivered. */
  async markFlushed(): Promise<void> {
    await this.poll();
    for (const chain of this.chains.values()) {
      const client = await chain.connection.viem.getPublicClient();
      this.flushedThrough.set(chain.chainId, await client.getBlockNumber());
    }
  }

  /** Messages sent but not yet delivered by TestRelay (as of the last poll). */
  inFlight(): LoggedMessage[] {
    return this.messages.filter((message) => message.block > (this.flushedThrough.get(message.origin) ?? -1n));
  }

  /** Messages TestRelay has already delivered at least once. */
  delivered(): LoggedMessage[] {
    return this.messages.filter((message) => message.block <= (this.flushedThrough.get(message.origin) ?? -1n));
  }

  /** Delivers `message` (again) straight through the destination's TestMessenger. */
  async deliver(message: LoggedMessage): Promise<Hex> {
    const destination = this.chains.get(message.destination);
    if (!destination) throw new Error(`no chain ${message.destination}`);
    const messenger = await destination.connection.viem.getContractAt("TestMessenger", destination.messenger);
    return messenger.write.deliver([destination.receiver, message.origin, message.raw]);
  }
}
