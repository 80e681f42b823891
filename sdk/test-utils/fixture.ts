// TEST ONLY. The whole protocol on the three in-process Hardhat chains (hub, spoke A, spoke B), deployed the
// way test/helpers deploys it, described by a Deployment as a devnet would write it, with SDK clients on
// every chain and a relay over the TEST TRANSPORT (TestMessenger), which authenticates nothing.
import hre from "hardhat";
import {
  type Account,
  type Address,
  type Chain,
  type Client,
  createPublicClient,
  createWalletClient,
  custom,
  type Hex,
  keccak256,
  type PublicClient,
  parseUnits,
  type Transport,
  toHex,
  type WalletClient,
  zeroHash,
} from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { getContractEvents } from "viem/actions";
import { testMessengerAbi } from "../abi/generated.ts";
import { xmarginActions } from "../decorators/xmargin.ts";
import { type Deployment, parseDeployment, toViemChain } from "../deployments.ts";
import { SPEC_RISK_PARAMS } from "../risk/index.ts";
import { compilePermitToken } from "./permitToken.ts";

type Connection = Awaited<ReturnType<typeof hre.network.connect>>;
export type ChainName = "hub" | "spokeA" | "spokeB";

/** Hardhat's default accounts: the same mnemonic as anvil's and the devnet's. */
export const TEST_MNEMONIC = "test test test test test test test test test test test junk";
export const ACCOUNT_INDEX = { owner: 0, trader: 1, liquidator: 2, keeper: 3, lp: 4, other: 5 } as const;
export const WAD = 10n ** 18n;
export const wad = (value: string) => parseUnits(value, 18);
export const priceId = (name: string): Hex => keccak256(toHex(name));

/** How fast test clients poll: the in-process chains mine instantly. */
const POLLING_INTERVAL = 20;

const RISK_PARAMS = SPEC_RISK_PARAMS;

/** Risk assets of the hub, priced by feeds of the same name; WETH and WBTC have a volatility estimator. */
const ASSETS = {
  USDC: { id: 0, weightInit: "1", weightMaint: "1", price: "1", sigmaRef: 0n },
  WETH: { id: 1, weightInit: "0.80", weightMaint: "0.85", price: "3000", sigmaRef: wad("0.8") },
  WBTC: { id: 2, weightInit: "0.75", weightMaint: "0.80", price: "60000", sigmaRef: wad("0.6") },
} as const;
export type AssetName = keyof typeof ASSETS;

const MARKETS = {
  "ETH-PERP": { id: 0, lotSize: "0.001", feed: "WETH" },
  "BTC-PERP": { id: 1, lotSize: "0.0001", feed: "WBTC" },
} as const;

/** Collateral tokens per spoke: symbol, risk asset, decimals. Spoke B has a 2% bridge haircut. */
const SPOKE_TOKENS = {
  spokeA: [
    { symbol: "USDC", asset: "USDC", decimals: 6 },
    { symbol: "WETH", asset: "WETH", decimals: 18 },
  ],
  spokeB: [
    { symbol: "WETH", asset: "WETH", decimals: 18 },
    { symbol: "WBTC", asset: "WBTC", decimals: 8 },
  ],
} as const;
const HAIRCUTS = { spokeA: 0n, spokeB: wad("0.02") };

export interface FixtureOptions {
  /** Native fee every TestMessenger charges per message (wei); the SDK must quote and pay it. */
  messagingFee?: bigint;
  takerFee?: bigint;
  maxFundingRatePerSecond?: bigint;
  /** Also deploy PUSD, an ERC-2612 token on spoke A counted as USDC (compiles it: a few seconds). */
  permitToken?: boolean;
}

interface ChainHandle {
  name: ChainName;
  chainId: number;
  connection: Connection;
  chain: Chain;
  publicClient: PublicClient<Transport, Chain>;
  messenger: Address;
  /** Receiver of messages on this chain: the engine on the hub, the vault on a spoke. */
  receiver: Address;
}

