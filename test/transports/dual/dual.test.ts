// Dual mode on the in-process hub, spoke A and spoke B: the whole protocol deployed by deployProtocol with
// both spokes routed over LayerZero AND Hyperlane, relayed by the devnet relay (the real delivery engines,
// 2-of-3 operators). A message applies only once both transports delivered the same bytes.
import {
  type Address,
  encodeAbiParameters,
  type Hex,
  keccak256,
  parseAbi,
  parseEther,
  parseEventLogs,
  parseUnits,
  type TransactionReceipt,
} from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DEVNET_MNEMONIC } from "../../../relayer/devnet/launcher.ts";
import { ProtocolRelay, type RelayedMessage } from "../../../relayer/devnet/relay.ts";
import { localDigestSigner } from "../../../relayer/engine/signer.ts";
import type { DeployerChain } from "../../../relayer/infra/chain-deployer.ts";
import { deployProtocol, type ProtocolDeployment } from "../../../relayer/infra/protocol.ts";
import { messageRouterAbi } from "../../../relayer/infra/protocol-abi.ts";
import { collateralVaultAbi, marginEngineAbi } from "../../../sdk/abi/index.ts";
import { encodeMessage } from "../../../sdk/codec/index.ts";
import { type Connection, connect } from "../../helpers/chains.ts";

type ChainName = "hub" | "spokeA" | "spokeB";
const CHAIN_NAMES: readonly ChainName[] = ["hub", "spokeA", "spokeB"];
/** Hardhat's accounts: 0 deploys and owns, 1 trades, 5–7 are the operators (their keys sign, 5 delivers). */
const TRADER_INDEX = 1;
const OPERATOR_INDICES = [5, 6, 7] as const;
const THRESHOLD = 2;

const operatorKey = (index: number): Hex => {
  const key = mnemonicToAccount(DEFAULT_DEVNET_MNEMONIC, { addressIndex: index }).getHdKey().privateKey;
  if (!key) throw new Error(`no key for account ${index}`);
  return `0x${Buffer.from(key).toString("hex")}`;
};

interface World {
  protocol: ProtocolDeployment;
  relay: ProtocolRelay;
  connections: Record<ChainName, Connection>;
  chains: Record<ChainName, DeployerChain>;
  trader: Address;
}

async function deployDualWorld(): Promise<World> {
  const connections = {} as Record<ChainName, Connection>;
  const chains = {} as Record<ChainName, DeployerChain>;
  const operatorWallets = {} as Record<ChainName, DeployerChain["walletClient"]>;
  for (const name of CHAIN_NAMES) {
    const connection = await connect(name);
    const wallets = await connection.viem.getWalletClients();
    const [owner] = wallets;
    const operator = wallets[OPERATOR_INDICES[0]];
    if (!owner || !operator) throw new Error(`${name}: not enough accounts`);
    const publicClient = await connection.viem.getPublicClient();
    connections[name] = connection;
    chains[name] = { name, chainId: await publicClient.getChainId(), publicClient, walletClient: owner };
    operatorWallets[name] = operator;
  }
  const operatorSigners = OPERATOR_INDICES.map((index) => localDigestSigner(operatorKey(index)));
  const protocol = await deployProtocol({
    hub: chains.hub,
    spokes: [chains.spokeA, chains.spokeB],
    operators: operatorSigners.map((signer) => signer.address),
    threshold: THRESHOLD,
    routes: { spokeA: "dual", spokeB: "dual" },
  });
  const relay = new ProtocolRelay({
    protocol,
    chains: CHAIN_NAMES.map((name) => ({
      chainId: chains[name].chainId,
      publicClient: chains[name].publicClient,
      walletClient: operatorWallets[name],
    })),
    operatorSigners,
  });
  const trader = (await connections.hub.viem.getWalletClients())[TRADER_INDEX]?.account.address;
  if (!trader) throw new Error("no trader account");
  return { protocol, relay, connections, chains, trader };
}

/** What both gateways inherit from TransportGateway: the owner-set sender, quotes and sends. */
const transportGatewayAbi = parseAbi([
  "function setSender(address newSender)",
  "function quote(uint64 destination, bytes message) view returns (uint256 fee)",
  "function send(uint64 destination, bytes message, address refundTo) payable returns (bytes32 messageId)",
]);

/** The router's dual-mode key of a message: keccak256(abi.encode(origin, message)). */
const dualKey = (origin: number, message: Hex): Hex =>
  keccak256(encodeAbiParameters([{ type: "uint64" }, { type: "bytes" }], [BigInt(origin), message]));

const summary = (messages: readonly RelayedMessage[]) =>
  messages.map((message) => `${message.transport} ${message.from}→${message.to} ${message.type} ${message.status}`);

