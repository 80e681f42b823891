import { mkdir } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { CHAIN_IDS, devnetSpokeChainId } from "../../sdk/chains.ts";
import { type AnvilExit, describeExit, startAnvil } from "./anvil.ts";
import { type DevnetChain, type DevnetDeployment, writeDevnetDeployment } from "./deployment.ts";
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
  /** Stops every chain this devnet started and its reaper. Safe to call more than once. */
  stop(): Promise<void>;
}

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
    const anvil = await startAnvil({ chainId: chain.chainId, mnemonic, accounts, blockTime, tracker: reaper });
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

  return { deployment, outFile: outPath, chainExited, stop };
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
  /** Where progress and the summary go; standard output by default. */
  print?: (line: string) => void;
}

const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Starts the devnet, prints where everything is, and runs until SIGINT, SIGTERM or SIGHUP,
 * then stops every chain. Rejects if a chain dies on its own (after stopping the rest).
 */
export async function runDevnetUntilSignal(options: RunDevnetOptions = {}): Promise<void> {
  const { print = (line: string) => process.stdout.write(`${line}\n`), ...devnetOptions } = options;
  let signalReceived = false;
  let announceSignal: () => void = () => {};
  const stopRequested = new Promise<void>((resolveStop) => {
    announceSignal = resolveStop;
  });
  const onSignal = () => {
    signalReceived = true;
    announceSignal();
  };
  // Installed before startup, so a Ctrl-C during startup still stops whatever got started.
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  try {
    const devnet = await startDevnet({ ...devnetOptions, onProgress: devnetOptions.onProgress ?? print });
    if (!signalReceived) printSummary(devnet, print);
    const chainExit = await Promise.race([stopRequested.then(() => undefined), devnet.chainExited]);
    await devnet.stop();
    if (chainExit) {
      throw new Error(
        `devnet: ${chainExit.name} (${chainExit.chainId}) exited unexpectedly (${describeExit(chainExit)}); stopped the other chains`,
      );
    }
    print("devnet stopped");
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  }
}

function printSummary(devnet: Devnet, print: (line: string) => void): void {
  const { hub, spokes, accounts } = devnet.deployment;
  const chains = [hub, ...spokes];
  const nameWidth = Math.max(...chains.map((chain) => chain.name.length));
  print("devnet running:");
  for (const chain of chains) print(`  ${chain.name.padEnd(nameWidth)}  ${chain.chainId}  ${chain.rpcUrl}`);
  const relativePath = relative(process.cwd(), devnet.outFile);
  const displayPath = relativePath.startsWith("..") || isAbsolute(relativePath) ? devnet.outFile : relativePath;
  print(`accounts (${accounts.length} funded on every chain) and RPC URLs: ${displayPath}`);
  print("Ctrl-C to stop");
}
