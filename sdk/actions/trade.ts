import { marginEngineAbi, xmarginOracleAbi } from "../abi/generated.ts";
import { getDeploymentMarket, requireContract } from "../deployments.ts";
import {
  type ClientError,
  type ContractRevertError,
  type DeploymentError,
  InvalidParameterError,
  type RpcRequestError,
  type UnknownMarketError,
} from "../errors.ts";
import { requireAccount, requireHubClient, type WalletClient, type XmarginParameters } from "./internal/context.ts";
import { engineEvent } from "./internal/engine.ts";
import { read, type SentTransaction, sendContractTransaction } from "./internal/transaction.ts";

export interface TradeParameters extends XmarginParameters {
  /** Market name (e.g. "ETH-PERP") or id. */
  market: string | bigint;
  /** Signed base size to add (18 decimals): positive buys, negative sells. A multiple of the lot size. */
  size: bigint;
  /** Worst acceptable price (WAD): an upper bound when buying, a lower bound when selling. */
  limitPrice?: bigint | undefined;
  /**
   * Instead of `limitPrice`: the worst price as a tolerance around the current oracle price, in basis
   * points (50 = 0.5%).
   */
  slippageBps?: number | undefined;
}

export interface TradeReturnType extends SentTransaction {
  marketId: bigint;
  /** The position after the trade (signed). */
  newSize: bigint;
  /** The execution (oracle) price. */
  price: bigint;
  realizedPnl: bigint;
  fundingPaid: bigint;
  fee: bigint;
}

export type TradeErrorType =
  | ContractRevertError
  | RpcRequestError
  | UnknownMarketError
  | DeploymentError
  | ClientError
  | InvalidParameterError;

/** The limit price `slippageBps` away from the current oracle price of the market, against the trader. */
async function slippageLimit(client: WalletClient, engine: `0x${string}`, marketId: bigint, size: bigint, bps: number) {
  if (!Number.isInteger(bps) || bps < 0 || bps > 10_000) {
    throw new InvalidParameterError(`slippageBps must be an integer in [0, 10000], got ${bps}`);
  }
  const [config, oracle] = await Promise.all([
    read(client, { address: engine, abi: marginEngineAbi, functionName: "marketConfig", args: [marketId] }),
    read(client, { address: engine, abi: marginEngineAbi, functionName: "oracle" }),
  ]);
  const { price } = await read(client, {
    address: oracle,
    abi: xmarginOracleAbi,
    functionName: "getPrice",
    args: [config.priceId],
  });
  const tolerance = BigInt(bps);
  return size > 0n ? (price * (10_000n + tolerance)) / 10_000n : (price * (10_000n - tolerance)) / 10_000n;
}

/**
 * Opens, increases, reduces, closes or flips a perp position on the hub at the oracle price with a limit.
 * Risk-increasing trades revert with InitialHealthViolated when `H^init` would go negative; preview them
 * with `previewHealth`.
 */
export async function trade(client: WalletClient, parameters: TradeParameters): Promise<TradeReturnType> {
  const { deployment, size } = parameters;
  requireAccount(client, "trade");
  requireHubClient(client, deployment, "trade");
  const engine = requireContract(deployment.hub, "engine");
  const { id: marketId } = getDeploymentMarket(deployment, parameters.market);
  if (size === 0n) throw new InvalidParameterError("trade size must not be zero");
  const { lotSize } = await read(client, {
    address: engine,
    abi: marginEngineAbi,
    functionName: "marketConfig",
    args: [marketId],
  });
  if ((size < 0n ? -size : size) % lotSize !== 0n) {
    throw new InvalidParameterError(`size ${size} is not a multiple of the lot size ${lotSize}`, {
      details: { size, lotSize },
    });
  }
  const limitPrice =
    parameters.limitPrice ??
    (parameters.slippageBps === undefined
      ? 0n
      : await slippageLimit(client, engine, marketId, size, parameters.slippageBps));
  const sent = await sendContractTransaction(client, {
    address: engine,
    abi: marginEngineAbi,
    functionName: "trade",
    args: [marketId, size, limitPrice],
  });
  const { newSize, price, realizedPnl, fundingPaid, fee } = engineEvent(sent.receipt, engine, "PositionChanged");
  return { ...sent, marketId, newSize, price, realizedPnl, fundingPaid, fee };
}
