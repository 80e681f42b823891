// The relayer issue's end-to-end story on the anvil devnet, over both transports (spokeA ↔ hub over LayerZero,
// spokeB ↔ hub over Hyperlane), relayed by the relayer service itself: three `xmargin relayer start` processes,
// 2 of 3 signatures per message, operator 0 also running the keeper. The trader deposits on spoke A and spoke B,
// trades on the hub, a price crash puts it below maintenance, the keeper liquidates it on its own (the position,
// then the WETH on spoke A, whose Seize pays the keeper there), the price recovers and the trader releases its
// spoke B collateral to its wallet. At the end every token balance on every chain is checked to the wei against
// what the test sent and what the protocol's events say moved, and every message against exactly one delivery.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { type Address, erc20Abi, type Hash, type Hex, keccak256, parseAbi, parseEther, parseUnits } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { getContractEvents, readContract, waitForTransactionReceipt, writeContract } from "viem/actions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevnetChain, DevnetDeployment } from "../../relayer/devnet/deployment.ts";
import { type Devnet, startDevnet } from "../../relayer/devnet/launcher.ts";
import { type DevnetOperators, startDevnetOperators } from "../../relayer/devnet/operators.ts";
import {
  accountsNeeded,
  DEFAULT_OPERATORS,
  DEVNET_ACCOUNT_ROLES,
  type DevnetChainClients,
  deployDevnetProtocol,
  devnetChainClients,
} from "../../relayer/devnet/protocol.ts";
import type { ProtocolDeployment } from "../../relayer/infra/protocol.ts";
import { testTokenAbi } from "../../relayer/infra/protocol-abi.ts";
import {
  createPriceMover,
  fundDevnetKeeper,
  type PriceMover,
  parsePricePath,
  pathSchedule,
  protocolPriceFeeds,
} from "../../relayer/keeper/index.ts";
import { collateralVaultAbi, marginEngineAbi } from "../../sdk/abi/index.ts";
import { xmarginActions } from "../../sdk/decorators/xmargin.ts";
import { type Deployment, parseDeployment } from "../../sdk/deployments.ts";

// The story's amounts. 36 ETH long on 10 WETH (spoke A) and 500 USDC (spoke B) is well within initial margin
// at 3000. A crash of WETH and ETH-PERP to 2400 in one step takes maintenance health to about −3,350 USD, below
// −2 % of the notional, so the perp liquidation closes the whole position and the account is still below
// maintenance, with about 22,500 USD of debt and still solvent. The keeper then seizes the largest entry, the
// WETH on spoke A (24,000 USD against 500); WETH's maintenance weight of 0.85 makes that liquidation stop once
// the buffer is restored (about 7.13 WETH seized, 6,200 USD of debt left) instead of taking spoke B too. Back at
// 3000 the 2.87 WETH left cover the debt at initial weight, so all 500 USDC on spoke B can be released.
const WETH_MARGIN = parseEther("10");
const USDC_MARGIN = parseUnits("500", 6);
const LONG = parseEther("36");
const CRASH_PRICE = "2400";
const RECOVERY_PRICE = "3000";
/** What the trader mints itself on each spoke beyond its margin, so that its wallet is not left empty. */
const WALLET_EXTRA = { WETH: parseEther("1"), USDC: parseUnits("100", 6) };
const KEEPER_POLL_MS = 200;
const STORY_TIMEOUT_MS = 30_000;

const gatewayAbi = parseAbi(["event MessageDelivered(uint64 indexed origin, bytes32 indexed messageHash)"]);
const tempDir = mkdtempSync(join(tmpdir(), "xmargin-trader-story-"));

