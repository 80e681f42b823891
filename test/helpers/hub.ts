import { type Address, type Hex, keccak256, parseUnits, toHex } from "viem";
import { CHAIN_IDS } from "../../sdk/chains.ts";
import { encodeMessage } from "../../sdk/codec/index.ts";
import { SPEC_RISK_PARAMS } from "../../sdk/risk/index.ts";
import type { Connection } from "./chains.ts";

export const WAD = 10n ** 18n;
export const wad = (value: string) => parseUnits(value, 18);
export const priceId = (name: string): Hex => keccak256(toHex(name));

/** The hub's view of the spokes in tests: spokeA and spokeB plus a third chain with the spec's haircuts. */
export const SPOKE_A = BigInt(CHAIN_IDS.spokeA);
export const SPOKE_B = BigInt(CHAIN_IDS.spokeB);
export const SPOKE_C = BigInt(CHAIN_IDS.spokeB + 1);
export const HUB = BigInt(CHAIN_IDS.hub);

export { SPEC_RISK_PARAMS };

export const ASSETS = {
  USDC: { id: 0, weightInit: wad("1"), weightMaint: wad("1"), price: "1" },
  WETH: { id: 1, weightInit: wad("0.80"), weightMaint: wad("0.85"), price: "3000" },
  WBTC: { id: 2, weightInit: wad("0.75"), weightMaint: wad("0.80"), price: "60000" },
} as const;

export const MARKETS = {
  "ETH-PERP": { id: 0n, lotSize: wad("0.001"), feed: "WETH" },
  "BTC-PERP": { id: 1n, lotSize: wad("0.0001"), feed: "WBTC" },
} as const;

export type AssetName = keyof typeof ASSETS;

export interface HubOptions {
  takerFee?: bigint;
  maxFundingRatePerSecond?: bigint;
  openInterestCap?: bigint;
}

