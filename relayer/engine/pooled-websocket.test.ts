// Checks the pooled websocket transport against a real anvil: concurrent requests spread over the pool's
// sockets with never more than one in flight on a socket, two parallel calls avoid the ~40 ms stall of a
// shared socket, a reverting call fails with the same viem error (and revert data) as over viem's own
// webSocket transport, requests beyond the pool wait their turn in order and give up after the timeout when no
// socket frees (a node that stops answering), a socket whose request timed out carries no further request,
// subscriptions still work, and closing closes every socket opened.
// The sockets are observed through a WebSocket class that records what each one sends and receives.
import { createHash } from "node:crypto";
import { createServer, type Socket } from "node:net";
import {
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createTestClient,
  encodeErrorResult,
  type Hex,
  parseAbi,
  TimeoutError,
  type Transport,
  toFunctionSelector,
  webSocket,
} from "viem";
import { socketClientCache } from "viem/utils";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { type AnvilHandle, startAnvil } from "../devnet/anvil.ts";
import { revertReason } from "../transports/hyperlane/deliverer.ts";
import { revertDataOf } from "../transports/layerzero/errors.ts";
import { pooledWebSocket } from "./pooled-websocket.ts";

/** One socket as the node sees it: the requests it was sent in order, and at most how many awaited an answer at once. */
interface ObservedSocket {
  sent: { method: string; params: unknown }[];
  inFlight: Set<number>;
  mostInFlight: number;
  /** The client began closing it (a node that hung never completes the closing handshake). */
  closing: boolean;
  closed: boolean;
}

const opened: ObservedSocket[] = [];

class ObservedWebSocket extends WebSocket {
  private readonly observed: ObservedSocket = {
    sent: [],
    inFlight: new Set(),
    mostInFlight: 0,
    closing: false,
    closed: false,
  };

  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
    opened.push(this.observed);
    this.addEventListener("close", () => {
      this.observed.closed = true;
    });
    this.addEventListener("message", ({ data }) => {
      const { id } = JSON.parse(String(data)) as { id?: number | null };
      if (typeof id === "number") this.observed.inFlight.delete(id);
    });
  }

  override send(data: string): void {
    const { id, method, params } = JSON.parse(data) as { id: number | null; method: string; params: unknown };
    // viem's keep-alive pings carry no id and wait for no answer.
    if (typeof id === "number") {
      this.observed.sent.push({ method, params });
      this.observed.inFlight.add(id);
      this.observed.mostInFlight = Math.max(this.observed.mostInFlight, this.observed.inFlight.size);
    }
    super.send(data);
  }

  override close(code?: number, reason?: string): void {
    this.observed.closing = true;
    super.close(code, reason);
  }
}
// viem loads its WebSocket class (isows, which takes the global one) when it opens its first socket.
vi.stubGlobal("WebSocket", ObservedWebSocket);

