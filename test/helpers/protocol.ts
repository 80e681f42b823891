// The whole protocol on the three in-process chains (hub, spoke A, spoke B) over the test transport:
// the hub of deployHub plus real CollateralVaults with real tokens, registered on the engine the way
// test/integration/cross-chain.test.ts does it. Shared by the invariant suite and the gas report.
import type { ContractReturnType } from "@nomicfoundation/hardhat-viem/types";
import type { Address } from "viem";
import { CHAIN_IDS } from "../../sdk/chains.ts";
import { type Connection, connect } from "./chains.ts";
import { ASSETS, type AssetName, deployHub, type Hub, type HubOptions, SPOKE_A, SPOKE_B } from "./hub.ts";
import { TestRelay } from "./relay.ts";

export type SpokeName = "spokeA" | "spokeB";

/** One collateral token to deploy on a spoke; `blacklist` deploys the BlacklistToken (6 decimals). */
export interface SpokeTokenSpec {
  symbol: string;
  asset: AssetName;
  decimals: number;
  blacklist?: boolean;
}

export interface SpokeToken extends SpokeTokenSpec {
  spoke: SpokeName;
  chainId: bigint;
  address: Address;
  /** The token through the TestToken ABI (mint, approve, balanceOf, transfer). */
  token: ContractReturnType<"TestToken">;
  /** Set only for blacklist tokens. */
  blacklistToken?: ContractReturnType<"BlacklistToken">;
}

export interface Spoke {
  name: SpokeName;
  chainId: bigint;
  connection: Connection;
  messenger: ContractReturnType<"TestMessenger">;
  vault: ContractReturnType<"CollateralVault">;
  tokens: SpokeToken[];
}

export const DEFAULT_SPOKE_TOKENS: Record<SpokeName, SpokeTokenSpec[]> = {
  spokeA: [
    { symbol: "USDC", asset: "USDC", decimals: 6 },
    { symbol: "WETH", asset: "WETH", decimals: 18 },
  ],
  spokeB: [
    { symbol: "WETH", asset: "WETH", decimals: 18 },
    { symbol: "WBTC", asset: "WBTC", decimals: 8 },
    { symbol: "BUSD", asset: "USDC", decimals: 6, blacklist: true },
  ],
};

/** Deploys a spoke: test messenger (relayed by `relayer`), vault and its allowlisted tokens. */
export async function deploySpoke(name: SpokeName, relayer: Address, specs: SpokeTokenSpec[]): Promise<Spoke> {
  const connection = await connect(name);
  const chainId = BigInt(CHAIN_IDS[name]);
  const [owner] = await connection.viem.getWalletClients();
  if (!owner) throw new Error("no owner");
  const messenger = await connection.viem.deployContract("TestMessenger", [relayer]);
  const vault = await connection.viem.deployContract("CollateralVault", [
    owner.account.address,
    BigInt(CHAIN_IDS.hub),
    messenger.address,
  ]);
  const tokens: SpokeToken[] = [];
  for (const spec of specs) {
    let blacklistToken: ContractReturnType<"BlacklistToken"> | undefined;
    let address: Address;
    if (spec.blacklist) {
      if (spec.decimals !== 6) throw new Error("BlacklistToken has 6 decimals");
      blacklistToken = await connection.viem.deployContract("BlacklistToken");
      address = blacklistToken.address;
    } else {
      address = (await connection.viem.deployContract("TestToken", [spec.symbol, spec.symbol, spec.decimals])).address;
    }
    const token = await connection.viem.getContractAt("TestToken", address);
    await vault.write.configureAsset([address, true, spec.decimals]);
    tokens.push({ ...spec, spoke: name, chainId, address, token, ...(blacklistToken ? { blacklistToken } : {}) });
  }
  return { name, chainId, connection, messenger, vault, tokens };
}

export interface Protocol {
  hub: Hub;
  spokes: Record<SpokeName, Spoke>;
  /** Every spoke token, spoke A's first. */
  tokens: SpokeToken[];
  relay: TestRelay;
}

/**
 * Hub (deployHub) + spoke A + spoke B with real vaults and tokens, each token enabled on the engine as
 * collateral of its risk asset (haircuts of deployHub: A 0, B 2%), and a TestRelay over all three.
 */
export async function deployProtocol(
  options: HubOptions = {},
  spokeTokens: Record<SpokeName, SpokeTokenSpec[]> = DEFAULT_SPOKE_TOKENS,
): Promise<Protocol> {
  const hub = await deployHub(await connect("hub"), options);
  const relayer = hub.owner.account.address;
  const spokeA = await deploySpoke("spokeA", relayer, spokeTokens.spokeA);
  const spokeB = await deploySpoke("spokeB", relayer, spokeTokens.spokeB);
  const tokens = [...spokeA.tokens, ...spokeB.tokens];
  for (const token of tokens) {
    if (token.chainId !== SPOKE_A && token.chainId !== SPOKE_B) throw new Error("unexpected spoke chain");
    await hub.engine.write.configureCollateralToken([
      token.chainId,
      token.address,
      ASSETS[token.asset].id,
      token.decimals,
      true,
    ]);
  }
  const relay = new TestRelay();
  relay.add({
    chainId: BigInt(CHAIN_IDS.hub),
    connection: hub.connection,
    messenger: hub.messenger.address,
    receiver: hub.engine.address,
  });
  for (const spoke of [spokeA, spokeB]) {
    relay.add({
      chainId: spoke.chainId,
      connection: spoke.connection,
      messenger: spoke.messenger.address,
      receiver: spoke.vault.address,
    });
  }
  await relay.flush();
  return { hub, spokes: { spokeA, spokeB }, tokens, relay };
}
