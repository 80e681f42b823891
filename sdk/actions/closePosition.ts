import { marginEngineAbi } from "../abi/generated.ts";
import { getDeploymentMarket, requireContract } from "../deployments.ts";
import { InvalidParameterError } from "../errors.ts";
import { requireAccount, requireHubClient, type WalletClient } from "./internal/context.ts";
import { read } from "./internal/transaction.ts";
import { type TradeErrorType, type TradeParameters, type TradeReturnType, trade } from "./trade.ts";

export type ClosePositionParameters = Omit<TradeParameters, "size">;
export type ClosePositionReturnType = TradeReturnType;
export type ClosePositionErrorType = TradeErrorType;

/** Closes the account's whole position in a market (a trade of minus its size), with the same limit options. */
export async function closePosition(
  client: WalletClient,
  parameters: ClosePositionParameters,
): Promise<ClosePositionReturnType> {
  const { deployment } = parameters;
  const account = requireAccount(client, "closePosition").address;
  requireHubClient(client, deployment, "closePosition");
  const engine = requireContract(deployment.hub, "engine");
  const { id: marketId } = getDeploymentMarket(deployment, parameters.market);
  const { size } = await read(client, {
    address: engine,
    abi: marginEngineAbi,
    functionName: "positionOf",
    args: [account, marketId],
  });
  if (size === 0n) throw new InvalidParameterError(`no open position in market ${marketId}`, { details: { marketId } });
  return trade(client, { ...parameters, market: marketId, size: -size });
}
