// Dual mode on the in-process hub, spoke A and spoke B: the whole protocol deployed by deployProtocol with
// both spokes routed over LayerZero AND Hyperlane, relayed by the devnet relay (the real delivery engines,
// 2-of-3 operators), and the reads and sends the dual-mode tests make. Shared by the dual suite and the
// adversarial catalogue (test/adversarial).
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
import { DEFAULT_DEVNET_MNEMONIC } from "../../../relayer/devnet/launcher.ts";
import { localDigestSigner } from "../../../relayer/engine/signer.ts";
import type { DeployerChain } from "../../../relayer/infra/chain-deployer.ts";
import { deployProtocol } from "../../../relayer/infra/protocol.ts";
import { messageRouterAbi } from "../../../relayer/infra/protocol-abi.ts";
import { collateralVaultAbi, marginEngineAbi } from "../../../sdk/abi/index.ts";
import { type Connection, connect } from "../../helpers/chains.ts";
import { ProtocolRelay, type RelayedMessage } from "../../helpers/protocol-relay.ts";

type ChainName = "hub" | "spokeA" | "spokeB";
type SpokeName = "spokeA" | "spokeB";
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

/** What both gateways inherit from TransportGateway: the owner-set sender, quotes and sends. */
const transportGatewayAbi = parseAbi([
  "function setSender(address newSender)",
  "function quote(uint64 destination, bytes message) view returns (uint256 fee)",
  "function send(uint64 destination, bytes message, address refundTo) payable returns (bytes32 messageId)",
]);

/** The router's dual-mode key of a message: keccak256(abi.encode(origin, message)). */
const dualKey = (origin: number, message: Hex): Hex =>
  keccak256(encodeAbiParameters([{ type: "uint64" }, { type: "bytes" }], [BigInt(origin), message]));

/** One line per relayed message: transport, route, type and outcome. */
export const summary = (messages: readonly RelayedMessage[]) =>
  messages.map((message) => `${message.transport} ${message.from}→${message.to} ${message.type} ${message.status}`);

export type DualWorld = Awaited<ReturnType<typeof deployDualWorld>>;

export async function deployDualWorld() {
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
  /** A relay of the 2-of-3 operators, delivering from the given wallet on each chain. */
  const relayFrom = (wallets: Record<ChainName, DeployerChain["walletClient"]>) =>
    new ProtocolRelay({
      protocol,
      chains: CHAIN_NAMES.map((name) => ({
        chainId: chains[name].chainId,
        publicClient: chains[name].publicClient,
        walletClient: wallets[name],
      })),
      operatorSigners,
    });
  const relay = relayFrom(operatorWallets);
  const traderWallet = (await connections.hub.viem.getWalletClients())[TRADER_INDEX];
  if (!traderWallet) throw new Error("no trader account");
  const trader: Address = traderWallet.account.address;

  const spokeRecord = (name: SpokeName) => {
    const spoke = protocol.spokes.find((candidate) => candidate.name === name);
    if (!spoke) throw new Error(`no ${name}`);
    return spoke;
  };
  /** The hub router's dual-mode state of `message` from `origin`: 1 LayerZero, 2 Hyperlane, 3 both. */
  const hubRouterState = (message: Hex, origin: number) =>
    chains.hub.publicClient.readContract({
      address: protocol.hub.contracts.router,
      abi: messageRouterAbi,
      functionName: "dualDeliveries",
      args: [dualKey(origin, message)],
    });
  const countedCollateral = async () => {
    const [entries, counted] = await chains.hub.publicClient.readContract({
      address: protocol.hub.contracts.engine,
      abi: marginEngineAbi,
      functionName: "collateralOf",
      args: [trader],
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
          ? [chains[chain].publicClient.getTransactionReceipt({ hash: message.transactionHash })]
          : [],
      ),
    );
  const routerEvents = (receipts: readonly TransactionReceipt[]) =>
    parseEventLogs({
      abi: messageRouterAbi,
      logs: receipts.flatMap((receipt) => receipt.logs),
    }).filter((log) => log.address.toLowerCase() === protocol.hub.contracts.router.toLowerCase());
  const engineEvents = (receipts: readonly TransactionReceipt[]) =>
    parseEventLogs({ abi: marginEngineAbi, logs: receipts.flatMap((receipt) => receipt.logs) }).filter(
      (log) => log.eventName === "BalanceReportApplied" || log.eventName === "BalanceReportIgnored",
    );

  /** Deposits `amount` of the spoke's USDC for the trader, locked as margin; returns the report it sent. */
  async function deposit(name: SpokeName, amount: string): Promise<Hex> {
    const spoke = spokeRecord(name);
    const usdc = await connections[name].viem.getContractAt("TestToken", spoke.tokens.USDC?.address as Address);
    const vault = await connections[name].viem.getContractAt("CollateralVault", spoke.contracts.vault);
    const units = parseUnits(amount, 6);
    await usdc.write.mint([trader, units]);
    await usdc.write.approve([vault.address, units], { account: trader });
    const hash = await vault.write.deposit([usdc.address, units, true], {
      account: trader,
      value: parseEther("0.01"),
    });
    const receipt = await chains[name].publicClient.getTransactionReceipt({ hash });
    const [sent] = parseEventLogs({ abi: collateralVaultAbi, eventName: "MessageSent", logs: receipt.logs });
    if (!sent) throw new Error("the deposit sent no report");
    return sent.args.message;
  }

  /**
   * Sends raw bytes through one of `name`'s gateways, its owner standing in for the router (a compromised
   * sender, or a transport whose verifiers carry something else), then gives the gateway back to the router.
   */
  async function sendThroughGateway(
    name: SpokeName,
    transport: "layerzero" | "hyperlane",
    message: Hex,
  ): Promise<void> {
    const spoke = spokeRecord(name);
    const { publicClient, walletClient } = chains[name];
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
    const hub = BigInt(protocol.hub.chainId);
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

  return {
    protocol,
    relay,
    relayFrom,
    /** The deployer's wallet on each chain: a second relayer, apart from the operators'. */
    ownerWallets: Object.fromEntries(CHAIN_NAMES.map((name) => [name, chains[name].walletClient])) as Record<
      ChainName,
      DeployerChain["walletClient"]
    >,
    connections,
    chains,
    trader,
    spokeRecord,
    hubRouterState,
    countedCollateral,
    receiptsOf,
    routerEvents,
    engineEvents,
    deposit,
    sendThroughGateway,
  };
}
