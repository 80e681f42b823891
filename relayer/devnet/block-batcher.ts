import { connect, type Socket } from "node:net";
import { setTimeout as delay } from "node:timers/promises";

/**
 * Mines an anvil chain's transactions in batches, as a sequencer would: a block at most `windowMs` after a
 * transaction arrives, holding every transaction that arrived meanwhile. anvil's automine makes each
 * transaction a block of its own, and each block costs anvil a state root over every storage slot the chain
 * ever wrote (~1 µs per slot on a 2-core machine): under load the blocks, not the transactions, take its CPU.
 *
 * It listens to the node's pending transactions and answers with `evm_mine`, one block in flight at a time.
 * It talks to the node over its IPC socket: the same notifications over a TCP websocket arrive ~35 ms late
 * (the node's Nagle algorithm waits for our delayed ACK), which would add that much to every hop. A missed
 * notification costs only latency: the node's own interval mining still mines every transaction.
 */
export interface BlockBatcher {
  /** Stops mining; the node's interval mining carries on. Safe to call more than once. */
  close(): void;
}

export interface BlockBatcherOptions {
  /** The node's IPC endpoint (anvil --ipc): a Unix socket path, or a named pipe on Windows. */
  ipcPath: string;
  windowMs: number;
  /** Where errors go (an `evm_mine` the node refused, an unreadable message); the batcher carries on. */
  onError?: (error: Error) => void;
  /** How long to wait for the node to accept the subscription (default 5 s). */
  readyTimeoutMs?: number;
}

const SUBSCRIBE_ID = 1;
const MINE_ID = 2;
const DEFAULT_READY_TIMEOUT_MS = 5_000;
const CONNECT_RETRY_MS = 20;

export class BlockBatcherError extends Error {
  override name = "BlockBatcherError";
}

/** Connects to the node and resolves once its pending transactions are subscribed to. */
export async function startBlockBatcher(options: BlockBatcherOptions): Promise<BlockBatcher> {
  const { ipcPath, windowMs } = options;
  const reportError = options.onError ?? (() => {});
  const timeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const socket = await connectWhenListening(ipcPath, performance.now() + timeoutMs);
  // The node's lifetime, not this socket's, decides when the process may exit.
  socket.unref();
  socket.setEncoding("utf8");

  let closed = false;
  let mining = false;
  let timer: NodeJS.Timeout | undefined;
  /** When the oldest transaction not yet in a mined block was announced; undefined when none waits. */
  let oldestWaitingAt: number | undefined;

  const mine = () => {
    timer = undefined;
    if (closed) return;
    mining = true;
    oldestWaitingAt = undefined;
    socket.write(`${JSON.stringify({ jsonrpc: "2.0", id: MINE_ID, method: "evm_mine", params: [] })}\n`);
  };
  const schedule = () => {
    if (closed || mining || timer || oldestWaitingAt === undefined) return;
    timer = setTimeout(mine, Math.max(0, oldestWaitingAt + windowMs - performance.now()));
    timer.unref();
  };

  let subscribed: (() => void) | undefined;
  let failedToSubscribe: ((error: Error) => void) | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    subscribed = resolve;
    failedToSubscribe = reject;
  });

  const onMessage = (text: string) => {
    let message: { id?: number; method?: string; error?: { message?: string } };
    try {
      message = JSON.parse(text);
    } catch {
      reportError(new BlockBatcherError(`unreadable message from the node at ${ipcPath}: ${text.slice(0, 200)}`));
      return;
    }
    if (message.method === "eth_subscription") {
      oldestWaitingAt ??= performance.now();
      schedule();
    } else if (message.id === MINE_ID) {
      mining = false;
      if (message.error) reportError(new BlockBatcherError(`evm_mine refused: ${message.error.message}`));
      // Transactions announced while the block was mined wait for the next one, from their own arrival.
      schedule();
    } else if (message.id === SUBSCRIBE_ID) {
      if (message.error) {
        failedToSubscribe?.(new BlockBatcherError(`the node refused the subscription: ${message.error.message}`));
      } else subscribed?.();
    }
  };

  // The node writes one JSON message per line.
  let partial = "";
  socket.on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) if (line.trim()) onMessage(line);
  });
  socket.on("error", (error) => {
    failedToSubscribe?.(new BlockBatcherError(`lost the node at ${ipcPath}: ${error.message}`));
    if (!closed) reportError(error);
  });
  socket.on("close", () => {
    closed = true;
    if (timer) clearTimeout(timer);
    failedToSubscribe?.(new BlockBatcherError(`the node at ${ipcPath} closed the connection`));
  });

  const close = () => {
    closed = true;
    if (timer) clearTimeout(timer);
    socket.destroy();
  };
  socket.write(
    `${JSON.stringify({ jsonrpc: "2.0", id: SUBSCRIBE_ID, method: "eth_subscribe", params: ["newPendingTransactions"] })}\n`,
  );
  let readyTimer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ready,
      new Promise<never>((_, reject) => {
        readyTimer = setTimeout(
          () =>
            reject(new BlockBatcherError(`the node at ${ipcPath} did not accept the subscription in ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
  } catch (error) {
    close();
    throw error;
  } finally {
    clearTimeout(readyTimer);
  }
  return { close };
}

/**
 * The node answers HTTP a moment before its IPC endpoint exists: a connection refused or a missing socket
 * file is retried until `deadline` (a `performance.now()` time).
 */
async function connectWhenListening(ipcPath: string, deadline: number): Promise<Socket> {
  for (;;) {
    const socket = connect(ipcPath);
    const outcome = await new Promise<Error | undefined>((resolve) => {
      socket.once("connect", () => resolve(undefined));
      socket.once("error", resolve);
    });
    if (!outcome) return socket;
    socket.destroy();
    const code = (outcome as NodeJS.ErrnoException).code;
    if ((code !== "ENOENT" && code !== "ECONNREFUSED") || performance.now() > deadline) {
      throw new BlockBatcherError(`cannot reach the node at ${ipcPath}: ${outcome.message}`);
    }
    await delay(CONNECT_RETRY_MS);
  }
}
