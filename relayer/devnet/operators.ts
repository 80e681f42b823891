/**
 * The devnet's relayer: N operator instances of `xmargin relayer start`, one process each with its own
 * key, store (SQLite under its data directory), API port and log file, peers of each other for the M-of-N
 * attestations. Operator 0 delivers at once; the others deliver only what is still undelivered after a
 * delay, so that the devnet keeps relaying when operator 0 is down.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { privateKeyToAddress } from "viem/accounts";
import type { RelayerConfigInput } from "../config/schema.ts";
import { findFreePort, type ProcessTracker } from "./anvil.ts";
import type { DevnetDeployment } from "./deployment.ts";
import { operatorKeys } from "./protocol.ts";

const XMARGIN_BIN = fileURLToPath(new URL("../../bin/xmargin.js", import.meta.url));
const READY_TIMEOUT_MS = 60_000;
export const OPERATOR_STOP_GRACE_MS = 10_000;
/** How long backup operator i waits (i × this) before delivering what operator 0 has not. */
export const BACKUP_DELIVERY_DELAY_MS = 5_000;
/** V8 old-space cap of each devnet operator process, in MB. */
const OPERATOR_HEAP_MB = 160;

export interface DevnetOperator {
  index: number;
  address: `0x${string}`;
  apiUrl: string;
  configFile: string;
  logFile: string;
  pid: number;
}

