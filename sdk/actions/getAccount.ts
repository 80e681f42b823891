import type { Address, Client, Hex } from "viem";
import { collateralVaultAbi } from "../abi/generated.ts";
import { deploymentChains, getDeploymentChain, getDeploymentMarket, tokenSymbol } from "../deployments.ts";
import type { ClientError, ContractRevertError, DeploymentError, RpcRequestError } from "../errors.ts";
import { type LiquidationPrice, liquidationPrices } from "../portfolio/liquidationPrice.ts";
import {
  type AccountState,
  fundingOwed,
  type LedgerEntryState,
  requireAsset,
  requireMarket,
  toWadDown,
} from "../portfolio/state.ts";
import { mulDown, mulFloor, mulUp } from "../risk/fixed.ts";
import { fromHealthBreakdownStruct } from "../risk/onchain.ts";
import type { HealthBreakdown } from "../risk/types.ts";
import { accountAddress, chainClient, type XmarginParameters } from "./internal/context.ts";
import { HubReader } from "./internal/hubReader.ts";
import { read } from "./internal/transaction.ts";

export interface GetAccountParameters extends XmarginParameters {
  /** Defaults to the client's account. */
  account?: Address | undefined;
}

/** One token in one vault. Token units. */
export interface VaultBalance {
  symbol: string;
  token: Address;
  decimals: number;
  total: bigint;
  locked: bigint;
  free: bigint;
  /** Sequence number of the last report the vault sent for it. */
  seq: number;
  /** Funds of failed command payments owed to the account (`claim` them on the vault). */
  claimable: bigint;
}

export interface ChainBalances {
  chainId: number;
  name: string;
  vault: Address;
  /** The last hub command the vault executed for the account. */
  lastCommandNonce: bigint;
  balances: VaultBalance[];
}

export interface LedgerEntry extends LedgerEntryState {
  chainName: string;
  symbol?: string | undefined;
  /** Oracle price of the entry's asset (WAD). */
  price: bigint;
  /** Counted amount at the oracle price, before weights and haircuts (USD, WAD). */
  value: bigint;
  /** Where this asset's price makes the account liquidatable, others fixed. */
  liquidationPrice: LiquidationPrice;
}

export interface PositionView {
  marketId: bigint;
  market?: string | undefined;
  /** Signed base size (WAD). */
  size: bigint;
  entryPrice: bigint;
  markPrice: bigint;
  /** |size|·mark, rounded up as the hub does. */
  notional: bigint;
  /** size·(mark − entry), rounded toward −∞. */
  unrealizedPnl: bigint;
  /** Funding owed at the market's stored index (negative: owed to the account), as `healthOf` counts it. */
  fundingOwed: bigint;
  /** unrealizedPnl − fundingOwed. */
  pnl: bigint;
  liquidationPrice: LiquidationPrice;
}

export interface GetAccountReturnType {
  account: Address;
  /** The hub block every hub figure was read at. */
  blockNumber: bigint;
  timestamp: bigint;
  /** Every chain with a vault, hub first when it has one, in deployment order. */
  chains: ChainBalances[];
  /** The hub's collateral entries, in ledger order. */
  ledger: LedgerEntry[];
  /** Settle balance on the hub (USD, WAD; negative is debt). */
  settleBalance: bigint;
  positions: PositionView[];
  /** `MarginEngine.healthOf` at the same block. */
  health: HealthBreakdown;
  autoMargin: boolean;
  /** The raw hub state: what previewHealth and the liquidation prices evaluate. */
  state: AccountState;
}

export type GetAccountErrorType = ContractRevertError | RpcRequestError | DeploymentError | ClientError;

const NO_EXPOSURE = (priceId: Hex, currentPrice: bigint): LiquidationPrice => ({
  priceId,
  currentPrice,
  price: null,
  direction: null,
  liquidatableNow: false,
});

async function readVaults(parameters: XmarginParameters, client: Client, account: Address): Promise<ChainBalances[]> {
  const chains = deploymentChains(parameters.deployment).filter((chain) => chain.contracts.vault !== undefined);
  return Promise.all(
    chains.map(async (chain) => {
      const reader = chainClient(parameters, chain.chainId, client);
      const vault = chain.contracts.vault as Address;
      const [lastCommandNonce, balances] = await Promise.all([
        read(reader, { address: vault, abi: collateralVaultAbi, functionName: "lastCommandNonce", args: [account] }),
        Promise.all(
          Object.entries(chain.tokens).map(async ([symbol, token]): Promise<VaultBalance> => {
            const [balance, claimable] = await Promise.all([
              read(reader, {
                address: vault,
                abi: collateralVaultAbi,
                functionName: "balanceOf",
                args: [account, token.address],
              }),
              read(reader, {
                address: vault,
                abi: collateralVaultAbi,
                functionName: "claimable",
                args: [account, token.address],
              }),
            ]);
            return {
              symbol,
              token: token.address,
              decimals: token.decimals,
              total: balance.total,
              locked: balance.locked,
              free: balance.total - balance.locked,
              seq: balance.seq,
              claimable,
            };
          }),
        ),
      ]);
      return { chainId: chain.chainId, name: chain.name, vault, lastCommandNonce, balances };
    }),
  );
}

/**
 * Everything about one account on every chain: each vault's balances, the hub's ledger (reported, pending,
 * counted), settle balance, positions with PnL and funding, the hub's health breakdown, and a liquidation
 * price per position and per collateral entry (see sdk/portfolio/liquidationPrice.ts for the method).
 */
export async function getAccount(client: Client, parameters: GetAccountParameters): Promise<GetAccountReturnType> {
  const { deployment } = parameters;
  const account = accountAddress(client, parameters.account, "getAccount");
  const hub = chainClient(parameters, deployment.hub.chainId, client);
  const reader = await HubReader.at(hub, deployment);
  const [state, healthStruct, autoMargin, chains] = await Promise.all([
    reader.accountState(account),
    reader.engineRead("healthOf", [account]),
    reader.engineRead("autoMarginEnabled", [account]),
    readVaults(parameters, client, account),
  ]);
  const prices = liquidationPrices(state);

  const ledger = state.entries.map((entry): LedgerEntry => {
    const chain = getDeploymentChain(deployment, entry.chainId);
    const asset = requireAsset(state, entry.assetId);
    return {
      ...entry,
      chainName: chain.name,
      symbol: tokenSymbol(chain, entry.token),
      price: asset.price,
      value: mulDown(toWadDown(entry.counted, entry.decimals), asset.price),
      liquidationPrice: prices.get(asset.priceId) ?? NO_EXPOSURE(asset.priceId, asset.price),
    };
  });
  const positions = state.positions.map((position): PositionView => {
    const market = requireMarket(state, position.marketId);
    const unrealizedPnl = mulFloor(position.size, market.price - position.entryPrice);
    const owed = fundingOwed(position, market.state);
    return {
      marketId: position.marketId,
      market: getDeploymentMarket(deployment, position.marketId).name,
      size: position.size,
      entryPrice: position.entryPrice,
      markPrice: market.price,
      notional: mulUp(position.size < 0n ? -position.size : position.size, market.price),
      unrealizedPnl,
      fundingOwed: owed,
      pnl: unrealizedPnl - owed,
      liquidationPrice: prices.get(market.config.priceId) ?? NO_EXPOSURE(market.config.priceId, market.price),
    };
  });
  return {
    account,
    blockNumber: state.blockNumber,
    timestamp: state.timestamp,
    chains,
    ledger,
    settleBalance: state.settleBalance,
    positions,
    health: fromHealthBreakdownStruct(healthStruct),
    autoMargin,
    state,
  };
}
