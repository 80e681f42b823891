/**
 * The bench's devnet: anvil hub + three spokes whose routes to the hub are LayerZero, Hyperlane and dual,
 * the whole protocol deployed, and the relayer service as the devnet runs it (N `xmargin relayer start`
 * processes). Around it: senders that sign before they time a transaction, and an observer that
 * timestamps the destination's "applied" events the moment the node pushes them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Address,
  createPublicClient,
  decodeEventLog,
  encodeFunctionData,
  type Hex,
  type Log,
  parseEther,
  parseUnits,
  type TransactionReceipt,
  webSocket,
} from "viem";
import type { RelayerConfigInput } from "../../relayer/config/schema.ts";
import type { ProcessTracker } from "../../relayer/devnet/anvil.ts";
import type { DevnetDeployment } from "../../relayer/devnet/deployment.ts";
import { type Devnet, startDevnet } from "../../relayer/devnet/launcher.ts";
import { type DevnetOperators, startDevnetOperators } from "../../relayer/devnet/operators.ts";
import {
  accountsNeeded,
  type DevnetChainClients,
  deployDevnetProtocol,
  devnetChainClients,
} from "../../relayer/devnet/protocol.ts";
import { operatorAccount } from "../../relayer/engine/secp256k1.ts";
import type { ProtocolDeployment, TransportRoute } from "../../relayer/infra/protocol.ts";
import { testTokenAbi } from "../../relayer/infra/protocol-abi.ts";
import { collateralVaultAbi, marginEngineAbi } from "../../sdk/abi/index.ts";

export const BENCH_ROUTES = { spokeA: "layerzero", spokeB: "hyperlane", spokeC: "dual" } as const satisfies Record<
  string,
  TransportRoute
>;
export type BenchSpoke = keyof typeof BENCH_ROUTES;
export const BENCH_SPOKES = Object.keys(BENCH_ROUTES) as BenchSpoke[];
export const OPERATORS = 3;
export const THRESHOLD = 2;
/** Funded accounts before the bench's own: roles 0–4, operators 5–7. */
export const FIRST_BENCH_ACCOUNT = accountsNeeded(OPERATORS);

/**
 * The bench's clock in epoch ms: monotonic within the process (performance.now) and comparable with the
 * relayer's own timestamps (discoveredAt, deliveredAt), which come from the same system clock.
 */
export const now = (): number => performance.timeOrigin + performance.now();

export const usdc = (amount: string) => parseUnits(amount, 6);
/** Messaging fees are quoted on chain; these overpay them and the contracts refund the rest. */
export const DEPOSIT_FEE = parseEther("0.01");
export const COMMAND_FEE = parseEther("0.05");
export const LIQUIDATION_FEE = parseEther("0.1");

/** The bench's chains with the protocol deployed, and no relayer: what `startBenchDevnet` builds on. */
export interface BenchChains {
  deployment: DevnetDeployment;
  protocol: ProtocolDeployment;
  chains: ReadonlyMap<string, DevnetChainClients>;
  /** Funded account `index` (0-based, anvil's derivation order). */
  account(index: number): { address: Address; privateKey: Hex };
  spoke(name: BenchSpoke): ProtocolDeployment["spokes"][number];
  chain(name: string): DevnetChainClients;
  /** Where the devnet's files (and the operators' data) go; removed by `stop` unless XMARGIN_BENCH_KEEP is set. */
  dataDir: string;
  /** The deployment file the operators read. */
  deploymentFile: string;
  /** Kills what it tracks if the bench dies: the operators join the chains there. */
  tracker: ProcessTracker;
  stop(): Promise<void>;
}

export interface BenchDevnet extends BenchChains {
  operators: DevnetOperators;
  observer: AppliedObserver;
  /** The relayer config each operator runs with (the devnet's, plus the bench's overrides). */
  relayerConfig: Partial<RelayerConfigInput>;
}

/** How the bench's chains mine: `DevnetOptions.batchWindowMs` (the devnet's default unless given). */
export interface BenchMining {
  batchWindowMs?: number | "off";
}