export interface DevnetOperators {
  operators: DevnetOperator[];
  /** Resolves when an operator exits without `stop()`: its index and how it ended. */
  exited: Promise<{ index: number; code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * SIGTERM to every instance (graceful shutdown), SIGKILL after a grace period; resolves to the indices
   * of the instances that had to be killed (none when every instance shut down by itself).
   */
  stop(): Promise<number[]>;
}

export interface StartDevnetOperatorsOptions {
  deployment: DevnetDeployment;
  deploymentFile: string;
  /** Holds each operator's config, database and log (default .xmargin/devnet). */
  dataDir?: string;
  tracker?: ProcessTracker;
  /** Each log line of the instances, parsed (pino JSON), with the operator's index. */
  onLog?: (index: number, entry: Record<string, unknown>) => void;
  /** Extra config for operator `index` (the keeper, say), merged over the generated one. */
  configFor?: (index: number) => Partial<RelayerConfigInput>;
}

/** Writes the operators' configs and starts every instance; resolves once each API answers. */
export async function startDevnetOperators(options: StartDevnetOperatorsOptions): Promise<DevnetOperators> {
  const { deployment } = options;
  const dataDir = resolve(options.dataDir ?? ".xmargin/devnet");
  const count = deployment.operators?.length ?? 0;
  const keys = operatorKeys(deployment, count);
  const ports = await Promise.all(keys.map(() => findFreePort()));
  const apiUrl = (index: number) => `http://127.0.0.1:${ports[index]}`;
  const chains = [deployment.hub, ...deployment.spokes].map((chain) => ({
    name: chain.name,
    chainId: chain.chainId,
    rpcUrl: chain.rpcUrl,
    // Anvil serves websockets on its HTTP port: each block is announced, the poll is only the fallback.
    wsUrl: chain.rpcUrl.replace(/^http/, "ws"),
    confirmations: 1,
    pollIntervalMs: 250,
  }));

  const children: ChildProcess[] = [];
  const operators: DevnetOperator[] = [];
  let stopping = false;
  let announceExit: (exit: { index: number; code: number | null; signal: NodeJS.Signals | null }) => void = () => {};
  const exited = new Promise<{ index: number; code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    announceExit = resolveExit;
  });
  const stop = async (): Promise<number[]> => {
    stopping = true;
    const killed: number[] = [];
    await Promise.all(
      children.map(async (child, index) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const gone = new Promise((done) => child.once("exit", done));
        child.kill("SIGTERM");
        const timer = setTimeout(() => {
          killed.push(index);
          child.kill("SIGKILL");
        }, OPERATOR_STOP_GRACE_MS);
        await gone;
        clearTimeout(timer);
        if (child.pid) options.tracker?.untrack(child.pid);
      }),
    );
    return killed.sort((a, b) => a - b);
  };

  try {
    for (const [index, key] of keys.entries()) {
      const operatorDir = join(dataDir, `operator-${index}`);
      // Fresh chains start at block 0: a store left by an earlier devnet would hold cursors past them.
      await rm(operatorDir, { recursive: true, force: true });
      await mkdir(operatorDir, { recursive: true });
      const config: RelayerConfigInput = {
        dataDir: operatorDir,
        api: { host: "127.0.0.1", port: ports[index] as number },
        operator: { privateKey: key },
        threshold: deployment.threshold,
        peers: keys.flatMap((peerKey, peer) =>
          peer === index ? [] : [{ url: apiUrl(peer), address: privateKeyToAddress(peerKey) }],
        ),
        chains,
        deployment: resolve(options.deploymentFile),
        // Messages to one chain from several spokes need not queue behind each other: pipeline a few.
        delivery: { delayMs: index * BACKUP_DELIVERY_DELAY_MS, concurrencyPerChain: 64 },
        ...options.configFor?.(index),
      };
      const configFile = join(operatorDir, "config.json");
      const logFile = join(operatorDir, "relayer.log");
      await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
      // node:sqlite still prints an ExperimentalWarning on Node 22; the log is for the operator's own lines.
      // A burst of deliveries allocates fast (~1 GB in 8 s on the delivering operator): left alone V8 grows
      // its heap to ~200 MB of mostly garbage and the process keeps it (RSS ~340 MB, the live heap ~70 MB);
      // capped, it collects sooner and the RSS stays near 200 MB (operator guide, "Memory").
      const nodeFlags = ["--disable-warning=ExperimentalWarning", `--max-old-space-size=${OPERATOR_HEAP_MB}`];
      const child = spawn(process.execPath, [...nodeFlags, XMARGIN_BIN, "relayer", "start", "--config", configFile], {
        stdio: ["ignore", "pipe", "pipe"],
        // The instances read their own settings from the config file, not from the devnet's environment.
        env: { ...process.env, DATABASE_URL: "", XMARGIN_OPERATOR_KEY: "", XMARGIN_API_PORT: "", XMARGIN_DATA_DIR: "" },
      });
      children.push(child);
      if (!child.pid) throw new Error(`relayer operator ${index} did not start`);
      options.tracker?.track(child.pid);
      const log = createWriteStream(logFile, { flags: "a" });
      for (const stream of [child.stdout, child.stderr]) {
        if (!stream) continue;
        createInterface({ input: stream }).on("line", (line) => {
          log.write(`${line}\n`);
          if (!options.onLog) return;
          try {
            options.onLog(index, JSON.parse(line) as Record<string, unknown>);
          } catch {
            options.onLog(index, { level: 30, msg: line });
          }
        });
      }
      child.once("exit", (code, signal) => {
        log.end();
        if (child.pid) options.tracker?.untrack(child.pid);
        if (!stopping) announceExit({ index, code, signal });
      });
      operators.push({
        index,
        address: privateKeyToAddress(key),
        apiUrl: apiUrl(index),
        configFile,
        logFile,
        pid: child.pid,
      });
    }
    await Promise.all(operators.map((operator) => waitUntilServing(operator, children[operator.index])));
  } catch (error) {
    await stop();
    throw error;
  }
  return { operators, exited, stop };
}

async function waitUntilServing(operator: DevnetOperator, child: ChildProcess | undefined): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`relayer operator ${operator.index} exited during startup; see ${operator.logFile}`);
    }
    try {
      const response = await fetch(`${operator.apiUrl}/healthz`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {}
    await delay(200);
  }
  throw new Error(
    `relayer operator ${operator.index} did not serve ${operator.apiUrl} within 60 s; see ${operator.logFile}`,
  );
}
