import { type ChildProcess, spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { type BlockBatcher, startBlockBatcher } from "./block-batcher.ts";

/** Receives the pid of every anvil process as it is spawned and as it exits, e.g. to reap orphans. */
export interface ProcessTracker {
  track(pid: number): void;
  untrack(pid: number): void;
}

export interface StartAnvilOptions {
  chainId: number;
  /** Fixed port; without it a free port is picked (and another one tried if anvil loses the race for it). */
  port?: number;
  mnemonic: string;
  accounts: number;
  /**
   * Seconds between blocks of anvil's own interval mining; without `batchWindowMs` it also mines each
   * transaction at once (anvil's mixed mining).
   */
  blockTime: number;
  /**
   * Mine transactions in batches instead: a block at most this many milliseconds after a transaction arrives,
   * with every transaction that arrived meanwhile (see `startBlockBatcher`). Without it each transaction is
   * a block of its own.
   */
  batchWindowMs?: number;
  readyTimeoutMs?: number;
  tracker?: ProcessTracker;
  /** Errors of the block batcher (it carries on; the interval mining still mines every transaction). */
  onBatcherError?: (error: Error) => void;
}

export interface AnvilExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderrTail: string;
}

export interface AnvilHandle {
  chainId: number;
  rpcUrl: string;
  port: number;
  pid: number;
  /** Resolves when the process exits, whether through stop() or on its own. */
  exited: Promise<AnvilExit>;
  /** SIGTERM, then SIGKILL if the process outlives the grace period. Safe to call more than once. */
  stop(): Promise<void>;
}

const BINARY_PACKAGES: Record<string, string> = {
  "linux-x64": "@foundry-rs/anvil-linux-amd64",
  "linux-arm64": "@foundry-rs/anvil-linux-arm64",
  "darwin-x64": "@foundry-rs/anvil-darwin-amd64",
  "darwin-arm64": "@foundry-rs/anvil-darwin-arm64",
  "win32-x64": "@foundry-rs/anvil-win32-amd64",
};

const HOST = "127.0.0.1";
const PORT_ATTEMPTS = 5;
const DEFAULT_READY_TIMEOUT_MS = 15_000;
const READY_POLL_INTERVAL_MS = 50;
const STOP_GRACE_MS = 5_000;
const STDERR_TAIL_CHARS = 4_000;
/**
 * Block states kept for reads at past blocks (the Hyperlane validator checks the hook at the block it
 * ingested through): over a second of blocks at full load, several at the usual pace. A read that misses
 * its state only skips that check. Each kept state costs memory: the hub held ~1.3 GB with 256 under the bench.
 */
const HISTORY_STATES = 256;

/**
 * Path of the platform's anvil binary. We run it directly rather than through the
 * `anvil` wrapper script, because killing the wrapper leaves the chain running.
 */
export function anvilBinaryPath(): string {
  const platform = `${process.platform}-${process.arch}`;
  const packageName = BINARY_PACKAGES[platform];
  if (!packageName) {
    throw new Error(`anvil: no prebuilt binary for ${platform} (have: ${Object.keys(BINARY_PACKAGES).join(", ")})`);
  }
  let packageJsonPath: string;
  try {
    packageJsonPath = createRequire(import.meta.url).resolve(`${packageName}/package.json`);
  } catch {
    throw new Error(
      `anvil: ${packageName} is not installed (an optional dependency of @foundry-rs/anvil); run npm install`,
    );
  }
  return join(dirname(packageJsonPath), "bin", process.platform === "win32" ? "anvil.exe" : "anvil");
}

/** Starts an anvil chain and resolves once it answers `eth_chainId` with `chainId`. */
export async function startAnvil(options: StartAnvilOptions): Promise<AnvilHandle> {
  const binary = anvilBinaryPath();
  if (options.port !== undefined) return launch(binary, options.port, options);
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(binary, await findFreePort(), options);
    } catch (error) {
      // Between our probe and anvil's bind another process may take the port; only that is worth a retry.
      if (!(error instanceof PortInUseError) || attempt === PORT_ATTEMPTS) throw error;
    }
  }
}

class PortInUseError extends Error {}

