import {
  type Address,
  type Client,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type ContractFunctionReturnType,
  erc20Abi,
  type Hex,
  isAddressEqual,
} from "viem";
import { getBlock } from "viem/actions";
import { marginEngineAbi, xmarginOracleAbi } from "../../abi/generated.ts";
import { type Deployment, requireContract } from "../../deployments.ts";
import type { AccountState, AssetState, LedgerEntryState, MarketView } from "../../portfolio/state.ts";
import { read, rpc } from "./transaction.ts";

type EngineAbi = typeof marginEngineAbi;

/**
 * Reads of the hub pinned to one block, so that every figure of an AccountState belongs to the same
 * state, with each oracle price read once.
 */
export class HubReader {
  private readonly prices = new Map<Hex, Promise<{ price: bigint; stale: boolean; kInit: bigint; kMaint: bigint }>>();

  private constructor(
    readonly client: Client,
    readonly engine: Address,
    readonly oracle: Address,
    readonly blockNumber: bigint,
    readonly timestamp: bigint,
  ) {}

  static async at(client: Client, deployment: Deployment): Promise<HubReader> {
    const engine = requireContract(deployment.hub, "engine");
    const block = await rpc("reading the hub's latest block", { chainId: deployment.hub.chainId }, () =>
      getBlock(client, { blockTag: "latest" }),
    );
    const blockNumber = block.number as bigint;
    const oracle = await read(client, { address: engine, abi: marginEngineAbi, functionName: "oracle", blockNumber });
    return new HubReader(client, engine, oracle, blockNumber, block.timestamp);
  }

  engineRead<
    functionName extends ContractFunctionName<EngineAbi, "view" | "pure">,
    const args extends ContractFunctionArgs<EngineAbi, "view" | "pure", functionName>,
  >(
    functionName: functionName,
    args: args,
  ): Promise<ContractFunctionReturnType<EngineAbi, "view" | "pure", functionName, args>> {
    return read(this.client, {
      address: this.engine,
      abi: marginEngineAbi,
      functionName,
      args,
      blockNumber: this.blockNumber,
    } as never) as never;
  }

  price(priceId: Hex) {
    let cached = this.prices.get(priceId);
    if (cached === undefined) {
      const pinned = { address: this.oracle, abi: xmarginOracleAbi, blockNumber: this.blockNumber } as const;
      cached = Promise.all([
        read(this.client, { ...pinned, functionName: "getPrice", args: [priceId] }),
        read(this.client, { ...pinned, functionName: "volatilityMultipliers", args: [priceId] }),
      ]).then(([{ price, stale }, [kInit, kMaint]]) => ({ price, stale, kInit, kMaint }));
      this.prices.set(priceId, cached);
    }
    return cached;
  }

  /** Annualised σ of `priceId` (WAD), zero without an estimator. */
  volatility(priceId: Hex): Promise<bigint> {
    return read(this.client, {
      address: this.oracle,
      abi: xmarginOracleAbi,
      functionName: "volatility",
      args: [priceId],
      blockNumber: this.blockNumber,
    });
  }

  async asset(assetId: number): Promise<AssetState> {
    const config = await this.engineRead("assetConfig", [BigInt(assetId)]);
    return { assetId, ...config, ...(await this.price(config.priceId)) };
  }

  async market(marketId: bigint): Promise<MarketView> {
    const [config, state] = await Promise.all([
      this.engineRead("marketConfig", [marketId]),
      this.engineRead("marketState", [marketId]),
    ]);
    const { price, stale, kInit, kMaint } = await this.price(config.priceId);
    return { marketId, config, state, price, stale, kInit, kMaint };
  }

  /** A ledger entry with nothing reported yet, for a token the hub accepts on `chainId`; undefined if it does not. */
  async emptyEntry(chainId: number, token: Address): Promise<LedgerEntryState | undefined> {
    const [collateral, spoke] = await Promise.all([
      this.engineRead("collateralToken", [BigInt(chainId), token]),
      this.engineRead("spoke", [BigInt(chainId)]),
    ]);
    if (!collateral.enabled) return undefined;
    return {
      chainId,
      token,
      decimals: collateral.decimals,
      assetId: collateral.assetId,
      haircut: spoke.haircut,
      reportedLocked: 0n,
      pendingDecrease: 0n,
      counted: 0n,
      seq: 0,
      acknowledgedNonce: 0n,
      reportedAt: 0,
    };
  }

  /** Everything the hub holds about `account`, in its own order. */
  async accountState(account: Address): Promise<AccountState> {
    const [riskParams, maxReportAge, settleToken, settleBalance, [ledger, counted], openMarkets] = await Promise.all([
      this.engineRead("riskParams", []),
      this.engineRead("maxReportAge", []),
      this.engineRead("settleToken", []),
      this.engineRead("settleBalanceOf", [account]),
      this.engineRead("collateralOf", [account]),
      this.engineRead("openMarketsOf", [account]),
    ]);
    const settleDecimals = read(this.client, {
      address: settleToken,
      abi: erc20Abi,
      functionName: "decimals",
      blockNumber: this.blockNumber,
    });
    const entries = await Promise.all(
      ledger.map(async (entry, i): Promise<LedgerEntryState> => {
        const [token, spoke] = await Promise.all([
          this.engineRead("collateralToken", [entry.chainId, entry.asset]),
          this.engineRead("spoke", [entry.chainId]),
        ]);
        return {
          chainId: Number(entry.chainId),
          token: entry.asset,
          decimals: token.decimals,
          assetId: token.assetId,
          haircut: spoke.haircut,
          reportedLocked: entry.reportedLocked,
          pendingDecrease: entry.pendingDecrease,
          counted: counted[i] ?? 0n,
          seq: entry.seq,
          acknowledgedNonce: entry.acknowledgedNonce,
          reportedAt: entry.reportedAt,
        };
      }),
    );
    const assetIds = [...new Set(entries.map((entry) => entry.assetId))];
    const [assets, markets, positions] = await Promise.all([
      Promise.all(assetIds.map((id) => this.asset(id))),
      Promise.all(openMarkets.map((id) => this.market(id))),
      Promise.all(openMarkets.map((id) => this.engineRead("positionOf", [account, id]))),
    ]);
    return {
      account,
      blockNumber: this.blockNumber,
      timestamp: this.timestamp,
      riskParams,
      maxReportAge: BigInt(maxReportAge),
      settleDecimals: await settleDecimals,
      settleBalance,
      entries,
      positions: positions.map((position, i) => ({ marketId: openMarkets[i] as bigint, ...position })),
      assets: new Map(assets.map((asset) => [asset.assetId, asset])),
      markets: new Map(markets.map((market) => [market.marketId, market])),
    };
  }

  /** Adds what previewing an action on (chainId, token) or a market needs and the state lacks. */
  async include(state: AccountState, needs: { collateral?: { chainId: number; token: Address }; marketId?: bigint }) {
    const { collateral, marketId } = needs;
    if (
      collateral !== undefined &&
      !state.entries.some((e) => e.chainId === collateral.chainId && isAddressEqual(e.token, collateral.token))
    ) {
      const entry = await this.emptyEntry(collateral.chainId, collateral.token);
      if (entry !== undefined) {
        state.entries.push(entry);
        if (!state.assets.has(entry.assetId)) state.assets.set(entry.assetId, await this.asset(entry.assetId));
      }
    }
    if (marketId !== undefined && !state.markets.has(marketId))
      state.markets.set(marketId, await this.market(marketId));
  }
}