/** Polls `read` until `done` accepts its value; fails naming `what` (read when it fails) after `timeoutMs`. */
async function waitFor<T>(
  what: string | (() => string),
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = STORY_TIMEOUT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === "string" ? what : what()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `${chain} ${token} ${holder}`: one token balance the story checks. */
type BalanceKey = string;

describe("trader story on the devnet: deposits on two spokes, a trade, a crash, the keeper's liquidation, a release", () => {
  let devnet: Devnet;
  let deployment: DevnetDeployment;
  let protocol: ProtocolDeployment;
  let sdkDeployment: Deployment;
  let operators: DevnetOperators;
  let mover: PriceMover;
  const operatorExits: string[] = [];
  const keeperWarnings: string[] = [];
  const clients = new Map<string, DevnetChainClients>();

  let trader: Address;
  let keeper: Address;
  let treasury: Address;
  let startBalances: Map<BalanceKey, bigint>;
  /** What the story moved, in token units, by balance key: filled in as each step learns it. */
  const expectedChange = new Map<BalanceKey, bigint>();
  const change = (key: BalanceKey, amount: bigint) => expectedChange.set(key, (expectedChange.get(key) ?? 0n) + amount);

  const chainClients = (name: string) => clients.get(name) as DevnetChainClients;
  const chainRecord = (name: string): DevnetChain =>
    [deployment.hub, ...deployment.spokes].find((chain) => chain.name === name) as DevnetChain;
  const spokeRecord = (name: string) =>
    protocol.spokes.find((spoke) => spoke.name === name) as ProtocolDeployment["spokes"][number];
  const engine = () => protocol.hub.contracts.engine;
  const hubPublic = () => chainClients("hub").publicClient;
  const accountKey = (role: number) => deployment.accounts[role]?.privateKey as Hex;
  const traderOn = (name: string) =>
    chainClients(name)
      .walletFor(accountKey(DEVNET_ACCOUNT_ROLES.trader))
      .extend(
        xmarginActions({
          deployment: sdkDeployment,
          chainClients: Object.fromEntries([...clients.values()].map((chain) => [chain.chainId, chain.publicClient])),
        }),
      );

  /** Every token balance the story can touch: trader, keeper and treasury on every chain, each vault, the engine. */
  async function tokenBalances(): Promise<Map<BalanceKey, bigint>> {
    const reads: Promise<[BalanceKey, bigint]>[] = [];
    const read = (chain: string, symbol: string, token: Address, holderName: string, holder: Address) =>
      reads.push(
        chainClients(chain)
          .publicClient.readContract({ address: token, abi: erc20Abi, functionName: "balanceOf", args: [holder] })
          .then((balance): [BalanceKey, bigint] => [`${chain} ${symbol} ${holderName}`, balance]),
      );
    const people = { trader, keeper, treasury };
    for (const spoke of protocol.spokes) {
      for (const [symbol, token] of Object.entries(spoke.tokens)) {
        for (const [name, holder] of Object.entries(people)) read(spoke.name, symbol, token.address, name, holder);
        read(spoke.name, symbol, token.address, "vault", spoke.contracts.vault);
      }
    }
    for (const [symbol, token] of Object.entries(protocol.hub.tokens)) {
      for (const [name, holder] of Object.entries(people)) read("hub", symbol, token.address, name, holder);
      read("hub", symbol, token.address, "engine", engine());
    }
    return new Map(await Promise.all(reads));
  }

  /** Mints `amount` of a spoke's test token to the trader, from the trader (the devnet's tokens mint to anyone). */
  async function mintToTrader(spoke: string, symbol: string, amount: bigint) {
    const chain = chainClients(spoke);
    const wallet = chain.walletFor(accountKey(DEVNET_ACCOUNT_ROLES.trader));
    const hash = await writeContract(wallet, {
      address: spokeRecord(spoke).tokens[symbol]?.address as Address,
      abi: testTokenAbi,
      functionName: "mint",
      args: [trader, amount],
    });
    await waitForTransactionReceipt(chain.publicClient, { hash });
    change(`${spoke} ${symbol} trader`, amount);
  }

  /** The engine's events about the trader, from the first block. */
  const perpLiquidations = () =>
    getContractEvents(hubPublic(), {
      address: engine(),
      abi: marginEngineAbi,
      eventName: "PerpLiquidated",
      args: { account: trader },
      fromBlock: 0n,
      strict: true,
    });
  const collateralLiquidations = () =>
    getContractEvents(hubPublic(), {
      address: engine(),
      abi: marginEngineAbi,
      eventName: "CollateralLiquidated",
      args: { account: trader },
      fromBlock: 0n,
      strict: true,
    });
  const positionChanges = () =>
    getContractEvents(hubPublic(), {
      address: engine(),
      abi: marginEngineAbi,
      eventName: "PositionChanged",
      args: { account: trader },
      fromBlock: 0n,
      strict: true,
    });

  beforeAll(async () => {
    devnet = await startDevnet({
      spokes: 2,
      accounts: accountsNeeded(DEFAULT_OPERATORS),
      outFile: join(tempDir, "devnet.json"),
    });
    ({ deployment, protocol } = await deployDevnetProtocol(devnet.deployment, devnet.outFile));
    expect(deployment.routes).toEqual({ spokeA: "layerzero", spokeB: "hyperlane" });
    sdkDeployment = parseDeployment(deployment);
    for (const chain of [deployment.hub, ...deployment.spokes]) clients.set(chain.name, devnetChainClients(chain));
    trader = privateKeyToAddress(accountKey(DEVNET_ACCOUNT_ROLES.trader));
    const keeperKey = accountKey(DEVNET_ACCOUNT_ROLES.keeper);
    keeper = privateKeyToAddress(keeperKey);
    treasury = await readContract(hubPublic(), { address: engine(), abi: marginEngineAbi, functionName: "treasury" });
    startBalances = await tokenBalances();

    // As `xmargin devnet` runs it: the keeper account holds settle tokens to repay debt with.
    change("hub USDC keeper", await fundDevnetKeeper(chainClients("hub").walletFor(keeperKey), sdkDeployment, keeper));
    operators = await startDevnetOperators({
      deployment,
      deploymentFile: devnet.outFile,
      dataDir: join(tempDir, "operators"),
      tracker: devnet.tracker,
      configFor: (index) =>
        index === 0 ? { keeper: { enabled: true, privateKey: keeperKey, pollIntervalMs: KEEPER_POLL_MS } } : {},
      onLog: (index, entry) => {
        if (index === 0 && entry.module === "keeper" && typeof entry.level === "number" && entry.level >= 40) {
          keeperWarnings.push(String(entry.msg));
        }
      },
    });
    void operators.exited.then((exit) => operatorExits.push(`operator ${exit.index}: ${JSON.stringify(exit)}`));

    mover = createPriceMover({
      walletClient: chainClients("hub").walletFor(accountKey(DEVNET_ACCOUNT_ROLES.deployer)),
      publicClient: hubPublic(),
      feeds: protocolPriceFeeds(protocol),
      schedule: pathSchedule(
        parsePricePath({
          description: "ETH crashes 20 % in one step, then recovers",
          feeds: { WETH: { prices: [CRASH_PRICE, RECOVERY_PRICE] }, "ETH-PERP": { follow: "WETH" } },
        }),
      ),
      oracle: protocol.hub.contracts.oracle,
      intervalMs: 0,
      logger: pino({ level: "silent" }),
    });
  });

  afterAll(async () => {
    await operators?.stop();
    await devnet?.stop();
    rmSync(tempDir, { recursive: true, force: true });
  });

  it("deposits on spoke A (LayerZero) and spoke B (Hyperlane) are credited on the hub", async () => {
    await Promise.all([
      mintToTrader("spokeA", "WETH", WETH_MARGIN + WALLET_EXTRA.WETH),
      mintToTrader("spokeB", "USDC", USDC_MARGIN + WALLET_EXTRA.USDC),
    ]);
    const deposits = [
      { spoke: "spokeA", asset: "WETH", amount: WETH_MARGIN },
      { spoke: "spokeB", asset: "USDC", amount: USDC_MARGIN },
    ];
    await Promise.all(
      deposits.map(async ({ spoke, asset, amount }) => {
        const client = traderOn(spoke);
        const deposited = await client.deposit({ asset, amount });
        expect(deposited.received).toBe(amount);
        change(`${spoke} ${asset} trader`, -amount);
        change(`${spoke} ${asset} vault`, deposited.received);
        const { deliveries } = await client.waitForDelivery({ hash: deposited.hash, timeout: STORY_TIMEOUT_MS });
        expect(deliveries).toMatchObject([{ outcome: "applied", message: { type: "BalanceReport" } }]);
      }),
    );
    const account = await traderOn("hub").getAccount();
    // The two deposits race, so the ledger lists the chains in the order their reports arrived.
    const ledger = account.ledger
      .map(({ chainName, symbol, counted }) => ({ chainName, symbol, counted }))
      .sort((a, b) => a.chainName.localeCompare(b.chainName));
    expect(ledger).toEqual([
      { chainName: "spokeA", symbol: "WETH", counted: WETH_MARGIN },
      { chainName: "spokeB", symbol: "USDC", counted: USDC_MARGIN },
    ]);
  });

  it("opens a long ETH-PERP position on the hub within initial margin", async () => {
    const hub = traderOn("hub");
    const traded = await hub.trade({ market: "ETH-PERP", size: LONG });
    expect(traded).toMatchObject({ newSize: LONG, price: parseEther("3000") });
    const { health } = await hub.getAccount();
    expect(health.health.init).toBeGreaterThan(0n);
  });

  it("after the crash the keeper closes the position, then seizes the WETH on spoke A; the Seizes pay there", async () => {
    const crash = await mover.step();
    expect(crash?.prices).toEqual({ WETH: parseEther(CRASH_PRICE), "ETH-PERP": parseEther(CRASH_PRICE) });

    const liquidations = await waitFor(
      () => `the keeper's collateral liquidation (keeper warnings: ${keeperWarnings.join("; ") || "none"})`,
      collateralLiquidations,
      (events) => events.length > 0,
    );
    expect(liquidations).toHaveLength(1);
    const [liquidated] = liquidations as [(typeof liquidations)[number]];
    // Both liquidations are the keeper's, in order: the whole position first (the crash went past −2 % of the
    // notional), then the largest collateral entry.
    const perp = await perpLiquidations();
    expect(perp).toHaveLength(1);
    expect(perp[0]?.args).toMatchObject({ liquidator: keeper, size: LONG, price: parseEther(CRASH_PRICE) });
    expect(perp[0]?.blockNumber).toBeLessThan(liquidated.blockNumber);
    expect(liquidated.args).toMatchObject({
      chainId: BigInt(chainRecord("spokeA").chainId),
      liquidator: keeper,
      asset: spokeRecord("spokeA").tokens.WETH?.address,
    });
    const { repay, seizedToLiquidator, seizedToProtocol } = liquidated.args;
    change("hub USDC keeper", -repay);
    change("hub USDC engine", repay);
    change("spokeA WETH keeper", seizedToLiquidator);
    change("spokeA WETH treasury", seizedToProtocol);
    change("spokeA WETH vault", -(seizedToLiquidator + seizedToProtocol));

    // The liquidation left the account above maintenance: the keeper has nothing more to do.
    const hub = traderOn("hub");
    const after = await hub.getAccount();
    expect(after.health.liquidatable).toBe(false);
    expect(after.positions).toEqual([]);

    const seizes = await hub.waitForDelivery({ hash: liquidated.transactionHash, timeout: STORY_TIMEOUT_MS });
    expect(seizes.deliveries.map(({ outcome, message, applied }) => ({ outcome, message, applied }))).toMatchObject([
      { outcome: "executed", message: { type: "Seize", to: keeper }, applied: seizedToLiquidator },
      { outcome: "executed", message: { type: "Seize", to: treasury }, applied: seizedToProtocol },
    ]);
    // Each executed Seize acknowledges itself with a report to the hub. The two reports travel side by side:
    // when the newer lands first, the older is ignored as stale (its seq is behind); either way it arrived.
    for (const hash of new Set(seizes.deliveries.map((delivery) => delivery.transactionHash))) {
      const acks = await traderOn("spokeA").waitForDelivery({ hash, timeout: STORY_TIMEOUT_MS });
      expect(acks.deliveries.every((delivery) => ["applied", "ignored"].includes(delivery.outcome))).toBe(true);
    }
  });

  it("after the recovery the trader releases all its spoke B collateral to its wallet there", async () => {
    const recovery = await mover.step();
    expect(recovery?.prices).toEqual({ WETH: parseEther(RECOVERY_PRICE), "ETH-PERP": parseEther(RECOVERY_PRICE) });
    const hub = traderOn("hub");
    const spokeBLedger = (await hub.getAccount()).ledger.find((entry) => entry.chainName === "spokeB");
    expect(spokeBLedger?.counted).toBe(USDC_MARGIN);

    const released = await hub.requestRelease({ chain: "spokeB", asset: "USDC", amount: USDC_MARGIN });
    const { deliveries } = await hub.waitForDelivery({ hash: released.hash, timeout: STORY_TIMEOUT_MS });
    expect(deliveries).toMatchObject([
      { outcome: "executed", message: { type: "Release", to: trader, amount: USDC_MARGIN }, applied: USDC_MARGIN },
    ]);
    change("spokeB USDC trader", deliveries[0]?.applied as bigint);
    change("spokeB USDC vault", -(deliveries[0]?.applied as bigint));
    const ack = await traderOn("spokeB").waitForDelivery({
      hash: deliveries[0]?.transactionHash as Hash,
      timeout: STORY_TIMEOUT_MS,
    });
    expect(ack.deliveries).toMatchObject([{ outcome: "applied" }]);
  });

  it("every token balance on every chain moved by exactly what the test sent and the events state", async () => {
    const balances = await tokenBalances();
    const expected = new Map(
      [...startBalances].map(([key, start]) => [key, start + (expectedChange.get(key) ?? 0n)] as const),
    );
    expect([...expectedChange.keys()].filter((key) => !startBalances.has(key))).toEqual([]);
    expect(Object.fromEntries(balances)).toEqual(Object.fromEntries(expected));
  });

  it("the hub's settle balances are what the trades and liquidations state", async () => {
    const changes = await positionChanges();
    const perps = await perpLiquidations();
    const collaterals = await collateralLiquidations();
    expect([perps.length, collaterals.length]).toEqual([1, 1]);
    const [perp] = perps as [(typeof perps)[number]];
    const [collateral] = collaterals as [(typeof collaterals)[number]];
    const settleDecimals = protocol.hub.tokens[protocol.hub.quoteToken]?.decimals as number;
    const traded = changes.reduce((sum, { args }) => sum + args.realizedPnl - args.fundingPaid - BigInt(args.fee), 0n);
    const liquidationFee = perp.args.feeToLiquidator + perp.args.feeToInsurance;
    const repaid = collateral.args.repay * 10n ** BigInt(18 - settleDecimals);
    const settleOf = (account: Address) =>
      readContract(hubPublic(), {
        address: engine(),
        abi: marginEngineAbi,
        functionName: "settleBalanceOf",
        args: [account],
      });
    expect(await settleOf(trader)).toBe(traded - liquidationFee + repaid);
    expect(await settleOf(keeper)).toBe(perp.args.feeToLiquidator);
  });

  it("each vault holds exactly its accounts' totals, and the hub's ledger is the spokes' last reports", async () => {
    const account = await traderOn("hub").getAccount();
    for (const spoke of protocol.spokes) {
      const chain = chainClients(spoke.name);
      const vault = spoke.contracts.vault;
      const vaultEvent = <name extends "Deposited" | "BalanceReported" | "CommandPaymentFailed">(eventName: name) =>
        getContractEvents(chain.publicClient, {
          address: vault,
          abi: collateralVaultAbi,
          eventName,
          fromBlock: 0n,
          strict: true,
        });
      const depositors = [...new Set((await vaultEvent("Deposited")).map((event) => event.args.account))];
      expect(depositors).toEqual([trader]);
      expect(await vaultEvent("CommandPaymentFailed")).toEqual([]);
      const reports = await vaultEvent("BalanceReported");
      const chainBalances = account.chains.find((balances) => balances.chainId === spoke.chainId);
      for (const [symbol, token] of Object.entries(spoke.tokens)) {
        const held = await chain.publicClient.readContract({
          address: token.address,
          abi: erc20Abi,
          functionName: "balanceOf",
          args: [vault],
        });
        const balance = chainBalances?.balances.find((candidate) => candidate.symbol === symbol);
        expect(held, `${spoke.name} ${symbol}`).toBe((balance?.total ?? 0n) + (balance?.claimable ?? 0n));

        const [lastReport] = reports.filter((report) => report.args.asset === token.address).slice(-1);
        const entry = account.ledger.find(
          (candidate) => candidate.chainId === spoke.chainId && candidate.token === token.address,
        );
        if (lastReport === undefined) {
          expect(entry, `${spoke.name} ${symbol}`).toBeUndefined();
          continue;
        }
        expect(entry, `${spoke.name} ${symbol}`).toMatchObject({
          reportedLocked: lastReport.args.locked,
          seq: Number(lastReport.args.seq),
          acknowledgedNonce: lastReport.args.lastCommandNonce,
          pendingDecrease: 0n,
        });
        expect(balance).toMatchObject({ total: lastReport.args.total, locked: lastReport.args.locked });
      }
    }
  });

  it("every message was delivered exactly once, over its spoke's transport, and the relayer recorded each", async () => {
    const sent: { messageId: Hex; hash: Hex; from: string; to: number }[] = [];
    const deliveredVia = new Map<Hex, string[]>();
    for (const chain of [deployment.hub, ...deployment.spokes]) {
      const { publicClient } = chainClients(chain.name);
      const app = chain.name === "hub" ? engine() : spokeRecord(chain.name).contracts.vault;
      const events = await getContractEvents(publicClient, {
        address: app,
        abi: marginEngineAbi,
        eventName: "MessageSent",
        fromBlock: 0n,
        strict: true,
      });
      for (const { args } of events) {
        sent.push({
          messageId: args.messageId,
          hash: keccak256(args.message),
          from: chain.name,
          to: Number(args.destination),
        });
      }
      const contracts = (chain.name === "hub" ? protocol.hub : spokeRecord(chain.name)).contracts;
      for (const [transport, gateway] of [
        ["layerzero", contracts.layerZeroGateway],
        ["hyperlane", contracts.hyperlaneGateway],
      ] as const) {
        const delivered = await getContractEvents(publicClient, {
          address: gateway,
          abi: gatewayAbi,
          eventName: "MessageDelivered",
          fromBlock: 0n,
          strict: true,
        });
        for (const { args } of delivered) {
          deliveredVia.set(args.messageHash, [...(deliveredVia.get(args.messageHash) ?? []), transport]);
        }
      }
    }
    // Two deposit reports; two Seizes and their acknowledging reports; one Release and its report.
    expect(sent).toHaveLength(8);
    const routeOf = (message: (typeof sent)[number]) => {
      const spoke =
        message.from === "hub" ? deployment.spokes.find((s) => s.chainId === message.to)?.name : message.from;
      return deployment.routes?.[spoke as string];
    };
    expect(sent.map((message) => deliveredVia.get(message.hash))).toEqual(sent.map((message) => [routeOf(message)]));
    expect(deliveredVia.size).toBe(sent.length);

    const primary = operators.operators[0]?.apiUrl as string;
    const recorded = await waitFor(
      "operator 0 to record every message as delivered",
      async () => {
        const response = await fetch(`${primary}/v1/messages?limit=1000`);
        return ((await response.json()) as { messages: { messageId: Hex; state: string; transport: string }[] })
          .messages;
      },
      (messages) => messages.length === sent.length && messages.every((message) => message.state === "delivered"),
    );
    const byId = (a: { messageId: Hex }, b: { messageId: Hex }) => a.messageId.localeCompare(b.messageId);
    expect(recorded.map(({ messageId, transport }) => ({ messageId, transport })).sort(byId)).toEqual(
      sent.map((message) => ({ messageId: message.messageId, transport: routeOf(message) })).sort(byId),
    );
    expect(operatorExits).toEqual([]);
  });

  it("on SIGTERM every operator shuts down by itself: store and sockets to the nodes closed, no SIGKILL", async () => {
    expect(await operators.stop()).toEqual([]);
    for (const { logFile } of operators.operators) {
      expect(readFileSync(logFile, "utf8")).toContain("stopped: store closed, sockets to the nodes closed");
    }
  });
});
