import { mkdir } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { toHex } from "viem";
import { mnemonicToAccount, privateKeyToAddress } from "viem/accounts";
import { CHAIN_IDS, devnetSpokeChainId } from "../../sdk/chains.ts";
import { parseDeployment } from "../../sdk/deployments.ts";
import { fundDevnetKeeper } from "../keeper/index.ts";
import { type AnvilExit, describeExit, type ProcessTracker, startAnvil } from "./anvil.ts";
import { type DevnetChain, type DevnetDeployment, writeDevnetDeployment } from "./deployment.ts";
import { type DevnetOperators, OPERATOR_STOP_GRACE_MS, startDevnetOperators } from "./operators.ts";
import {
  accountsNeeded,
  DEFAULT_OPERATORS,
  DEVNET_ACCOUNT_ROLES,
  type DevnetProtocolOptions,
  deployDevnetProtocol,
  devnetChainClients,
} from "./protocol.ts";
import { startReaper } from "./reaper-client.ts";

export const DEFAULT_DEVNET_MNEMONIC = "test test test test test test test test test test test junk";

export interface DevnetOptions {
  /** Number of spoke chains besides the hub. */
  spokes?: number;
  mnemonic?: string;
  /** Funded accounts per chain, derived from the mnemonic. */
  accounts?: number;
  /** Where the deployments JSON goes, relative to the working directory unless absolute. */
  outFile?: string;
  /** Seconds between empty blocks, so that watchers waiting for confirmations make progress. */
  blockTime?: number;
  /**
   * Milliseconds a transaction waits at most for others to share its block (default
   * DEFAULT_BATCH_WINDOW_MS); "off" makes every transaction a block of its own (anvil's automine). A test that
   * switches a chain's mining itself (evm_setAutomine) wants "off": the batcher would mine blocks of its own.
   */
  batchWindowMs?: number | "off";
  onProgress?: (message: string) => void;
}

export interface DevnetChainExit extends AnvilExit {
  name: string;
  chainId: number;
}