export async function startBenchChains(
  options: {
    /** Funded accounts the bench uses beyond the devnet's roles and operators. */
    benchAccounts: number;
    onProgress: (message: string) => void;
  } & BenchMining,
): Promise<BenchChains> {
  const dataDir = mkdtempSync(join(tmpdir(), "xmargin-bench-"));
  let devnet: Devnet | undefined;
  const stop = async () => {
    await devnet?.stop();
    // XMARGIN_BENCH_KEEP=1 keeps the operators' logs and stores for a look after the run.
    if (process.env.XMARGIN_BENCH_KEEP) console.log(`kept the devnet's operator data in ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    options.onProgress(`starting anvil hub + ${BENCH_SPOKES.length} spokes`);
    devnet = await startDevnet({
      spokes: BENCH_SPOKES.length,
      accounts: FIRST_BENCH_ACCOUNT + options.benchAccounts,
      outFile: join(dataDir, "devnet.json"),
      ...(options.batchWindowMs === undefined ? {} : { batchWindowMs: options.batchWindowMs }),
    });
    options.onProgress("deploying the protocol (both transport stacks, routers, hub, vaults)");
    const { deployment, protocol } = await deployDevnetProtocol(devnet.deployment, devnet.outFile, {
      operators: OPERATORS,
      threshold: THRESHOLD,
      routes: BENCH_ROUTES,
    });
    const chains = new Map(
      [deployment.hub, ...deployment.spokes].map((chain) => [chain.name, devnetChainClients(chain)]),
    );
    return {
      deployment,
      protocol,
      chains,
      dataDir,
      deploymentFile: devnet.outFile,
      tracker: devnet.tracker,
      account: (index) => {
        const account = deployment.accounts[index];
        if (!account) throw new Error(`the devnet funds ${deployment.accounts.length} accounts, not #${index}`);
        return { address: account.address as Address, privateKey: account.privateKey as Hex };
      },
      spoke: (name) => {
        const record = protocol.spokes.find((spoke) => spoke.name === name);
        if (!record) throw new Error(`no ${name}`);
        return record;
      },
      chain: (name) => {
        const found = chains.get(name);
        if (!found) throw new Error(`no chain ${name}`);
        return found;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export async function startBenchDevnet(
  options: {
    /** Funded accounts the bench uses beyond the devnet's roles and operators. */
    benchAccounts: number;
    onProgress: (message: string) => void;
    /** Per-operator config overrides (poll intervals, batch sizes); none by default. */
    relayerConfig?: Partial<RelayerConfigInput>;
  } & BenchMining,
): Promise<BenchDevnet> {
  const chains = await startBenchChains(options);
  let operators: DevnetOperators | undefined;
  let observer: AppliedObserver | undefined;
  const stop = async () => {
    await observer?.close();
    await operators?.stop();
    await chains.stop();
  };
  try {
    options.onProgress(`starting ${OPERATORS} relayer operator processes`);
    const relayerConfig = options.relayerConfig ?? {};
    operators = await startDevnetOperators({
      deployment: chains.deployment,
      deploymentFile: chains.deploymentFile,
      dataDir: join(chains.dataDir, "operators"),
      tracker: chains.tracker,
      configFor: () => relayerConfig,
    });
    observer = await AppliedObserver.start(chains.deployment, chains.protocol);
    return { ...chains, operators, observer, relayerConfig, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface SentTransaction {
  hash: Hex;
  /** `now()` right before the signed transaction went to the node. */
  sentAt: number;
  receipt: TransactionReceipt;
}

/**
 * One account on one chain, sending transactions it signed beforehand: the clock starts at
 * `eth_sendRawTransaction`, not at gas estimation or nonce lookup. Sends of one account are serialized
 * (nonce order); different accounts send in parallel.
 */
export class Sender {
  private nonce: number | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  readonly address: Address;
  private readonly account;

  constructor(
    readonly chain: DevnetChainClients,
    privateKey: Hex,
  ) {
    // The relayer's signer (libsecp256k1): viem's JavaScript one cost the traders ~1 ms of CPU per transaction,
    // taken from the system the bench measures.
    this.account = operatorAccount(privateKey);
    this.address = this.account.address;
  }

  send(request: { to: Address; data: Hex; value?: bigint; gas: bigint }): Promise<SentTransaction> {
    const sent = this.queue.then(() => this.sendNow(request));
    this.queue = sent.catch(() => {});
    return sent;
  }

  private async sendNow(request: { to: Address; data: Hex; value?: bigint; gas: bigint }): Promise<SentTransaction> {
    const { publicClient, chainId } = this.chain;
    this.nonce ??= await publicClient.getTransactionCount({ address: this.address, blockTag: "pending" });
    const serializedTransaction = await this.account.signTransaction({
      chainId,
      type: "eip1559",
      to: request.to,
      data: request.data,
      value: request.value ?? 0n,
      gas: request.gas,
      nonce: this.nonce,
      // Far above the base fee: the bench's blocks stay under the gas target, so it only falls from its 1 gwei start.
      maxFeePerGas: parseUnits("20", 9),
      maxPriorityFeePerGas: 1n,
    });
    const sentAt = now();
    // EIP-7966: the node answers with the receipt once the transaction is mined, in one round trip (the load
    // generator's CPU is taken from the system it measures).
    const receipt = await publicClient.sendRawTransactionSync({ serializedTransaction });
    this.nonce += 1;
    const hash = receipt.transactionHash;
    if (receipt.status !== "success") throw new Error(`transaction ${hash} on ${this.chain.name} reverted`);
    return { hash, sentAt, receipt };
  }
}

/** The logs of `abi` that `address` emitted in a receipt, decoded. */
export function eventsIn<const abi extends readonly unknown[]>(
  receipt: TransactionReceipt,
  address: Address,
  abi: abi,
): ReturnType<typeof decodeEventLog<abi>>[] {
  return receipt.logs.flatMap((log: Log) => {
    if (log.address.toLowerCase() !== address.toLowerCase()) return [];
    try {
      return [decodeEventLog({ abi, data: log.data, topics: log.topics })];
    } catch {
      return [];
    }
  });
}

export const reportKey = (account: Address, chainId: number | bigint, seq: number | bigint) =>
  `report:${chainId}:${account.toLowerCase()}:${seq}`;
export const commandKey = (account: Address, chainId: number | bigint, nonce: number | bigint) =>
  `command:${chainId}:${account.toLowerCase()}:${nonce}`;

/**
 * Timestamps what the destinations applied, as the nodes push it over websocket subscriptions
 * (eth_subscribe logs): the hub's BalanceReportApplied (a deposit credited; a report applied with seq s
 * also settles every earlier seq of that account and chain, which the engine ignores if it comes later)
 * and each vault's CommandExecuted (a Release paid, a Seize applied).
 */
export class AppliedObserver {
  private readonly arrivals = new Map<string, number>();
  private readonly waiters = new Map<string, ((at: number) => void)[]>();
  private readonly highestSeq = new Map<string, bigint>();
  private readonly unsubscribes: (() => void)[] = [];
  private readonly closers: (() => Promise<void>)[] = [];
  /** Subscription errors: a dropped socket would silently stop the clock, so they fail the wait. */
  readonly errors: Error[] = [];

  private constructor() {}

  static async start(deployment: DevnetDeployment, protocol: ProtocolDeployment): Promise<AppliedObserver> {
    const observer = new AppliedObserver();
    const clientFor = (rpcUrl: string) => {
      const transport = webSocket(rpcUrl.replace(/^http/, "ws"));
      const client = createPublicClient({ transport });
      observer.closers.push(async () => (await client.transport.getRpcClient()).close());
      return client;
    };
    const onError = (error: Error) => observer.errors.push(error);
    observer.unsubscribes.push(
      clientFor(deployment.hub.rpcUrl).watchContractEvent({
        address: protocol.hub.contracts.engine,
        abi: marginEngineAbi,
        eventName: "BalanceReportApplied",
        poll: false,
        onError,
        onLogs: (logs) => {
          const at = now();
          for (const log of logs) {
            const { account, chainId, seq } = log.args;
            if (account === undefined || chainId === undefined || seq === undefined) continue;
            observer.reportApplied(account, chainId, BigInt(seq), at);
          }
        },
      }),
    );
    for (const spoke of protocol.spokes) {
      const chain = deployment.spokes.find((candidate) => candidate.name === spoke.name);
      if (!chain) throw new Error(`no devnet chain for ${spoke.name}`);
      observer.unsubscribes.push(
        clientFor(chain.rpcUrl).watchContractEvent({
          address: spoke.contracts.vault,
          abi: collateralVaultAbi,
          eventName: "CommandExecuted",
          poll: false,
          onError,
          onLogs: (logs) => {
            const at = now();
            for (const log of logs) {
              const { account, cmdNonce } = log.args;
              if (account === undefined || cmdNonce === undefined) continue;
              observer.record(commandKey(account, spoke.chainId, cmdNonce), at);
            }
          },
        }),
      );
    }
    // eth_subscribe is answered asynchronously: a moment for every subscription to be in place.
    await new Promise((resolve) => setTimeout(resolve, 500));
    return observer;
  }

  private reportApplied(account: Address, chainId: bigint, seq: bigint, at: number): void {
    const stream = `${chainId}:${account.toLowerCase()}`;
    const from = (this.highestSeq.get(stream) ?? 0n) + 1n;
    for (let earlier = from; earlier <= seq; earlier++) this.record(reportKey(account, chainId, earlier), at);
    if (seq >= from) this.highestSeq.set(stream, seq);
  }

  private record(key: string, at: number): void {
    if (this.arrivals.has(key)) return;
    this.arrivals.set(key, at);
    for (const resolve of this.waiters.get(key) ?? []) resolve(at);
    this.waiters.delete(key);
  }

  /** When `key` was applied: at once if it already was, else when it is; rejects after `timeoutMs`. */
  arrival(key: string, timeoutMs: number): Promise<number> {
    const known = this.arrivals.get(key);
    if (known !== undefined) return Promise.resolve(known);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = this.errors[0];
        reject(
          new Error(
            `${key} not applied within ${timeoutMs} ms${error ? ` (subscription error: ${error.message})` : ""}`,
          ),
        );
      }, timeoutMs);
      const waiters = this.waiters.get(key) ?? [];
      waiters.push((at) => {
        clearTimeout(timer);
        resolve(at);
      });
      this.waiters.set(key, waiters);
    });
  }

  async close(): Promise<void> {
    for (const unsubscribe of this.unsubscribes) unsubscribe();
    await Promise.all(this.closers.map((close) => close().catch(() => {})));
  }
}

// ---------------------------------------------------------------------------------------------- calls

export const call = {
  mint: (to: Address, amount: bigint) =>
    encodeFunctionData({ abi: testTokenAbi, functionName: "mint", args: [to, amount] }),
  approve: (spender: Address) =>
    encodeFunctionData({ abi: testTokenAbi, functionName: "approve", args: [spender, 2n ** 256n - 1n] }),
  deposit: (token: Address, amount: bigint) =>
    encodeFunctionData({ abi: collateralVaultAbi, functionName: "deposit", args: [token, amount, true] }),
  requestRelease: (chainId: number, token: Address, amount: bigint, to: Address) =>
    encodeFunctionData({
      abi: marginEngineAbi,
      functionName: "requestRelease",
      args: [BigInt(chainId), token, amount, to],
    }),
  trade: (marketId: bigint, size: bigint) =>
    encodeFunctionData({ abi: marginEngineAbi, functionName: "trade", args: [marketId, size, 0n] }),
  liquidatePerp: (account: Address, marketId: bigint) =>
    encodeFunctionData({ abi: marginEngineAbi, functionName: "liquidatePerp", args: [account, marketId] }),
  liquidateCollateral: (account: Address, chainId: number, token: Address) =>
    encodeFunctionData({
      abi: marginEngineAbi,
      functionName: "liquidateCollateral",
      args: [account, BigInt(chainId), token, 0n],
    }),
};

/** Gas limits: generous fixed values, so nothing is estimated on the timed path (unused gas is not charged). */
export const GAS = {
  token: 200_000n,
  deposit: 1_500_000n,
  command: 2_000_000n,
  trade: 3_000_000n,
  liquidation: 4_000_000n,
  priceFeed: 200_000n,
} as const;