async function connectChain(name: ChainName): Promise<Connection> {
  return hre.network.connect({ network: name });
}

export async function deployFixture(options: FixtureOptions = {}) {
  const messagingFee = options.messagingFee ?? 10n ** 12n;
  const connections = {
    hub: await connectChain("hub"),
    spokeA: await connectChain("spokeA"),
    spokeB: await connectChain("spokeB"),
  };
  const chainIds = {
    hub: Number(await (await connections.hub.viem.getPublicClient()).getChainId()),
    spokeA: Number(await (await connections.spokeA.viem.getPublicClient()).getChainId()),
    spokeB: Number(await (await connections.spokeB.viem.getPublicClient()).getChainId()),
  };
  const [owner] = await connections.hub.viem.getWalletClients();
  if (owner === undefined) throw new Error("no owner account");
  const ownerAddress = owner.account.address;

  // ---- hub: settle token, oracle and feeds, engine with its libraries
  const hubViem = connections.hub.viem;
  const hubMessenger = await hubViem.deployContract("TestMessenger", [ownerAddress]);
  await hubMessenger.write.setFee([messagingFee]);
  const usdc = await hubViem.deployContract("TestToken", ["USD Coin", "USDC", 6]);
  const oracle = await hubViem.deployContract("XmarginOracle", [ownerAddress, 3600n]);
  const feeds = {} as Record<AssetName, Address>;
  for (const [name, asset] of Object.entries(ASSETS) as [AssetName, (typeof ASSETS)[AssetName]][]) {
    const feed = await hubViem.deployContract("MockAggregatorV3", [8, parseUnits(asset.price, 8)]);
    feeds[name] = feed.address;
    await oracle.write.addPriceId([
      priceId(name),
      {
        kind: 0,
        source: feed.address,
        maxAge: 86_400,
        minInterval: 60,
        maxDeviation: WAD,
        underlyingId: zeroHash,
        volatility:
          asset.sigmaRef === 0n
            ? { sigmaRef: 0n, kMax: 0n, window: 0, rampDuration: 0 }
            : { sigmaRef: asset.sigmaRef, kMax: 4n * WAD, window: 86_400, rampDuration: 7_200 },
      },
    ]);
  }
  const libraries = {
    TradingLogic: (await hubViem.deployContract("TradingLogic")).address,
    LiquidationLogic: (await hubViem.deployContract("LiquidationLogic")).address,
    RiskViews: (await hubViem.deployContract("RiskViews")).address,
    ReleaseIntents: (await hubViem.deployContract("ReleaseIntents")).address,
  };
  const engine = await hubViem.deployContract(
    "MarginEngine",
    [ownerAddress, usdc.address, 6, oracle.address, hubMessenger.address],
    { libraries },
  );
  await engine.write.setRiskParams([RISK_PARAMS]);
  for (const [name, asset] of Object.entries(ASSETS)) {
    await engine.write.configureAsset([
      BigInt(asset.id),
      {
        priceId: priceId(name),
        weightInit: wad(asset.weightInit),
        weightMaint: wad(asset.weightMaint),
        sizeFactor: 0n,
      },
    ]);
  }
  for (const market of Object.values(MARKETS)) {
    await engine.write.configureMarket([
      BigInt(market.id),
      {
        priceId: priceId(market.feed),
        marginInit: wad("0.05"),
        marginMaint: wad("0.03"),
        sizeFactor: 0n,
        takerFee: options.takerFee ?? 0n,
        lotSize: wad(market.lotSize),
        openInterestCap: wad("1000000"),
        maxFundingRatePerSecond: options.maxFundingRatePerSecond ?? 0n,
        skewScale: wad("1000"),
      },
    ]);
  }

  // ---- spokes: messenger, vault, tokens; each token enabled on the engine as its risk asset
  const spokeTokens: Record<"spokeA" | "spokeB", Record<string, { address: Address; decimals: number }>> = {
    spokeA: {},
    spokeB: {},
  };
  const spokeContracts = {} as Record<"spokeA" | "spokeB", { vault: Address; messenger: Address }>;
  for (const spoke of ["spokeA", "spokeB"] as const) {
    const { viem } = connections[spoke];
    const chainId = BigInt(chainIds[spoke]);
    await engine.write.registerSpoke([chainId, HAIRCUTS[spoke]]);
    const messenger = await viem.deployContract("TestMessenger", [ownerAddress]);
    await messenger.write.setFee([messagingFee]);
    const vault = await viem.deployContract("CollateralVault", [ownerAddress, BigInt(chainIds.hub), messenger.address]);
    // The vault pays the reports it sends after executing hub commands.
    const [spokeOwner] = await viem.getWalletClients();
    await spokeOwner?.sendTransaction({ to: vault.address, value: parseUnits("1", 18) });
    spokeContracts[spoke] = { vault: vault.address, messenger: messenger.address };
    const tokens: { symbol: string; asset: AssetName; decimals: number; address?: Address }[] = [
      ...SPOKE_TOKENS[spoke],
    ];
    if (spoke === "spokeA" && options.permitToken) {
      const permit = await compilePermitToken();
      const hash = await spokeOwner?.deployContract({ abi: permit.abi, bytecode: permit.bytecode });
      const receipt = await (await viem.getPublicClient()).waitForTransactionReceipt({ hash: hash as Hex });
      tokens.push({ symbol: "PUSD", asset: "USDC", decimals: 6, address: receipt.contractAddress as Address });
    }
    for (const token of tokens) {
      const address =
        token.address ?? (await viem.deployContract("TestToken", [token.symbol, token.symbol, token.decimals])).address;
      await vault.write.configureAsset([address, true, token.decimals]);
      await engine.write.configureCollateralToken([chainId, address, ASSETS[token.asset].id, token.decimals, true]);
      spokeTokens[spoke][token.symbol] = { address, decimals: token.decimals };
    }
  }

  const deployment: Deployment = parseDeployment({
    network: "in-process",
    mnemonic: TEST_MNEMONIC,
    hub: {
      name: "hub",
      chainId: chainIds.hub,
      rpcUrl: "http://in-process.invalid/hub",
      contracts: { engine: engine.address, oracle: oracle.address, messenger: hubMessenger.address },
      tokens: { USDC: { address: usdc.address, decimals: 6 } },
      markets: Object.fromEntries(Object.entries(MARKETS).map(([name, market]) => [name, { id: market.id }])),
    },
    spokes: (["spokeA", "spokeB"] as const).map((spoke) => ({
      name: spoke,
      chainId: chainIds[spoke],
      rpcUrl: `http://in-process.invalid/${spoke}`,
      contracts: spokeContracts[spoke],
      tokens: spokeTokens[spoke],
    })),
  });

  const handles = {} as Record<ChainName, ChainHandle>;
  for (const name of ["hub", "spokeA", "spokeB"] as const) {
    const chain = toViemChain(
      name === "hub"
        ? deployment.hub
        : (deployment.spokes.find((s) => s.name === name) as Deployment["spokes"][number]),
      deployment.network,
    );
    handles[name] = {
      name,
      chainId: chainIds[name],
      connection: connections[name],
      chain,
      publicClient: createPublicClient({
        chain,
        transport: custom(connections[name].provider, { retryCount: 0 }),
        pollingInterval: POLLING_INTERVAL,
      }),
      messenger: name === "hub" ? hubMessenger.address : spokeContracts[name].messenger,
      receiver: name === "hub" ? engine.address : spokeContracts[name].vault,
    };
  }
  const chainClients: Record<number, Client> = Object.fromEntries(
    Object.values(handles).map((handle) => [handle.chainId, handle.publicClient]),
  );

  /** A wallet client of dev account `index` on `chain`, signing locally like an SDK user would. */
  const walletClient = (chain: ChainName, index: number): WalletClient<Transport, Chain, Account> =>
    createWalletClient({
      account: mnemonicToAccount(TEST_MNEMONIC, { addressIndex: index }),
      chain: handles[chain].chain,
      // No retries: the in-process chain never drops a request, and a revert must fail at once.
      transport: custom(handles[chain].connection.provider, { retryCount: 0 }),
      pollingInterval: POLLING_INTERVAL,
    });

  /** `walletClient` extended with every xmargin action, reading the other chains in process. */
  const sdkClient = (chain: ChainName, index: number = ACCOUNT_INDEX.trader) =>
    walletClient(chain, index).extend(xmarginActions({ deployment, chainClients }));

  const relay = new TestTransportRelay(Object.values(handles));
  await relay.flush();

  const feedAt = async (asset: AssetName) => hubViem.getContractAt("MockAggregatorV3", feeds[asset]);
  return {
    deployment,
    chains: handles,
    chainClients,
    walletClient,
    sdkClient,
    relay,
    engine,
    oracle,
    /** Moves the feed of `asset` (and every market priced by it). */
    setPrice: async (asset: AssetName, price: string) => (await feedAt(asset)).write.setAnswer([parseUnits(price, 8)]),
    /** Mints `amount` (token units) of a token listed in the deployment on `chain` to `to`. */
    mint: async (chain: ChainName, symbol: string, to: Address, amount: bigint) => {
      const tokens = chain === "hub" ? deployment.hub.tokens : spokeTokens[chain];
      const token = tokens[symbol];
      if (token === undefined) throw new Error(`no ${symbol} on ${chain}`);
      const contract = await connections[chain].viem.getContractAt("TestToken", token.address);
      await contract.write.mint([to, amount]);
    },
    /** Sets the timestamp of the next block of `chain`. */
    setNextBlockTimestamp: (chain: ChainName, timestamp: bigint) =>
      connections[chain].networkHelpers.time.setNextBlockTimestamp(timestamp),
    address: (index: number) => mnemonicToAccount(TEST_MNEMONIC, { addressIndex: index }).address,
  };
}