export interface Devnet {
  deployment: DevnetDeployment;
  /** Absolute path of the deployments JSON. */
  outFile: string;
  /** Resolves if a chain exits without stop() having been called: it crashed or was killed. */
  chainExited: Promise<DevnetChainExit>;
  /** Kills what it tracks if this process dies: other processes the devnet starts (relayers) register here. */
  tracker: ProcessTracker;
  /** Stops every chain this devnet started and its reaper. Safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * How long a devnet transaction waits at most for others to share its block, beyond the block being mined.
 * Blocks rather than transactions take anvil's CPU under load (each recomputes the state root over every slot
 * the chain holds): batched, the bench's chains mined ~0.45 blocks per message instead of ~1.2 and anvil spent
 * a third less CPU, with no measurable latency added; waiting 1 or 3 ms more batched no more (README,
 * Performance).
 */
export const DEFAULT_BATCH_WINDOW_MS = 0;

/** spokeA … spokeZ, then spoke27, spoke28, … */
export function devnetSpokeName(index: number): string {
  return index < 26 ? `spoke${String.fromCharCode("A".charCodeAt(0) + index)}` : `spoke${index + 1}`;
}

/** Starts the hub and the spokes as anvil chains in parallel and writes the deployments JSON. */
export async function startDevnet(options: DevnetOptions = {}): Promise<Devnet> {
  const {
    spokes = 2,
    mnemonic = DEFAULT_DEVNET_MNEMONIC,
    accounts = 10,
    outFile = "deployments/devnet.json",
    blockTime = 0.25,
    batchWindowMs = DEFAULT_BATCH_WINDOW_MS,
    onProgress = () => {},
  } = options;
  if (!Number.isInteger(spokes) || spokes < 1) {
    throw new Error(`devnet: spokes must be a positive integer, got ${spokes}`);
  }
  if (!Number.isInteger(accounts) || accounts < 1) {
    throw new Error(`devnet: accounts must be a positive integer, got ${accounts}`);
  }
  const outPath = resolve(outFile);
  // Before any process exists, so that a bad mnemonic fails without anything to clean up.
  const fundedAccounts = deriveAccounts(mnemonic, accounts);
  const spokeChains = Array.from({ length: spokes }, (_, index) => ({
    name: devnetSpokeName(index),
    chainId: devnetSpokeChainId(index),
  }));

  const reaper = await startReaper();
  const launchChain = async (chain: { name: string; chainId: number }) => {
    onProgress(`starting ${chain.name} (${chain.chainId})…`);
    const anvil = await startAnvil({
      chainId: chain.chainId,
      mnemonic,
      accounts,
      blockTime,
      ...(batchWindowMs === "off" ? {} : { batchWindowMs }),
      onBatcherError: (error) => onProgress(`${chain.name}: block batcher: ${error.message}`),
      tracker: reaper,
    });
    onProgress(`${chain.name} ready at ${anvil.rpcUrl}`);
    return { ...chain, rpcUrl: anvil.rpcUrl, anvil };
  };
  const hubLaunch = launchChain({ name: "hub", chainId: CHAIN_IDS.hub });
  const spokeLaunches = spokeChains.map(launchChain);
  const launches = await Promise.allSettled([hubLaunch, ...spokeLaunches]);
  const started = launches.flatMap((launch) => (launch.status === "fulfilled" ? [launch.value] : []));

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await Promise.all(started.map(({ anvil }) => anvil.stop()));
      await reaper.close();
    })();
    return stopping;
  };

  const failedLaunch = launches.find((launch): launch is PromiseRejectedResult => launch.status === "rejected");
  if (failedLaunch) {
    await stop();
    throw failedLaunch.reason;
  }

  const withoutHandle = ({ name, chainId, rpcUrl }: DevnetChain) => ({ name, chainId, rpcUrl });
  const deployment: DevnetDeployment = {
    network: "devnet",
    mnemonic,
    hub: { ...withoutHandle(await hubLaunch), name: "hub" },
    spokes: (await Promise.all(spokeLaunches)).map(withoutHandle),
    accounts: fundedAccounts,
    processes: started.map(({ chainId, anvil }) => ({ chainId, pid: anvil.pid })),
    startedAt: new Date().toISOString(),
  };
  try {
    await mkdir(dirname(outPath), { recursive: true });
    await writeDevnetDeployment(outPath, deployment);
  } catch (error) {
    await stop();
    throw error;
  }

  const chainExited = new Promise<DevnetChainExit>((resolveExit) => {
    for (const { name, chainId, anvil } of started) {
      void anvil.exited.then((exit) => {
        if (!stopping) resolveExit({ ...exit, name, chainId });
      });
    }
  });

  return { deployment, outFile: outPath, chainExited, tracker: reaper, stop };
}

function deriveAccounts(mnemonic: string, count: number): DevnetDeployment["accounts"] {
  return Array.from({ length: count }, (_, addressIndex) => {
    // Same path as anvil (m/44'/60'/0'/0/i), so these are exactly the accounts anvil funds.
    const account = mnemonicToAccount(mnemonic, { addressIndex });
    const privateKey = account.getHdKey().privateKey;
    if (!privateKey) throw new Error(`devnet: no private key derived for account ${addressIndex}`);
    return { address: account.address, privateKey: toHex(privateKey) };
  });
}

export interface RunDevnetOptions extends DevnetOptions {
  /** Deploy the protocol and run the relayer operators (the default), or `false` for bare chains. */
  protocol?: DevnetProtocolOptions | false;
  /** Print one line per delivered message. */
  verbose?: boolean;
  /** Where progress and the summary go; standard output by default. */
  print?: (line: string) => void;
  /** The operators' configs, databases and logs (default .xmargin/devnet). */
  dataDir?: string;
  /**
   * How the devnet moves its mock price feeds (operator 0's keeper role does it): a price path file or a
   * seeded random walk; without it prices stay where the deployment put them until `xmargin price` moves them.
   */
  prices?: { file: string } | { randomWalk: { seed: number; volatility: number }; intervalMs?: number };
}

const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Starts the devnet, deploys the protocol and starts the N relayer operator instances (unless `protocol`
 * is false), prints where everything is, and runs until SIGINT, SIGTERM or SIGHUP, then stops the
 * operators and every chain. Rejects if a chain or an operator dies on its own (after stopping the rest).
 */