describe("dual mode: LayerZero and Hyperlane must both deliver the same bytes", () => {
  let world: World;
  /** The first deposit's report, as spoke A's vault sent it. */
  let firstReport: Hex;

  const spokeRecord = (name: "spokeA" | "spokeB") => {
    const spoke = world.protocol.spokes.find((candidate) => candidate.name === name);
    if (!spoke) throw new Error(`no ${name}`);
    return spoke;
  };
  const hubRouterState = (message: Hex, origin: number) =>
    world.chains.hub.publicClient.readContract({
      address: world.protocol.hub.contracts.router,
      abi: messageRouterAbi,
      functionName: "dualDeliveries",
      args: [dualKey(origin, message)],
    });
  const countedCollateral = async () => {
    const [entries, counted] = await world.chains.hub.publicClient.readContract({
      address: world.protocol.hub.contracts.engine,
      abi: marginEngineAbi,
      functionName: "collateralOf",
      args: [world.trader],
    });
    return entries.map((entry, index) => ({
      chainId: Number(entry.chainId),
      asset: entry.asset,
      counted: counted[index],
    }));
  };
  const receiptsOf = (chain: ChainName, messages: readonly RelayedMessage[]) =>
    Promise.all(
      messages.flatMap((message) =>
        message.transactionHash
          ? [world.chains[chain].publicClient.getTransactionReceipt({ hash: message.transactionHash })]
          : [],
      ),
    );
  const routerEvents = (receipts: readonly TransactionReceipt[]) =>
    parseEventLogs({
      abi: messageRouterAbi,
      logs: receipts.flatMap((receipt) => receipt.logs),
    }).filter((log) => log.address.toLowerCase() === world.protocol.hub.contracts.router.toLowerCase());
  const engineEvents = (receipts: readonly TransactionReceipt[]) =>
    parseEventLogs({ abi: marginEngineAbi, logs: receipts.flatMap((receipt) => receipt.logs) }).filter(
      (log) => log.eventName === "BalanceReportApplied" || log.eventName === "BalanceReportIgnored",
    );

  /** Deposits `amount` of the spoke's USDC for the trader, locked as margin; returns the report it sent. */
  async function deposit(name: "spokeA" | "spokeB", amount: string): Promise<Hex> {
    const spoke = spokeRecord(name);
    const usdc = await world.connections[name].viem.getContractAt("TestToken", spoke.tokens.USDC?.address as Address);
    const vault = await world.connections[name].viem.getContractAt("CollateralVault", spoke.contracts.vault);
    const units = parseUnits(amount, 6);
    await usdc.write.mint([world.trader, units]);
    await usdc.write.approve([vault.address, units], { account: world.trader });
    const hash = await vault.write.deposit([usdc.address, units, true], {
      account: world.trader,
      value: parseEther("0.01"),
    });
    const receipt = await world.chains[name].publicClient.getTransactionReceipt({ hash });
    const [sent] = parseEventLogs({ abi: collateralVaultAbi, eventName: "MessageSent", logs: receipt.logs });
    if (!sent) throw new Error("the deposit sent no report");
    return sent.args.message;
  }

  /**
   * Sends raw bytes through one of `name`'s gateways, its owner standing in for the router (a compromised
   * sender, or a transport whose verifiers carry something else), then gives the gateway back to the router.
   */
  async function sendThroughGateway(
    name: "spokeA" | "spokeB",
    transport: "layerzero" | "hyperlane",
    message: Hex,
  ): Promise<void> {
    const spoke = spokeRecord(name);
    const { publicClient, walletClient } = world.chains[name];
    const gateway = {
      address: transport === "layerzero" ? spoke.contracts.layerZeroGateway : spoke.contracts.hyperlaneGateway,
      abi: transportGatewayAbi,
    } as const;
    const confirm = async (hash: Hex) => {
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
    };
    const setSender = async (sender: Address) =>
      confirm(
        await walletClient.writeContract({
          ...gateway,
          functionName: "setSender",
          args: [sender],
          account: walletClient.account,
          chain: walletClient.chain,
        }),
      );
    const hub = BigInt(world.protocol.hub.chainId);
    await setSender(walletClient.account.address);
    try {
      const fee = await publicClient.readContract({ ...gateway, functionName: "quote", args: [hub, message] });
      await confirm(
        await walletClient.writeContract({
          ...gateway,
          functionName: "send",
          args: [hub, message, walletClient.account.address],
          value: fee,
          account: walletClient.account,
          chain: walletClient.chain,
        }),
      );
    } finally {
      await setSender(spoke.contracts.router);
    }
  }

  beforeAll(async () => {
    world = await deployDualWorld();
  });

  it("routes both spokes over both transports, on the hub and on the spokes", async () => {
    const { hub } = world.protocol;
    for (const spoke of world.protocol.spokes) {
      expect(
        await world.chains.hub.publicClient.readContract({
          address: hub.contracts.router,
          abi: messageRouterAbi,
          functionName: "routeOf",
          args: [BigInt(spoke.chainId)],
        }),
      ).toBe(3);
      expect(
        await world.chains[spoke.name as ChainName].publicClient.readContract({
          address: spoke.contracts.router,
          abi: messageRouterAbi,
          functionName: "routeOf",
          args: [BigInt(hub.chainId)],
        }),
      ).toBe(3);
    }
  });

  it("a deposit report arrives over LayerZero, waits, and applies only when Hyperlane delivers it too", async () => {
    const spokeA = spokeRecord("spokeA");
    firstReport = await deposit("spokeA", "5000");

    const overLayerZero = await world.relay.flush(["layerzero"]);
    expect(summary(overLayerZero)).toEqual(["layerzero spokeA→hub BalanceReport delivered"]);
    const pendingEvents = routerEvents(await receiptsOf("hub", overLayerZero));
    expect(pendingEvents.map((event) => event.eventName)).toEqual(["DualDeliveryPending"]);
    expect(await hubRouterState(firstReport, spokeA.chainId)).toBe(1);
    // One transport alone: the hub has not seen the collateral.
    expect(engineEvents(await receiptsOf("hub", overLayerZero))).toEqual([]);
    expect(await countedCollateral()).toEqual([]);

    const overHyperlane = await world.relay.flush(["hyperlane"]);
    expect(summary(overHyperlane)).toEqual(["hyperlane spokeA→hub BalanceReport delivered"]);
    expect(engineEvents(await receiptsOf("hub", overHyperlane)).map((event) => event.eventName)).toEqual([
      "BalanceReportApplied",
    ]);
    expect(await hubRouterState(firstReport, spokeA.chainId)).toBe(3);
    expect(await countedCollateral()).toEqual([
      { chainId: spokeA.chainId, asset: spokeA.tokens.USDC?.address, counted: parseUnits("5000", 6) },
    ]);
  });

  it("the order does not matter: Hyperlane first, then LayerZero", async () => {
    const spokeB = spokeRecord("spokeB");
    const report = await deposit("spokeB", "700");
    expect(summary(await world.relay.flush(["hyperlane"]))).toEqual(["hyperlane spokeB→hub BalanceReport delivered"]);
    expect(await hubRouterState(report, spokeB.chainId)).toBe(2);
    expect((await countedCollateral()).some((entry) => entry.chainId === spokeB.chainId)).toBe(false);

    expect(summary(await world.relay.flush(["layerzero"]))).toEqual(["layerzero spokeB→hub BalanceReport delivered"]);
    expect(await hubRouterState(report, spokeB.chainId)).toBe(3);
    expect((await countedCollateral()).find((entry) => entry.chainId === spokeB.chainId)?.counted).toBe(
      parseUnits("700", 6),
    );
  });

  it("mismatched payloads never apply: a tampered report on LayerZero, another on Hyperlane", async () => {
    const spokeA = spokeRecord("spokeA");
    const before = await countedCollateral();
    const vaultBalance = await world.chains.spokeA.publicClient.readContract({
      address: spokeA.contracts.vault,
      abi: collateralVaultAbi,
      functionName: "balanceOf",
      args: [world.trader, spokeA.tokens.USDC?.address as Address],
    });
    // Both claim the vault's next seq, so the engine would accept either one; only the amounts differ.
    const forged = (locked: string) =>
      encodeMessage({
        type: "BalanceReport",
        origin: BigInt(spokeA.chainId),
        destination: BigInt(world.protocol.hub.chainId),
        account: world.trader,
        asset: spokeA.tokens.USDC?.address as Address,
        total: parseUnits(locked, 6),
        locked: parseUnits(locked, 6),
        seq: BigInt(vaultBalance.seq + 1),
        lastCommandNonce: 0n,
      });
    const overLayerZero = forged("1000000");
    const overHyperlane = forged("2000000");
    await sendThroughGateway("spokeA", "layerzero", overLayerZero);
    await sendThroughGateway("spokeA", "hyperlane", overHyperlane);

    const relayed = await world.relay.flush();
    expect(summary(relayed)).toEqual([
      "layerzero spokeA→hub BalanceReport delivered",
      "hyperlane spokeA→hub BalanceReport delivered",
    ]);
    const receipts = await receiptsOf("hub", relayed);
    // Each transport's bytes wait under their own key, for a partner that never comes.
    const pending = routerEvents(receipts).map((event) =>
      event.eventName === "DualDeliveryPending" ? event.args.deliveredVia : event.eventName,
    );
    expect(pending).toEqual([1, 2]);
    expect(routerEvents(receipts).map((event) => event.eventName)).toEqual([
      "DualDeliveryPending",
      "DualDeliveryPending",
    ]);
    expect(await hubRouterState(overLayerZero, spokeA.chainId)).toBe(1);
    expect(await hubRouterState(overHyperlane, spokeA.chainId)).toBe(2);
    expect(engineEvents(receipts)).toEqual([]);
    expect(await countedCollateral()).toEqual(before);

    // The vault's genuine next report (same seq) still applies over both transports.
    await deposit("spokeA", "1");
    await world.relay.flush();
    expect((await countedCollateral()).find((entry) => entry.chainId === spokeA.chainId)?.counted).toBe(
      parseUnits("5001", 6),
    );
  });

  it("replays after application change nothing: at the transports, and at the router", async () => {
    const spokeA = spokeRecord("spokeA");
    const before = await countedCollateral();

    // Another relay over the same logs: every message is already delivered on both transports.
    const secondRelay = new ProtocolRelay({
      protocol: world.protocol,
      chains: CHAIN_NAMES.map((name) => ({
        chainId: world.chains[name].chainId,
        publicClient: world.chains[name].publicClient,
        walletClient: world.chains[name].walletClient,
      })),
      operatorSigners: OPERATOR_INDICES.map((index) => localDigestSigner(operatorKey(index))),
    });
    const replayed = await secondRelay.pass();
    expect(replayed.length).toBeGreaterThan(0);
    expect(replayed.every((message) => message.status === "alreadyDelivered")).toBe(true);

    // The applied report's exact bytes, sent again as new transport messages on both transports.
    await sendThroughGateway("spokeA", "layerzero", firstReport);
    await sendThroughGateway("spokeA", "hyperlane", firstReport);
    const relayed = await world.relay.flush();
    expect(summary(relayed)).toEqual([
      "layerzero spokeA→hub BalanceReport delivered",
      "hyperlane spokeA→hub BalanceReport delivered",
    ]);
    const receipts = await receiptsOf("hub", relayed);
    expect(routerEvents(receipts).map((event) => event.eventName)).toEqual([
      "DualDeliveryIgnored",
      "DualDeliveryIgnored",
    ]);
    expect(engineEvents(receipts)).toEqual([]);
    expect(await hubRouterState(firstReport, spokeA.chainId)).toBe(3);
    expect(await countedCollateral()).toEqual(before);
  });

  it("a release in dual mode pays once both transports carried it; the second delivery runs it within its gas", async () => {
    const spokeA = spokeRecord("spokeA");
    const usdc = spokeA.tokens.USDC?.address as Address;
    const engine = await world.connections.hub.viem.getContractAt("MarginEngine", world.protocol.hub.contracts.engine);
    const token = await world.connections.spokeA.viem.getContractAt("TestToken", usdc);
    const walletBefore = await token.read.balanceOf([world.trader]);
    await engine.write.requestRelease([BigInt(spokeA.chainId), usdc, parseUnits("1000", 6), world.trader], {
      account: world.trader,
      value: parseEther("0.05"),
    });

    const commandOverHyperlane = await world.relay.pass(["hyperlane"]);
    expect(summary(commandOverHyperlane)).toEqual(["hyperlane hub→spokeA Release delivered"]);
    expect(await token.read.balanceOf([world.trader])).toBe(walletBefore);

    // LayerZero's executor runs lzReceive with exactly the gas the hub paid for: that delivery executes the
    // release, pays the trader and sends the acknowledging report over both transports.
    const commandOverLayerZero = await world.relay.pass(["layerzero"]);
    expect(summary(commandOverLayerZero)).toEqual(["layerzero hub→spokeA Release delivered"]);
    expect((await token.read.balanceOf([world.trader])) - walletBefore).toBe(parseUnits("1000", 6));

    const reports = await world.relay.flush();
    expect(summary(reports)).toEqual([
      "layerzero spokeA→hub BalanceReport delivered",
      "hyperlane spokeA→hub BalanceReport delivered",
    ]);
    const [entries] = await engine.read.collateralOf([world.trader]);
    expect(entries.every((entry) => entry.pendingDecrease === 0n)).toBe(true);
    console.info(
      "dual-mode delivery gas (whole transactions):",
      [...commandOverHyperlane, ...commandOverLayerZero, ...reports].map(
        (message) => `${message.transport} ${message.type} ${message.gasUsed}`,
      ),
    );
  });
});
