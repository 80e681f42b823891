import hre from "hardhat";
import { type Address, getAddress, type Hex, keccak256, toHex, zeroHash } from "viem";

export const WAD = 10n ** 18n;
export const YEAR = 365n * 24n * 3600n;
export const DELAY = 24n * 3600n;

/** Mirrors of the Solidity enums on IXmarginOracle. */
export const SourceKind = { Chainlink: 0, Erc4626: 1 } as const;
export const AcceptReason = { SourceSet: 0, WithinBound: 1, JumpConfirmed: 2, OwnerConfirmed: 3 } as const;
export const Parameter = {
  MaxAge: 0,
  MinInterval: 1,
  MaxDeviation: 2,
  SigmaRef: 3,
  KMax: 4,
  Window: 5,
  RampDuration: 6,
  Delay: 7,
} as const;

export const priceId = (name: string): Hex => keccak256(toHex(name));

export interface VolatilityConfig {
  sigmaRef: bigint;
  kMax: bigint;
  window: number;
  rampDuration: number;
}

export interface PriceConfig {
  kind: number;
  source: Address;
  maxAge: number;
  minInterval: number;
  maxDeviation: bigint;
  underlyingId: Hex;
  volatility: VolatilityConfig;
}

export const NO_ESTIMATOR: VolatilityConfig = { sigmaRef: 0n, kMax: 0n, window: 0, rampDuration: 0 };

/** 80% annualised reference volatility, k capped at 4, one-day window, two-hour maint ramp. */
export const ESTIMATOR: VolatilityConfig = {
  sigmaRef: 8n * 10n ** 17n,
  kMax: 4n * WAD,
  window: 86_400,
  rampDuration: 7_200,
};

export function chainlinkConfig(source: Address, overrides: Partial<PriceConfig> = {}): PriceConfig {
  return {
    kind: SourceKind.Chainlink,
    source: getAddress(source),
    maxAge: 3_600,
    minInterval: 60,
    maxDeviation: 2n * 10n ** 17n,
    underlyingId: zeroHash,
    volatility: NO_ESTIMATOR,
    ...overrides,
  };
}

export function vaultConfig(vault: Address, underlyingId: Hex, overrides: Partial<PriceConfig> = {}): PriceConfig {
  return chainlinkConfig(vault, { kind: SourceKind.Erc4626, maxAge: 0, underlyingId, ...overrides });
}

/** A fresh hub chain with an oracle owned by the first wallet. */
export async function deployOracle() {
  const connection = await hre.network.connect({ network: "hub" });
  const [owner, stranger] = await connection.viem.getWalletClients();
  if (owner === undefined || stranger === undefined) throw new Error("the hub network needs two accounts");
  const oracle = await connection.viem.deployContract("XmarginOracle", [owner.account.address, DELAY]);
  const publicClient = await connection.viem.getPublicClient();
  const { networkHelpers, viem } = connection;

  async function deployFeed(decimals: number, answer: bigint) {
    return viem.deployContract("MockAggregatorV3", [decimals, answer]);
  }

  /** Latest block timestamp as a bigint, the `block.timestamp` that reads see. */
  async function now() {
    return BigInt(await networkHelpers.time.latest());
  }

  return { connection, viem, networkHelpers, publicClient, oracle, owner, stranger, deployFeed, now };
}

export type OracleFixture = Awaited<ReturnType<typeof deployOracle>>;

export const ETH = priceId("ETH");
export const usd8 = (dollars: bigint) => dollars * 10n ** 8n;
export const usd18 = (dollars: bigint) => dollars * 10n ** 18n;

/** An oracle with ETH on an 8-decimal feed at $2,000 (20% bound, one-minute confirmation), a minute old. */
export async function deployEthOracle() {
  const f = await deployOracle();
  const feed = await f.deployFeed(8, usd8(2_000n));
  await f.oracle.write.addPriceId([ETH, chainlinkConfig(feed.address)]);
  await f.networkHelpers.time.increase(60);
  const stale = async () => (await f.oracle.read.getPrice([ETH])).stale;
  return { ...f, feed, stale };
}

export type EthOracleFixture = Awaited<ReturnType<typeof deployEthOracle>>;