export async function runDevnetUntilSignal(options: RunDevnetOptions = {}): Promise<void> {
  const {
    print = (line: string) => process.stdout.write(`${line}\n`),
    protocol,
    verbose,
    dataDir,
    prices,
    ...devnetOptions
  } = options;
  let signalReceived = false;
  let announceSignal: () => void = () => {};
  const stopRequested = new Promise<void>((resolveStop) => {
    announceSignal = resolveStop;
  });
  const onSignal = () => {
    signalReceived = true;
    announceSignal();
  };
  const operatorCount = protocol === false ? 0 : (protocol?.operators ?? DEFAULT_OPERATORS);
  // Installed before startup, so a Ctrl-C during startup still stops whatever got started.
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  let operators: DevnetOperators | undefined;
  try {
    const devnet = await startDevnet({
      ...devnetOptions,
      accounts: Math.max(devnetOptions.accounts ?? 10, accountsNeeded(operatorCount)),
      onProgress: devnetOptions.onProgress ?? print,
    });
    let deployment = devnet.deployment;
    // A chain that dies or a Ctrl-C during a startup step stops everything; the step then fails on its own.
    // `undo` cleans up after a step that finishes after all (e.g. operators that started anyway).
    const unlessInterrupted = async <T>(
      step: Promise<T>,
      undo?: (finished: T) => Promise<unknown>,
    ): Promise<T | undefined> => {
      const interrupted = await Promise.race([
        step.then(() => undefined),
        stopRequested.then(() => "stop" as const),
        devnet.chainExited.then(() => "chain" as const),
      ]).catch(async (error: unknown) => {
        await devnet.stop();
        throw error;
      });
      if (!interrupted) return step;
      step.then(
        (finished) => undo?.(finished),
        () => {},
      );
      return undefined;
    };
    if (protocol !== false && !signalReceived) {
      const started = Date.now();
      const deployed = await unlessInterrupted(
        deployDevnetProtocol(deployment, devnet.outFile, { ...protocol, onProgress: protocol?.onProgress ?? print }),
      );
      if (deployed) {
        deployment = deployed.deployment;
        print(`protocol deployed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        const keeperKey = await fundDevnetKeeperAccount(deployment);
        print(`starting ${operatorCount} relayer operator instances (operator 0 also runs the keeper)…`);
        operators = await unlessInterrupted(
          startDevnetOperators({
            deployment,
            deploymentFile: devnet.outFile,
            ...(dataDir ? { dataDir } : {}),
            tracker: devnet.tracker,
            configFor: (index) =>
              index === 0
                ? {
                    keeper: {
                      enabled: true,
                      privateKey: keeperKey,
                      ...(prices
                        ? {
                            prices: {
                              ...prices,
                              privateKey: deployment.accounts[DEVNET_ACCOUNT_ROLES.priceMover]?.privateKey,
                            },
                          }
                        : {}),
                    },
                  }
                : {},
            onLog: (index, entry) => {
              const line = describeOperatorLog(index, entry, verbose === true);
              if (line) print(line);
            },
          }),
          (started) => started.stop(),
        );
      }
    }
    if (!signalReceived) printSummary({ ...devnet, deployment }, print, operators, verbose === true);
    const crash = await Promise.race([
      stopRequested.then(() => undefined),
      devnet.chainExited.then((exit) => `${exit.name} (${exit.chainId}) exited unexpectedly (${describeExit(exit)})`),
      ...(operators
        ? [
            operators.exited.then(
              (exit) =>
                `relayer operator ${exit.index} exited unexpectedly (${exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`}; log: ${operators?.operators[exit.index]?.logFile})`,
            ),
          ]
        : []),
    ]);
    const killed = (await operators?.stop()) ?? [];
    for (const index of killed) {
      print(
        `relayer operator ${index} did not stop within ${OPERATOR_STOP_GRACE_MS / 1000} s of SIGTERM: killed (log: ${operators?.operators[index]?.logFile})`,
      );
    }
    await devnet.stop();
    if (crash) throw new Error(`devnet: ${crash}; stopped everything else`);
    print("devnet stopped");
  } finally {
    await operators?.stop();
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  }
}

