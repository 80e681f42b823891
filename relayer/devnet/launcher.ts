import { mkdir } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { CHAIN_IDS, devnetSpokeChainId } from "../../sdk/chains.ts";
import { type AnvilExit, describeExit, startAnvil } from "./anvil.ts";
import { type DevnetChain, type DevnetDeployment, writeDevnetDeployment } from "./deployment.ts";
import {
  accountsNeeded,
  createDevnetRelay,
  DEFAULT_OPERATORS,
  DEVNET_ACCOUNT_ROLES,
  type DevnetProtocolOptions,
  deployDevnetProtocol,
} from "./protocol.ts";
import { startReaper } from "./reaper-client.ts";
import type { ProtocolRelay, RelayedMessage, RelayFailure } from "./relay.ts";

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
  /** Deploy the protocol and run the relay (the default), or `false` for bare chains. */
  protocol?: DevnetProtocolOptions | false;
  /** Print one line per delivered message. */
  verbose?: boolean;
  /** Where progress and the summary go; standard output by default. */
  print?: (line: string) => void;
}

const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Starts the devnet, deploys the protocol and starts the relay (unless `protocol` is false), prints where
 * everything is, and runs until SIGINT, SIGTERM or SIGHUP, then stops every chain. Rejects if a chain dies
 * on its own (after stopping the rest).
 */
export async function runDevnetUntilSignal(options: RunDevnetOptions = {}): Promise<void> {
  const { print = (line: string) => process.stdout.write(`${line}\n`), protocol, verbose, ...devnetOptions } = options;
  let signalReceived = false;
  let announceSignal: () => void = () => {};
  const stopRequested = new Promise<void>((resolveStop) => {
    announceSignal = resolveStop;
  });
  const onSignal = () => {
    signalReceived = true;
    announceSignal();
  };
  const operators = protocol === false ? 0 : (protocol?.operators ?? DEFAULT_OPERATORS);
  // Installed before startup, so a Ctrl-C during startup still stops whatever got started.
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  let relay: ProtocolRelay | undefined;
  try {
    const devnet = await startDevnet({
      ...devnetOptions,
      accounts: Math.max(devnetOptions.accounts ?? 10, accountsNeeded(operators)),
      onProgress: devnetOptions.onProgress ?? print,
    });
    let deployment = devnet.deployment;
    if (protocol !== false && !signalReceived) {
      const started = Date.now();
      const deploying = deployDevnetProtocol(deployment, devnet.outFile, {
        ...protocol,
        onProgress: protocol?.onProgress ?? print,
      });
      // A chain that dies or a Ctrl-C during deployment stops everything; the deployment then fails on its own.
      const interrupted = await Promise.race([
        deploying.then(() => undefined),
        stopRequested.then(() => "stop" as const),
        devnet.chainExited.then(() => "chain" as const),
      ]).catch(async (error: unknown) => {
        await devnet.stop();
        throw error;
      });
      if (interrupted) {
        deploying.catch(() => {});
      } else {
        deployment = (await deploying).deployment;
        print(`protocol deployed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        relay = createDevnetRelay(deployment, {
          onDelivered: verbose ? (message) => print(describeDelivery(message)) : undefined,
          onFailure: (failure) => print(describeFailure(failure)),
        });
        relay.start();
      }
    }
    if (!signalReceived) printSummary({ ...devnet, deployment }, print, relay !== undefined, verbose === true);
    const chainExit = await Promise.race([stopRequested.then(() => undefined), devnet.chainExited]);
    await relay?.stop();
    await devnet.stop();
    if (chainExit) {
      throw new Error(
        `devnet: ${chainExit.name} (${chainExit.chainId}) exited unexpectedly (${describeExit(chainExit)}); stopped the other chains`,
      );
    }
    print("devnet stopped");
  } finally {
    await relay?.stop();
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  }
}

/** One line per delivered message: transport, route, message type and transport id. */
export function describeDelivery(message: RelayedMessage): string {
  const status = message.status === "delivered" ? "delivered" : "already delivered";
  const transaction = message.transactionHash ? ` tx ${message.transactionHash}` : "";
  return `relay: ${message.transport} ${message.from} → ${message.to} ${message.type} ${status} ${message.id}${transaction}`;
}

function describeFailure(failure: RelayFailure): string {
  const what = failure.message
    ? `${failure.message.transport} ${failure.message.from} → ${failure.message.to} ${failure.message.id}`
    : "a pass";
  return `relay: ${what} failed (retrying): ${failure.error.message}`;
}

function printSummary(devnet: Devnet, print: (line: string) => void, relaying: boolean, verbose: boolean): void {
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
  const relativePath = relative(process.cwd(), devnet.outFile);
  const displayPath = relativePath.startsWith("..") || isAbsolute(relativePath) ? devnet.outFile : relativePath;
  print(`accounts (${accounts.length} funded on every chain), RPC URLs and every address: ${displayPath}`);
  if (relaying) {
    const { operators = [], threshold } = devnet.deployment;
    print(
      `accounts: #${DEVNET_ACCOUNT_ROLES.deployer} deployer/owner, #${DEVNET_ACCOUNT_ROLES.trader} trader, ` +
        `#${DEVNET_ACCOUNT_ROLES.liquidator} liquidator, #${DEVNET_ACCOUNT_ROLES.keeper} keeper; ` +
        `operators (${threshold} of ${operators.length}): ${operators.join(", ")}`,
    );
    print(
      verbose
        ? "relay: running in this process; one line per delivered message below"
        : "relay: running in this process; watch messages with --verbose (one line per delivery), or the gateways' MessageDelivered events on each RPC URL",
    );
  }
  print("Ctrl-C to stop");
}