export type Fixture = Awaited<ReturnType<typeof deployFixture>>;

/**
 * TEST RELAY over TestMessenger: carries every `TestMessageSent` of one chain to its destination's receiver,
 * in order. A stand-in for LayerZero and Hyperlane, so the SDK's cross-chain actions can be exercised.
 */
export class TestTransportRelay {
  private readonly byChainId: Map<number, ChainHandle>;
  private readonly cursor = new Map<number, bigint>();

  constructor(chains: ChainHandle[]) {
    this.byChainId = new Map(chains.map((chain) => [chain.chainId, chain]));
  }

  /** Delivers every message sent since the last call, repeating until no chain has anything left. */
  async flush(): Promise<number> {
    let delivered = 0;
    for (;;) {
      let round = 0;
      for (const chain of this.byChainId.values()) round += await this.flushChain(chain);
      if (round === 0) return delivered;
      delivered += round;
    }
  }

  private async flushChain(source: ChainHandle): Promise<number> {
    // Uncached: a head cached from before the last transaction would hide its messages from this flush.
    const head = await source.publicClient.getBlockNumber({ cacheTime: 0 });
    const from = this.cursor.get(source.chainId) ?? 0n;
    if (from > head) return 0;
    this.cursor.set(source.chainId, head + 1n);
    const events = await getContractEvents(source.publicClient, {
      address: source.messenger,
      abi: testMessengerAbi,
      eventName: "TestMessageSent",
      fromBlock: from,
      toBlock: head,
    });
    for (const event of events) {
      const destination = this.byChainId.get(Number(event.args.destination));
      if (destination === undefined) throw new Error(`no chain ${event.args.destination}`);
      const messenger = await destination.connection.viem.getContractAt("TestMessenger", destination.messenger);
      await messenger.write.deliver([destination.receiver, BigInt(source.chainId), event.args.message as Hex]);
    }
    return events.length;
  }
}