/** Mints the keeper account's settle tokens (it repays debt in collateral liquidations); returns its key. */
async function fundDevnetKeeperAccount(deployment: DevnetDeployment): Promise<`0x${string}`> {
  const keeperKey = deployment.accounts[DEVNET_ACCOUNT_ROLES.keeper]?.privateKey as `0x${string}`;
  const hub = devnetChainClients(deployment.hub);
  await fundDevnetKeeper(hub.walletFor(keeperKey), parseDeployment(deployment), privateKeyToAddress(keeperKey));
  return keeperKey;
}

/**
 * What the devnet's terminal shows of the operators' logs: errors always, failed delivery attempts of the
 * primary (operator 0), the keeper's actions, and with `verbose` one line per delivered message and price step.
 */
export function describeOperatorLog(
  index: number,
  entry: Record<string, unknown>,
  verbose: boolean,
): string | undefined {
  const level = typeof entry.level === "number" ? entry.level : 30;
  const message = String(entry.msg ?? "");
  if (entry.msg === "delivered" && entry.module === "delivery") {
    if (!verbose) return undefined;
    const status = entry.status === "delivered" ? "delivered" : "already delivered";
    const transaction = entry.tx ? ` tx ${entry.tx}` : "";
    return `operator ${index}: ${entry.transport} ${entry.from} → ${entry.to} ${entry.type} ${status} ${entry.id} in ${entry.latencyMs} ms${transaction}`;
  }
  const keeperRole = entry.module === "keeper" || entry.module === "price-mover";
  if (level >= 50 || (level >= 40 && index === 0 && entry.module === "delivery") || (keeperRole && level >= 40)) {
    return `operator ${index}: ${message}`;
  }
  // Liquidations and Locks always; each price step only with `verbose`.
  if (entry.module === "keeper" || (verbose && entry.module === "price-mover")) return `${entry.module}: ${message}`;
  return undefined;
}

/** Relative to the working directory when inside it, else absolute. */
function displayPath(path: string): string {
  const relativePath = relative(process.cwd(), path);
  return relativePath.startsWith("..") || isAbsolute(relativePath) ? path : relativePath;
}

function printSummary(
  devnet: Devnet,
  print: (line: string) => void,
  operators: DevnetOperators | undefined,
  verbose: boolean,
): void {
  const { hub, spokes, accounts } = devnet.deployment;
  const chains = [hub, ...spokes];
  const nameWidth = Math.max(...chains.map((chain) => chain.name.length));
  print("devnet running:");
  const line = (chain: DevnetChain, deployed: string) =>
    print(`  ${chain.name.padEnd(nameWidth)}  ${chain.chainId}  ${chain.rpcUrl}${deployed}`);
  line(hub, hub.contracts ? `  engine ${hub.contracts.engine}` : "");
  for (const spoke of spokes) {
    const route = devnet.deployment.routes?.[spoke.name];
    line(spoke, spoke.contracts ? `  vault ${spoke.contracts.vault}  route to the hub: ${route}` : "");
  }
  print(
    `accounts (${accounts.length} funded on every chain), RPC URLs and every address: ${displayPath(devnet.outFile)}`,
  );
  if (operators) {
    const { threshold } = devnet.deployment;
    print(
      `accounts: #${DEVNET_ACCOUNT_ROLES.deployer} deployer/owner, #${DEVNET_ACCOUNT_ROLES.trader} trader, ` +
        `#${DEVNET_ACCOUNT_ROLES.liquidator} liquidator, #${DEVNET_ACCOUNT_ROLES.keeper} keeper, ` +
        `#${DEVNET_ACCOUNT_ROLES.priceMover} price mover`,
    );
    print(
      `relayer: ${operators.operators.length} operator instances, ${threshold} of ${operators.operators.length} signatures per message`,
    );
    for (const operator of operators.operators) {
      print(
        `  operator ${operator.index}  ${operator.address}  API ${operator.apiUrl}  log ${displayPath(operator.logFile)}`,
      );
    }
    const [primary] = operators.operators;
    print(
      `relayer API: ${primary?.apiUrl} (messages: ${primary?.apiUrl}/v1/messages, health: ${primary?.apiUrl}/healthz, docs: ${primary?.apiUrl}/docs)`,
    );
    print(
      verbose
        ? "one line per delivered message below"
        : "watch messages with --verbose (one line per delivery) or the API's /v1/messages",
    );
  }
  print("Ctrl-C to stop");
}
