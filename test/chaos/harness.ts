/**
 * The chaos suite's devnet: anvil chains, the protocol, and N real `xmargin relayer start` processes that a
 * scenario can kill with SIGKILL and start again on the same config and store; traders that generate
 * cross-chain traffic; and the checks every scenario ends with (each message applied exactly once, vault
 * balances backed by account totals, the hub ledger equal to the spokes' last reports).
 */
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import {
  type Account,
  type Address,
  type Chain,
  createNonceManager,
  createWalletClient,
  type Hex,
  http,
  keccak256,
  maxUint256,
  type NonceManager,
  parseAbi,
  parseEther,
  parseUnits,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { jsonRpc } from "viem/nonce";
import type { RelayerConfigInput } from "../../relayer/config/schema.ts";
import { findFreePort, type ProcessTracker } from "../../relayer/devnet/anvil.ts";
import type { DevnetDeployment } from "../../relayer/devnet/deployment.ts";
import { type Devnet, startDevnet } from "../../relayer/devnet/launcher.ts";
import { type DevnetOperators, startDevnetOperators } from "../../relayer/devnet/operators.ts";
import {
  accountsNeeded,
  type DevnetChainClients,
  deployDevnetProtocol,
  devnetChainClients,
} from "../../relayer/devnet/protocol.ts";
import type { ProtocolDeployment, SpokeRecord, TransportRoute } from "../../relayer/infra/protocol.ts";
import { testTokenAbi } from "../../relayer/infra/protocol-abi.ts";
import { collateralVaultAbi, marginEngineAbi } from "../../sdk/abi/index.ts";
import { decodeMessage } from "../../sdk/codec/index.ts";
import { seededUniform } from "../helpers/random.ts";
import { RpcProxy } from "./rpc-proxy.ts";

export type ChaosScale = "short" | "full";

/** XMARGIN_CHAOS_SCALE=full for the long runs; anything else (CI) is the short form. */
export const CHAOS_SCALE: ChaosScale = process.env.XMARGIN_CHAOS_SCALE === "full" ? "full" : "short";

export const byScale = <T>(values: Record<ChaosScale, T>): T => values[CHAOS_SCALE];

/** A seeded generator (mulberry32), so a failing run can be replayed with XMARGIN_CHAOS_SEED. */
export const seededRandom = seededUniform;

export const CHAOS_SEED = Number(process.env.XMARGIN_CHAOS_SEED ?? Date.now() % 1_000_000);

const XMARGIN_BIN = fileURLToPath(new URL("../../bin/xmargin.js", import.meta.url));
const OPERATORS = 3;
/** Traders use funded accounts from here on (after the deployer, roles and operators). */
const FIRST_TRADER_ACCOUNT = accountsNeeded(OPERATORS);

const SEND_GAS = 3_000_000n;

export const usdc = (amount: string) => parseUnits(amount, 6);

const gatewayEvents = parseAbi([
  "event MessageDelivered(uint64 indexed origin, bytes32 indexed messageHash)",
  "event MessageSent(uint64 indexed destination, bytes32 indexed messageId, bytes message)",
]);

/** One `xmargin relayer start` process slot: it can be killed and started again on the same config. */
export class RelayerInstance {
  /** Kills this test asked for; anything else that ends the process is a crash. */
  private expectedExit = false;
  readonly crashes: string[] = [];

  constructor(
    readonly label: string,
    readonly configFile: string,
    readonly logFile: string,
    public pid: number,
    readonly apiUrl: string,
    private readonly tracker?: ProcessTracker,
  ) {}

  get alive(): boolean {
    return isRunning(this.pid);
  }

  async kill(): Promise<void> {
    if (!this.alive) {
      if (!this.expectedExit) this.crashes.push(`${this.label} (pid ${this.pid}) was already dead`);
      return;
    }
    this.expectedExit = true;
    process.kill(this.pid, "SIGKILL");
    const deadline = Date.now() + 5_000;
    while (this.alive) {
      if (Date.now() > deadline) throw new Error(`${this.label} (pid ${this.pid}) survived SIGKILL`);
      await delay(20);
    }
  }

  /** Starts the process; after a kill it finds its store (cursors, messages, leases) as the killed one left it. */
  start(): void {
    if (this.alive) throw new Error(`${this.label} is still running`);
    const log = openSync(this.logFile, "a");
    const child = spawn(
      process.execPath,
      ["--disable-warning=ExperimentalWarning", XMARGIN_BIN, "relayer", "start", "--config", this.configFile],
      { stdio: ["ignore", log, log], env: relayerEnvironment() },
    );
    closeSync(log);
    if (!child.pid) throw new Error(`${this.label} did not start`);
    this.pid = child.pid;
    this.expectedExit = false;
    this.tracker?.track(child.pid);
    child.once("exit", (code, signal) => {
      if (child.pid) this.tracker?.untrack(child.pid);
      if (!this.expectedExit) this.crashes.push(`${this.label} exited on its own (code ${code}, signal ${signal})`);
    });
  }

  async waitUntilServing(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        if ((await fetch(`${this.apiUrl}/healthz`, { signal: AbortSignal.timeout(1_000) })).ok) return;
      } catch {}
      await delay(100);
    }
    throw new Error(`${this.label} did not serve ${this.apiUrl} within ${timeoutMs} ms; see ${this.logFile}`);
  }

  /** SIGTERM, then SIGKILL: the end of a scenario. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    this.expectedExit = true;
    process.kill(this.pid, "SIGTERM");
    const deadline = Date.now() + 10_000;
    while (this.alive && Date.now() < deadline) await delay(50);
    if (this.alive) process.kill(this.pid, "SIGKILL");
  }
}

/** The instances read their settings from their config file only, as the devnet starts them. */
const relayerEnvironment = () => ({
  ...process.env,
  DATABASE_URL: "",
  XMARGIN_OPERATOR_KEY: "",
  XMARGIN_API_PORT: "",
  XMARGIN_DATA_DIR: "",
});