const revertingAbi = parseAbi(["function check() view", "error Refused(uint256 code)"]);
/** Runtime code that reverts every call with `Refused(7)`. */
const refusingCode = (): Hex => {
  const selector = toFunctionSelector("Refused(uint256)").slice(2);
  // PUSH32 selector, PUSH1 0, MSTORE; PUSH1 7, PUSH1 4, MSTORE; PUSH1 36, PUSH1 0, REVERT
  return `0x7f${selector.padEnd(64, "0")}600052600760045260246000fd`;
};
/** A websocket server that opens connections and never answers a request: a node that hung. */
async function silentNode(): Promise<{ url: string; close(): void }> {
  const connections: Socket[] = [];
  const server = createServer((connection) => {
    connections.push(connection);
    connection.once("data", (handshake) => {
      const key = /sec-websocket-key: *(\S+)/i.exec(handshake.toString())?.[1];
      const accept = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
      connection.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}`,
    close: () => {
      for (const connection of connections) connection.destroy();
      server.close();
    },
  };
}

const REFUSING: Address = "0x00000000000000000000000000000000000ba5ed";

describe("pooledWebSocket", () => {
  let anvil: AnvilHandle;
  let wsUrl: string;
  const pool = (size: number): Transport =>
    pooledWebSocket(wsUrl, {
      size,
      timeout: 10_000,
      retryCount: 0,
      reconnect: { attempts: Number.MAX_SAFE_INTEGER, delay: 1_000 },
    });
  const clientOver = (transport: Transport) => createPublicClient({ transport, pollingInterval: 50 });
  const addresses = (count: number): Address[] =>
    Array.from({ length: count }, (_, index) => `0x${(index + 1).toString(16).padStart(40, "0")}` as Address);

  beforeAll(async () => {
    anvil = await startAnvil({
      chainId: 70_993,
      mnemonic: "test test test test test test test test test test test junk",
      accounts: 1,
      blockTime: 3_600,
    });
    wsUrl = anvil.rpcUrl.replace(/^http/, "ws");
    await createTestClient({ mode: "anvil", transport: webSocket(wsUrl) }).setCode({
      address: REFUSING,
      bytecode: refusingCode(),
    });
  });

  afterAll(async () => {
    // Closed on purpose, so none of them keeps reconnecting to the stopped node.
    for (const socketClient of socketClientCache.values()) socketClient.close();
    await anvil?.stop();
  });

  beforeEach(() => {
    opened.length = 0;
  });

  it("spreads concurrent requests over its sockets, one request in flight on each", async () => {
    const client = clientOver(pool(4));
    const balances = await Promise.all(addresses(8).map((address) => client.getBalance({ address })));
    expect(balances).toEqual(Array(8).fill(0n));
    // A single shared socket would show one socket with all eight in flight.
    expect(opened).toHaveLength(4);
    expect(opened.map((socket) => socket.mostInFlight)).toEqual([1, 1, 1, 1]);
    expect(opened.reduce((sent, socket) => sent + socket.sent.length, 0)).toBe(8);
  });

  it("answers two parallel calls without the ~40 ms stall of a shared socket", async () => {
    const client = clientOver(pool(2));
    const [first, second] = addresses(2) as [Address, Address];
    // eth_call rather than eth_getBalance: anvil answers two balance reads together, two calls one after the other.
    const pair = () => Promise.all([client.call({ to: first }), client.call({ to: second })]);
    await pair();
    const started = performance.now();
    for (let round = 0; round < 40; round++) await pair();
    // ~0.5 ms a pair here (~20 ms in all) against up to ~44 ms on one socket (~1.4 s in all).
    expect(performance.now() - started).toBeLessThan(400);
  });

  it("fails a reverting call with viem's own error, revert data included", async () => {
    const read = (transport: Transport) =>
      clientOver(transport)
        .readContract({ address: REFUSING, abi: revertingAbi, functionName: "check" })
        .then(
          () => expect.fail("the call should revert"),
          (error: unknown) => error,
        );
    const pooled = await read(pool(2));
    const plain = await read(webSocket(wsUrl));
    expect(pooled).toBeInstanceOf(BaseError);
    const reverted = (pooled as BaseError).walk((cause) => cause instanceof ContractFunctionRevertedError);
    expect(reverted).toBeInstanceOf(ContractFunctionRevertedError);
    expect(revertReason(pooled)).toEqual({ reason: "Refused", args: [7n] });
    expect(revertDataOf(pooled)).toBe(encodeErrorResult({ abi: revertingAbi, errorName: "Refused", args: [7n] }));
    expect((pooled as Error).constructor).toBe((plain as Error).constructor);
    expect((pooled as Error).message).toBe((plain as Error).message);
  });

  it("with one socket, sends the requests one at a time in the order they were made", async () => {
    const client = clientOver(pool(1));
    const order = addresses(5);
    await Promise.all(order.map((address) => client.getBalance({ address })));
    expect(opened).toHaveLength(1);
    expect(opened[0]?.mostInFlight).toBe(1);
    expect(opened[0]?.sent.map(({ params }) => (params as [Address])[0])).toEqual(order);
  });

  it("fails a request waiting for a socket after the timeout, as it fails one sent to a node that does not answer", async () => {
    const node = await silentNode();
    try {
      const client = clientOver(
        pooledWebSocket(node.url, { size: 1, timeout: 500, retryCount: 0, reconnect: { attempts: 0, delay: 1_000 } }),
      );
      const started = performance.now();
      const settled = (read: Promise<unknown>) =>
        read.then(
          () => expect.fail("the silent node should not answer"),
          (error: unknown) => ({ error, afterMs: performance.now() - started }),
        );
      const [sent, waiting] = await Promise.all([
        settled(client.getBalance({ address: REFUSING })),
        settled(client.getBalance({ address: REFUSING })),
      ]);
      expect(sent.error).toBeInstanceOf(TimeoutError);
      expect(waiting.error).toBeInstanceOf(TimeoutError);
      // Waiting out the first request and then its own timeout would take twice as long (1 s).
      expect(waiting.afterMs).toBeLessThan(800);
    } finally {
      node.close();
    }
  });

  it("sends no request on a socket whose last request timed out, which the node may still answer", async () => {
    const node = await silentNode();
    try {
      const client = clientOver(
        pooledWebSocket(node.url, { size: 1, timeout: 300, retryCount: 0, reconnect: { attempts: 0, delay: 1_000 } }),
      );
      for (let attempt = 0; attempt < 2; attempt++) {
        await expect(client.getBalance({ address: REFUSING })).rejects.toBeInstanceOf(TimeoutError);
      }
      // Reusing the socket would show it with both requests awaiting an answer at once.
      expect(opened.map((socket) => socket.mostInFlight)).toEqual([1, 1]);
      await vi.waitFor(() => expect(opened.map((socket) => socket.closing)).toEqual([true, true]));
    } finally {
      node.close();
    }
  });

  it("delivers subscriptions (viem's watch actions subscribe over a webSocket transport)", async () => {
    const client = clientOver(pool(2));
    const start = await client.getBlockNumber({ cacheTime: 0 });
    const announced = new Promise<bigint>((resolve, reject) => {
      const unwatch = client.watchBlockNumber({
        onBlockNumber: (blockNumber) => {
          unwatch();
          resolve(blockNumber);
        },
        onError: reject,
      });
    });
    // The subscription is open once its socket has sent eth_subscribe.
    await vi.waitFor(() => expect(opened.some((socket) => socket.sent[0]?.method === "eth_subscribe")).toBe(true));
    await createTestClient({ mode: "anvil", transport: webSocket(wsUrl) }).mine({ blocks: 1 });
    expect(await announced).toBe(start + 1n);
  });

  it("closes every socket it opened, the subscriptions' one included, without opening the unused ones", async () => {
    const transport = pooledWebSocket(wsUrl, {
      size: 4,
      timeout: 10_000,
      retryCount: 0,
      reconnect: { attempts: Number.MAX_SAFE_INTEGER, delay: 1_000 },
    });
    const client = clientOver(transport);
    await Promise.all(addresses(2).map((address) => client.getBalance({ address })));
    const unwatch = client.watchBlockNumber({ onBlockNumber: () => {} });
    await vi.waitFor(() => expect(opened.some((socket) => socket.sent[0]?.method === "eth_subscribe")).toBe(true));
    unwatch();
    expect(opened).toHaveLength(3);
    await transport.close();
    await vi.waitFor(() => expect(opened.map((socket) => socket.closed)).toEqual([true, true, true]));
    expect(opened).toHaveLength(3);
    // Closed for good (viem's reconnection does not bring them back); a later request opens a socket anew.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(opened).toHaveLength(3);
    expect(await client.getBalance({ address: REFUSING })).toBe(0n);
    expect(opened).toHaveLength(4);
  });
});
