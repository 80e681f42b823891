import {
  createTransport,
  type EIP1193RequestFn,
  TimeoutError,
  type Transport,
  type WebSocketTransport,
  webSocket,
} from "viem";

export interface PooledWebSocketOptions {
  /** Sockets to the node, each carrying one request at a time. */
  size: number;
  timeout: number;
  retryCount: number;
  reconnect: { attempts: number; delay: number };
}

type PooledSocket = ReturnType<WebSocketTransport>;

/** The pooled transport, with a way to close every socket it opened (they keep a process alive otherwise). */
export type PooledWebSocketTransport = Transport<"webSocket"> & { close(): Promise<void> };

/** Sockets that carry one request at a time; a request finding every socket busy waits its turn, first come first served. */
class SocketPool {
  private readonly idle: PooledSocket[];
  private readonly waiting: ((socket: PooledSocket) => void)[] = [];

  constructor(sockets: PooledSocket[]) {
    this.idle = [...sockets];
  }

  /** A free socket, or undefined when none frees within `timeoutMs`. */
  acquire(timeoutMs: number): Promise<PooledSocket | undefined> {
    const free = this.idle.pop();
    if (free) return Promise.resolve(free);
    return new Promise((resolve) => {
      const take = (socket: PooledSocket) => {
        clearTimeout(timer);
        resolve(socket);
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(take), 1);
        resolve(undefined);
      }, timeoutMs);
      this.waiting.push(take);
    });
  }

  release(socket: PooledSocket): void {
    const next = this.waiting.shift();
    if (next) next(socket);
    else this.idle.push(socket);
  }
}

let poolsCreated = 0;

/**
 * viem's webSocket transport spread over `size` sockets to the node, none with more than one request in
 * flight: a node answering two requests on one socket holds the second answer until the first is
 * acknowledged, and the client delays that acknowledgement (Nagle against delayed ACK), so the second
 * answer arrives ~40 ms late instead of in under a millisecond. Each request still runs through viem's own
 * webSocket request (same errors, same timeout, same reconnection). Waiting for a free socket is bounded by
 * `timeout` as well: a request sent then gets its own `timeout`, and a socket whose request timed out is
 * replaced by a fresh one. Subscriptions, which viem's watch actions open on a webSocket transport, get a
 * socket of their own (opened with the first) so that notifications never sit ahead of an answer. Every
 * client made from the returned transport shares its sockets; `close` closes them for good (no
 * reconnection), and a request made afterwards opens them again.
 */
export function pooledWebSocket(url: string, options: PooledWebSocketOptions): PooledWebSocketTransport {
  const pool = poolsCreated++;
  // viem keeps one socket per JSON of (URL, keepAlive, reconnect settings) and its webSocket transport takes no
  // key of its own. A field of ours in the reconnect settings, which viem reads for nothing else, tells the
  // sockets apart without touching the URL (production URLs carry API keys and queries of their own).
  const socket = (name: string): PooledSocket => {
    const reconnect = { ...options.reconnect, pooledSocket: `${pool}/${name}` };
    return webSocket(url, { timeout: options.timeout, reconnect })({});
  };
  let requestSocketsMade = 0;
  const requestSocket = () => socket(`request-${requestSocketsMade++}`);
  const sockets = new SocketPool(Array.from({ length: options.size }, requestSocket));
  const subscriptions = socket("subscriptions");
  // viem opens a socket on its first use; closing one never used would open it first.
  const used = new Set<PooledSocket>();
  const closeSocket = async (pooled: PooledSocket) => {
    // A socket whose first connection failed has no client to close: nothing of it is left open.
    const client = await pooled.value?.getRpcClient().catch(() => undefined);
    client?.close();
  };
  // The node may still answer a request that timed out, at any time, and viem drops that answer unseen: nothing
  // tells when the socket is free again. Put back, the socket could carry the next request with the late one still
  // in flight (the stall the pool avoids); held back until a grace period ends, it could still meet a later answer,
  // and it would leave fewer sockets to the waiting requests meanwhile. Closed and replaced by a fresh socket (opened
  // on its first request), it can carry no late answer and the pool keeps its size.
  const replaceTimedOut = (timedOut: PooledSocket): PooledSocket => {
    used.delete(timedOut);
    void closeSocket(timedOut);
    return requestSocket();
  };
  const subscribe: NonNullable<PooledSocket["value"]>["subscribe"] = (parameters) => {
    used.add(subscriptions);
    return (subscriptions.value as NonNullable<PooledSocket["value"]>).subscribe(parameters);
  };
  const transport = () =>
    createTransport(
      {
        key: "pooledWebSocket",
        name: "Pooled WebSocket JSON-RPC",
        request: (async ({ method, params }) => {
          const free = await sockets.acquire(options.timeout);
          if (!free) throw new TimeoutError({ body: { method, params }, url });
          used.add(free);
          let freed = free;
          try {
            return await free.config.request({ method, params });
          } catch (error) {
            if (error instanceof TimeoutError) freed = replaceTimedOut(free);
            throw error;
          } finally {
            sockets.release(freed);
          }
        }) as EIP1193RequestFn,
        retryCount: options.retryCount,
        timeout: options.timeout,
        type: "webSocket",
      },
      { subscribe },
    );
  const close = async () => {
    const closing = [...used];
    used.clear();
    await Promise.all(closing.map(closeSocket));
  };
  return Object.assign(transport, { close });
}