async function launch(binary: string, port: number, options: StartAnvilOptions): Promise<AnvilHandle> {
  const ipcPath = options.batchWindowMs === undefined ? undefined : ipcPathFor(port);
  const args = [
    "--host",
    HOST,
    "--port",
    String(port),
    "--chain-id",
    String(options.chainId),
    "--mnemonic",
    options.mnemonic,
    "--accounts",
    String(options.accounts),
    "--block-time",
    String(options.blockTime),
    // Interval mining alone when the batcher mines the transactions; both otherwise.
    ...(ipcPath ? ["--ipc", ipcPath] : ["--mixed-mining"]),
    // Bounded history: without it each block costs more the longer the chain (a devnet under load
    // slowed several-fold within minutes). Reads at a recent block still work within this window.
    "--prune-history",
    String(HISTORY_STATES),
    "--silent",
  ];
  // Own process group: a terminal Ctrl-C reaches only our process, which then stops chains in order
  // instead of racing them to exit. Orphans are covered by the reaper, not by the process group.
  const child = spawn(binary, args, {
    stdio: ["ignore", "ignore", "pipe"],
    detached: process.platform !== "win32",
    windowsHide: true,
  });

  let stderrTail = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
  });

  let exit: AnvilExit | undefined;
  const exited = new Promise<AnvilExit>((resolve) => {
    const settle = (code: number | null, signal: NodeJS.Signals | null) => {
      if (exit) return;
      exit = { code, signal, stderrTail: stderrTail.trim() };
      if (child.pid !== undefined) options.tracker?.untrack(child.pid);
      resolve(exit);
    };
    // "close" rather than "exit": it comes after stderr is drained, so the tail is complete.
    child.once("close", settle);
    child.on("error", (error) => {
      // Without a pid the spawn itself failed (missing or non-executable binary) and no "close" may follow.
      if (child.pid !== undefined) return;
      stderrTail += error.message;
      settle(null, null);
    });
  });

  if (child.pid !== undefined) options.tracker?.track(child.pid);
  const rpcUrl = `http://${HOST}:${port}`;
  let batcher: BlockBatcher | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      batcher?.close();
      await terminate(child, exited, () => exit !== undefined);
      if (ipcPath && process.platform !== "win32") await rm(ipcPath, { force: true });
    })();
    return stopping;
  };

  try {
    await waitUntilReady(
      rpcUrl,
      options.chainId,
      options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
      exited,
      () => exit,
    );
    if (ipcPath && options.batchWindowMs !== undefined) {
      batcher = await startBlockBatcher({
        ipcPath,
        windowMs: options.batchWindowMs,
        onError: (error) => options.onBatcherError?.(error),
      });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  // `exit` is unset here, so the spawn succeeded and pid is defined.
  return { chainId: options.chainId, rpcUrl, port, pid: child.pid as number, exited, stop };
}

async function waitUntilReady(
  rpcUrl: string,
  chainId: number,
  timeoutMs: number,
  exited: Promise<AnvilExit>,
  exitSoFar: () => AnvilExit | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastAnswer = "no answer";
  for (;;) {
    const exit = exitSoFar();
    if (exit) {
      const reason = `anvil (chain ${chainId}, ${rpcUrl}) exited before it was ready (${describeExit(exit)})`;
      throw /address already in use/i.test(exit.stderrTail) ? new PortInUseError(reason) : new Error(reason);
    }
    // Racing the exit keeps a silent listener on the port from delaying the failure by a request timeout.
    const answeredChainId = await Promise.race([queryChainId(rpcUrl), exited.then(() => undefined)]);
    // A wrong id means another process answers on this port; our anvil is about to fail its bind and exit.
    if (answeredChainId === chainId && !exitSoFar()) return;
    if (answeredChainId !== undefined) lastAnswer = `answered chain id ${answeredChainId}`;
    if (Date.now() > deadline) {
      throw new Error(`anvil (chain ${chainId}) not ready at ${rpcUrl} after ${timeoutMs} ms (${lastAnswer})`);
    }
    await delay(READY_POLL_INTERVAL_MS);
  }
}

async function queryChainId(rpcUrl: string): Promise<number | undefined> {
  try {
    const response = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(1_000),
    });
    const body = (await response.json()) as { result?: unknown };
    return typeof body.result === "string" ? Number.parseInt(body.result, 16) : undefined;
  } catch {
    return undefined;
  }
}

async function terminate(child: ChildProcess, exited: Promise<AnvilExit>, hasExited: () => boolean): Promise<void> {
  if (hasExited()) return;
  child.kill("SIGTERM");
  const graceTimer = new AbortController();
  const exitedInGrace = await Promise.race([
    exited.then(() => true),
    delay(STOP_GRACE_MS, false, { signal: graceTimer.signal }).catch(() => false),
  ]);
  graceTimer.abort();
  if (!exitedInGrace) {
    child.kill("SIGKILL");
    await exited;
  }
}

/** Where a chain's IPC endpoint goes: a short path, as Unix socket paths are limited to ~100 bytes. */
function ipcPathFor(port: number): string {
  const name = `xmargin-anvil-${process.pid}-${port}.ipc`;
  return process.platform === "win32" ? `\\\\.\\pipe\\${name}` : join(tmpdir(), name);
}

export function describeExit(exit: AnvilExit): string {
  const status = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
  return exit.stderrTail ? `${status}; stderr: ${exit.stderrTail}` : status;
}

/** A port that was free a moment ago: bind port 0 on the loopback and let the OS choose. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("could not determine a free port"));
      });
    });
  });
}