function isRunning(pid: number): boolean {
  // Never a group or "every process" (0, -1): only a real child's pid is asked about.
  if (!(pid > 0)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface ChaosNetOptions {
  /** Transport per spoke name, e.g. { spokeA: "layerzero", spokeB: "hyperlane" }. */
  routes: Record<string, TransportRoute>;
  /** Trader accounts (each trades on every spoke). */
  traders: number;
  /** Put an RpcProxy in front of every chain, for the operators only (the test's own clients go direct). */
  proxied?: boolean;
  /** Extra config of operator `index`, merged over the devnet's. */
  operatorConfig?: (index: number, net: { proxies: ReadonlyMap<string, RpcProxy> }) => Partial<RelayerConfigInput>;
  /** Blocks the operators wait for per chain name (the devnet's default is 1). */
  confirmations?: Readonly<Record<string, number>>;
  /** Start the operators now (default) or later with `startOperators`. */
  startOperators?: boolean;
  /** How the chains mine (`DevnetOptions.batchWindowMs`); "off" for a test that mines by hand. */
  batchWindowMs?: number | "off";
}

export interface SentMessage {
  origin: number;
  destination: number;
  raw: Hex;
  hash: Hex;
  /** The spoke end of the message (its route decides the transports). */
  spoke: string;
}

/** Every chain, the protocol and the relayer processes of one scenario. */
export class ChaosNet {
  readonly instances: RelayerInstance[] = [];
  readonly clients = new Map<string, DevnetChainClients>();
  readonly proxies = new Map<string, RpcProxy>();
  operators: DevnetOperators | undefined;
  /**
   * This devnet's own: viem's shared one would carry nonces over from an earlier scenario's chains, which
   * had the same chain ids and accounts.
   */
  readonly nonceManager: NonceManager = createNonceManager({ source: jsonRpc() });
  private readonly wallets = new Map<string, WalletClient<Transport, Chain, Account>>();

  private constructor(
    readonly devnet: Devnet,
    readonly deployment: DevnetDeployment,
    readonly protocol: ProtocolDeployment,
    readonly dataDir: string,
    private readonly options: ChaosNetOptions,
  ) {
    for (const chain of [deployment.hub, ...deployment.spokes]) this.clients.set(chain.name, devnetChainClients(chain));
  }

  static async start(options: ChaosNetOptions): Promise<ChaosNet> {
    const dataDir = mkdtempSync(join(tmpdir(), "xmargin-chaos-"));
    const spokes = Object.keys(options.routes);
    const devnet = await startDevnet({
      spokes: spokes.length,
      accounts: FIRST_TRADER_ACCOUNT + options.traders,
      outFile: join(dataDir, "devnet.json"),
      ...(options.batchWindowMs === undefined ? {} : { batchWindowMs: options.batchWindowMs }),
    });
    const proxies: RpcProxy[] = [];
    try {
      const { deployment, protocol } = await deployDevnetProtocol(devnet.deployment, devnet.outFile, {
        operators: OPERATORS,
        threshold: 2,
        routes: options.routes,
      });
      const net = new ChaosNet(devnet, deployment, protocol, dataDir, options);
      if (options.proxied) {
        for (const chain of [deployment.hub, ...deployment.spokes]) {
          const proxy = await RpcProxy.start(chain.rpcUrl);
          proxies.push(proxy);
          net.proxies.set(chain.name, proxy);
        }
      }
      await net.fundTraders();
      if (options.startOperators !== false) await net.startOperators();
      return net;
    } catch (error) {
      await Promise.all(proxies.map((proxy) => proxy.close()));
      await devnet.stop();
      rmSync(dataDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** The three operators as the devnet runs them, with this scenario's config on top. */
  async startOperators(): Promise<void> {
    const proxied = this.proxies;
    this.operators = await startDevnetOperators({
      deployment: this.deployment,
      deploymentFile: this.devnet.outFile,
      dataDir: join(this.dataDir, "operators"),
      tracker: this.devnet.tracker,
      configFor: (index) => {
        const extra = this.options.operatorConfig?.(index, { proxies: proxied }) ?? {};
        if (proxied.size === 0 && !this.options.confirmations) return extra;
        const chains = [this.deployment.hub, ...this.deployment.spokes].map((chain) => ({
          name: chain.name,
          chainId: chain.chainId,
          rpcUrl: proxied.get(chain.name)?.url ?? chain.rpcUrl,
          confirmations: this.options.confirmations?.[chain.name] ?? 1,
          pollIntervalMs: 100,
        }));
        return { chains, ...extra };
      },
    });
    for (const operator of this.operators.operators) {
      this.instances.push(
        new RelayerInstance(
          `operator ${operator.index}`,
          operator.configFile,
          operator.logFile,
          operator.pid,
          operator.apiUrl,
          this.devnet.tracker,
        ),
      );
    }
  }

  /**
   * One more process of operator `index`'s key on `config` (its own API port): with a shared PostgreSQL
   * store, several instances serving one route set.
   */
  async addInstance(index: number, config: RelayerConfigInput): Promise<RelayerInstance> {
    const port = await findFreePort();
    const dir = join(this.dataDir, `operator-${index}-instance-${this.instances.length}`);
    rmSync(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const configFile = join(dir, "config.json");
    await writeFile(
      configFile,
      `${JSON.stringify({ ...config, dataDir: dir, api: { host: "127.0.0.1", port } }, null, 2)}\n`,
    );
    const instance = new RelayerInstance(
      `operator ${index} instance ${this.instances.length}`,
      configFile,
      join(dir, "relayer.log"),
      -1,
      `http://127.0.0.1:${port}`,
      this.devnet.tracker,
    );
    instance.start();
    this.instances.push(instance);
    await instance.waitUntilServing();
    return instance;
  }

  spoke(name: string): SpokeRecord {
    const record = this.protocol.spokes.find((candidate) => candidate.name === name);
    if (!record) throw new Error(`no spoke ${name}`);
    return record;
  }

  chain(name: string): DevnetChainClients {
    const clients = this.clients.get(name);
    if (!clients) throw new Error(`no chain ${name}`);
    return clients;
  }

  traderIndices(): number[] {
    return Array.from({ length: this.options.traders }, (_, i) => FIRST_TRADER_ACCOUNT + i);
  }

  address(accountIndex: number): Address {
    return this.deployment.accounts[accountIndex]?.address as Address;
  }

  /** A wallet of a funded account with viem's nonce manager, so one account can have several transactions in flight. */
  wallet(chainName: string, accountIndex: number): WalletClient<Transport, Chain, Account> {
    const key = `${chainName}:${accountIndex}`;
    let wallet = this.wallets.get(key);
    if (!wallet) {
      const clients = this.chain(chainName);
      const privateKey = this.deployment.accounts[accountIndex]?.privateKey as Hex;
      wallet = createWalletClient({
        chain: clients.chain,
        transport: http(this.deployment.spokes.find((s) => s.name === chainName)?.rpcUrl ?? this.deployment.hub.rpcUrl),
        account: privateKeyToAccount(privateKey, { nonceManager: this.nonceManager }),
      });
      this.wallets.set(key, wallet);
    }
    return wallet;
  }

  /** Sends and waits for the receipt; throws if the transaction reverted. */
  async send(
    chainName: string,
    accountIndex: number,
    request: {
      address: Address;
      abi: readonly unknown[];
      functionName: string;
      args: readonly unknown[];
      value?: bigint;
    },
  ): Promise<Hex> {
    const wallet = this.wallet(chainName, accountIndex);
    // A fixed limit: concurrent senders move the state (the Hyperlane merkle tree's depth of work, say)
    // between a gas estimate and the block, and an estimate made before can run out.
    // biome-ignore lint/suspicious/noExplicitAny: one helper for every contract call of the suite
    const hash = await wallet.writeContract({ gas: SEND_GAS, ...request } as any);
    const receipt = await this.chain(chainName).publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    if (receipt.status !== "success") throw new Error(`${request.functionName} on ${chainName} reverted (${hash})`);
    return hash;
  }

  /** Each trader gets USDC on every spoke and approves the vault once. */
  private async fundTraders(): Promise<void> {
    await Promise.all(
      this.protocol.spokes.flatMap((spoke) =>
        this.traderIndices().map(async (trader) => {
          const token = spoke.tokens.USDC?.address as Address;
          await this.send(spoke.name, trader, {
            address: token,
            abi: testTokenAbi,
            functionName: "mint",
            args: [this.address(trader), usdc("1000000")],
          });
          await this.send(spoke.name, trader, {
            address: token,
            abi: testTokenAbi,
            functionName: "approve",
            args: [spoke.contracts.vault, maxUint256],
          });
        }),
      ),
    );
  }

  /** A locked deposit on a spoke: one BalanceReport to the hub. */
  deposit(spokeName: string, trader: number, amount: bigint): Promise<Hex> {
    const spoke = this.spoke(spokeName);
    return this.send(spokeName, trader, {
      address: spoke.contracts.vault,
      abi: collateralVaultAbi,
      functionName: "deposit",
      args: [spoke.tokens.USDC?.address, amount, true],
      value: parseEther("0.01"),
    });
  }

  /** A release on the hub: a Release command to the spoke, whose vault answers with a BalanceReport. */
  release(spokeName: string, trader: number, amount: bigint): Promise<Hex> {
    const spoke = this.spoke(spokeName);
    return this.send("hub", trader, {
      address: this.protocol.hub.contracts.engine,
      abi: marginEngineAbi,
      functionName: "requestRelease",
      args: [BigInt(spoke.chainId), spoke.tokens.USDC?.address, amount, this.address(trader)],
      value: parseEther("0.05"),
    });
  }

  /** What the hub counts for a trader on a spoke (reported locked minus pending decreases). */
  async counted(spokeName: string, trader: number): Promise<bigint> {
    const spoke = this.spoke(spokeName);
    const [entries, counted] = await this.chain("hub").publicClient.readContract({
      address: this.protocol.hub.contracts.engine,
      abi: marginEngineAbi,
      functionName: "collateralOf",
      args: [this.address(trader)],
    });
    const index = entries.findIndex((entry) => Number(entry.chainId) === spoke.chainId);
    return index < 0 ? 0n : (counted[index] ?? 0n);
  }

  /** Every message the hub engine and the vaults sent (MessagingApp's MessageSent), in chain order. */
  async sentMessages(): Promise<SentMessage[]> {
    const sent: SentMessage[] = [];
    const apps = [
      { name: "hub", chainId: this.protocol.hub.chainId, app: this.protocol.hub.contracts.engine },
      ...this.protocol.spokes.map((s) => ({ name: s.name, chainId: s.chainId, app: s.contracts.vault })),
    ];
    for (const { name, chainId, app } of apps) {
      const logs = await this.chain(name).publicClient.getLogs({
        address: app,
        event: gatewayEvents[1],
        fromBlock: 0n,
        toBlock: "latest",
      });
      for (const log of logs) {
        const destination = Number(log.args.destination);
        const raw = log.args.message as Hex;
        const spoke = name === "hub" ? this.protocol.spokes.find((s) => s.chainId === destination)?.name : name;
        sent.push({ origin: chainId, destination, raw, hash: keccak256(raw), spoke: spoke as string });
      }
    }
    return sent;
  }

  /** Per `origin:hash`, how many times each gateway delivered it (the gateways' MessageDelivered). */
  async deliveries(): Promise<Map<string, { layerzero: number; hyperlane: number }>> {
    const counts = new Map<string, { layerzero: number; hyperlane: number }>();
    for (const record of [this.protocol.hub, ...this.protocol.spokes]) {
      const gateways = {
        layerzero: record.contracts.layerZeroGateway.toLowerCase(),
        hyperlane: record.contracts.hyperlaneGateway.toLowerCase(),
      };
      const logs = await this.chain(record.name).publicClient.getLogs({
        address: [record.contracts.layerZeroGateway, record.contracts.hyperlaneGateway],
        event: gatewayEvents[0],
        fromBlock: 0n,
        toBlock: "latest",
      });
      for (const log of logs) {
        const key = `${log.args.origin}:${log.args.messageHash}`;
        const count = counts.get(key) ?? { layerzero: 0, hyperlane: 0 };
        if (log.address.toLowerCase() === gateways.layerzero) count.layerzero += 1;
        else count.hyperlane += 1;
        counts.set(key, count);
      }
    }
    return counts;
  }

  /** Deliveries each message must have: one per transport of its route, none on the other. */
  expectedDeliveries(message: SentMessage): { layerzero: number; hyperlane: number } {
    const route = this.protocol.routes[message.spoke];
    return { layerzero: route === "hyperlane" ? 0 : 1, hyperlane: route === "layerzero" ? 0 : 1 };
  }

  /** Resolves when every message sent so far is delivered as its route requires; fails listing the rest. */
  async waitForAllDelivered(timeoutMs: number): Promise<{ sent: SentMessage[]; seconds: number }> {
    const started = Date.now();
    for (;;) {
      const sent = await this.sentMessages();
      const deliveries = await this.deliveries();
      const missing = sent.filter((message) => {
        const count = deliveries.get(`${message.origin}:${message.hash}`) ?? { layerzero: 0, hyperlane: 0 };
        const expected = this.expectedDeliveries(message);
        return count.layerzero < expected.layerzero || count.hyperlane < expected.hyperlane;
      });
      if (missing.length === 0) return { sent, seconds: (Date.now() - started) / 1000 };
      if (Date.now() - started > timeoutMs) {
        const describe = (message: SentMessage) =>
          `${message.origin}→${message.destination} ${decodeMessage(message.raw).type} ${message.hash}`;
        throw new Error(
          `${missing.length} of ${sent.length} messages undelivered after ${timeoutMs} ms: ${missing.slice(0, 5).map(describe).join("; ")}`,
        );
      }
      await delay(2_000);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.instances.map((instance) => instance.stop()));
    await this.operators?.stop();
    await Promise.all([...this.proxies.values()].map((proxy) => proxy.close()));
    await this.devnet.stop();
    if (!process.env.XMARGIN_CHAOS_KEEP) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** The fields of the API's message body the suite reads. */
export interface StoredMessageBody {
  messageId: string;
  sourceTxHash: string;
  lastError: string | null;
  attempts: number;
}

/** Messages in an instance's store in `state` (its API, up to 1000). */
export async function storedMessages(
  instance: RelayerInstance,
  state: "discovered" | "signed" | "verified" | "delivered" | "failed",
): Promise<StoredMessageBody[]> {
  const response = await fetch(`${instance.apiUrl}/v1/messages?state=${state}&limit=1000`, {
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) throw new Error(`${instance.label}: GET /v1/messages answered ${response.status}`);
  return ((await response.json()) as { messages: StoredMessageBody[] }).messages;
}

/** Waits until no instance's store holds a pending message: each one saw every message through. */
export async function waitForStoresSettled(instances: readonly RelayerInstance[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const backlog: string[] = [];
    for (const instance of instances) {
      for (const state of ["discovered", "signed", "verified"] as const) {
        const pending = await storedMessages(instance, state);
        if (pending.length > 0) backlog.push(`${instance.label}: ${pending.length} ${state}`);
      }
    }
    if (backlog.length === 0) return;
    if (Date.now() > deadline) throw new Error(`stores still pending after ${timeoutMs} ms: ${backlog.join(", ")}`);
    await delay(500);
  }
}

export interface TrafficOptions {
  /** Messages to cause: a deposit causes one (its report), a release two (the command and the vault's report). */
  messages: number;
  random: () => number;
  /** Share of a trader's turns that request a release when the hub counts enough. */
  releaseShare?: number;
  /** Pause after each transaction, so that deliveries (and with them releases) happen while traffic goes on. */
  paceMs?: number;
}

/**
 * Traders deposit on every spoke and, once the hub counts their collateral, request releases back, in
 * parallel (one sequence per trader and spoke) until `messages` messages are on their way.
 */
export async function generateTraffic(
  net: ChaosNet,
  options: TrafficOptions,
): Promise<{ deposits: number; releases: number }> {
  const { random, releaseShare = 0.35, paceMs = 0 } = options;
  let budget = options.messages;
  const done = { deposits: 0, releases: 0 };
  const lanes = net
    .traderIndices()
    .flatMap((trader) => net.protocol.spokes.map((spoke) => ({ trader, spoke: spoke.name })));
  await Promise.all(
    lanes.map(async ({ trader, spoke }) => {
      while (budget > 0) {
        if (budget >= 2 && random() < releaseShare && (await net.counted(spoke, trader)) >= usdc("2")) {
          budget -= 2;
          await net.release(spoke, trader, usdc("1"));
          done.releases += 1;
        } else {
          budget -= 1;
          await net.deposit(spoke, trader, usdc(String(1 + Math.floor(random() * 100))));
          done.deposits += 1;
        }
        if (paceMs > 0) await delay(paceMs);
      }
    }),
  );
  return done;
}

export interface ChaosKills {
  kills: number;
  byInstance: Record<string, number>;
  /** Seconds from each restart until the instance served its API again. */
  bootSeconds: number[];
}

/**
 * Until `stop` resolves: after `upMs` (random within the range) of an instance working, SIGKILL one (the
 * first one, the primary deliverer, half of the time), leave it down for `downMs`, start it again on its
 * store and wait until it serves before the next round, so that each kill lands in the middle of work
 * rather than in a boot.
 */
export async function killAtRandom(
  instances: readonly RelayerInstance[],
  options: { random: () => number; upMs: [number, number]; downMs: [number, number]; stop: Promise<unknown> },
): Promise<ChaosKills> {
  const { random } = options;
  let stopped = false;
  const wake = new AbortController();
  void options.stop.finally(() => {
    stopped = true;
    wake.abort();
  });
  const between = ([low, high]: [number, number]) => low + random() * (high - low);
  const result: ChaosKills = { kills: 0, byInstance: {}, bootSeconds: [] };
  while (!stopped) {
    await delay(between(options.upMs), undefined, { signal: wake.signal }).catch(() => {});
    if (stopped) break;
    const victim =
      random() < 0.5 ? instances[0] : (instances[1 + Math.floor(random() * (instances.length - 1))] ?? instances[0]);
    if (!victim) break;
    await victim.kill();
    result.kills += 1;
    result.byInstance[victim.label] = (result.byInstance[victim.label] ?? 0) + 1;
    await delay(between(options.downMs));
    victim.start();
    const booting = Date.now();
    await victim.waitUntilServing(60_000);
    result.bootSeconds.push((Date.now() - booting) / 1000);
  }
  return result;
}