/** Deploys the hub: settle token, oracle with mock Chainlink feeds, the engine and its linked libraries. */
export async function deployHub(connection: Connection, options: HubOptions = {}) {
  const [owner, trader, liquidator, keeper, lp] = await connection.viem.getWalletClients();
  if (!owner || !trader || !liquidator || !keeper || !lp) throw new Error("need five accounts");
  const publicClient = await connection.viem.getPublicClient();
  const { viem } = connection;

  const messenger = await viem.deployContract("TestMessenger", [owner.account.address]);
  const usdc = await viem.deployContract("TestToken", ["USD Coin", "USDC", 6]);
  const oracle = await viem.deployContract("XmarginOracle", [owner.account.address, 3600n]);
  const feeds = {} as Record<AssetName, Awaited<ReturnType<typeof deployFeed>>>;
  async function deployFeed(price: string) {
    return viem.deployContract("MockAggregatorV3", [8, parseUnits(price, 8)]);
  }
  for (const [name, asset] of Object.entries(ASSETS) as [AssetName, (typeof ASSETS)[AssetName]][]) {
    feeds[name] = await deployFeed(asset.price);
    await oracle.write.addPriceId([
      priceId(name),
      {
        kind: 0,
        source: feeds[name].address,
        maxAge: 3600,
        minInterval: 60,
        maxDeviation: WAD,
        underlyingId: `0x${"00".repeat(32)}`,
        volatility: { sigmaRef: 0n, kMax: WAD, window: 60, rampDuration: 0 },
      },
    ]);
  }

  const libraries = {
    TradingLogic: (await viem.deployContract("TradingLogic")).address,
    LiquidationLogic: (await viem.deployContract("LiquidationLogic")).address,
    RiskViews: (await viem.deployContract("RiskViews")).address,
    ReleaseIntents: (await viem.deployContract("ReleaseIntents")).address,
  };
  const engine = await viem.deployContract(
    "MarginEngine",
    [owner.account.address, usdc.address, 6, oracle.address, messenger.address],
    { libraries },
  );

  await engine.write.setRiskParams([SPEC_RISK_PARAMS]);
  await engine.write.registerSpoke([SPOKE_A, 0n]);
  await engine.write.registerSpoke([SPOKE_B, wad("0.02")]);
  await engine.write.registerSpoke([SPOKE_C, wad("0.05")]);
  for (const [name, asset] of Object.entries(ASSETS)) {
    await engine.write.configureAsset([
      BigInt(asset.id),
      { priceId: priceId(name), weightInit: asset.weightInit, weightMaint: asset.weightMaint, sizeFactor: 0n },
    ]);
  }
  for (const [name, market] of Object.entries(MARKETS)) {
    await engine.write.configureMarket([
      market.id,
      {
        priceId: priceId(market.feed),
        marginInit: wad("0.05"),
        marginMaint: wad("0.03"),
        sizeFactor: 0n,
        takerFee: options.takerFee ?? 0n,
        lotSize: market.lotSize,
        openInterestCap: options.openInterestCap ?? wad("1000000"),
        maxFundingRatePerSecond: options.maxFundingRatePerSecond ?? 0n,
        skewScale: wad("1000"),
      },
    ]);
    void name;
  }

  /** A token address standing for `asset` on `chainId` (the hub never calls spoke tokens). */
  const spokeToken = (asset: AssetName, chainId: bigint): Address =>
    `0x${(BigInt(ASSETS[asset].id + 1) * 0x1000n + chainId).toString(16).padStart(40, "0")}`;
  const decimalsOf = (asset: AssetName) => (asset === "USDC" ? 6 : asset === "WBTC" ? 8 : 18);
  for (const chainId of [SPOKE_A, SPOKE_B, SPOKE_C, HUB]) {
    for (const asset of Object.keys(ASSETS) as AssetName[]) {
      await engine.write.configureCollateralToken([
        chainId,
        spokeToken(asset, chainId),
        ASSETS[asset].id,
        decimalsOf(asset),
        true,
      ]);
    }
  }

  const seqs = new Map<string, bigint>();
  /** Delivers a balance report from a spoke, as the spoke vault would send it. */
  const report = (
    chainId: bigint,
    asset: AssetName,
    locked: string,
    fields: { account?: Address; seq?: bigint; lastCommandNonce?: bigint; total?: string } = {},
  ) => {
    const account = fields.account ?? trader.account.address;
    const key = `${account}:${chainId}:${asset}`;
    const seq = fields.seq ?? (seqs.get(key) ?? 0n) + 1n;
    seqs.set(key, seq > (seqs.get(key) ?? 0n) ? seq : (seqs.get(key) ?? 0n));
    const lockedUnits = parseUnits(locked, decimalsOf(asset));
    return messenger.write.deliver([
      engine.address,
      chainId,
      encodeMessage({
        type: "BalanceReport",
        origin: chainId,
        destination: HUB,
        account,
        asset: spokeToken(asset, chainId),
        total: fields.total === undefined ? lockedUnits : parseUnits(fields.total, decimalsOf(asset)),
        locked: lockedUnits,
        seq,
        lastCommandNonce: fields.lastCommandNonce ?? 0n,
      }),
    ]);
  };

  const setPrice = async (asset: AssetName, price: string) => {
    await feeds[asset].write.setAnswer([parseUnits(price, 8)]);
  };

  const fund = async (account: Address, amount: string) => {
    await usdc.write.mint([account, parseUnits(amount, 6)]);
    await usdc.write.approve([engine.address, 2n ** 256n - 1n], { account });
  };

  return {
    connection,
    publicClient,
    owner,
    trader,
    liquidator,
    keeper,
    lp,
    messenger,
    usdc,
    oracle,
    feeds,
    engine,
    libraries,
    spokeToken,
    decimalsOf,
    report,
    setPrice,
    fund,
  };
}

export type Hub = Awaited<ReturnType<typeof deployHub>>;
