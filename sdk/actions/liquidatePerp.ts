import type { Address } from "viem";
import { marginEngineAbi } from "../abi/generated.ts";
import { getDeploymentMarket, requireContract } from "../deployments.ts";
import type {
  ClientError,
  ContractRevertError,
  DeploymentError,
  RpcRequestError,
  UnknownMarketError,
} from "../errors.ts";
import { requireAccount, requireHubClient, type WalletClient, type XmarginParameters } from "./internal/context.ts";
import { engineEvent } from "./internal/engine.ts";
import { type SentTransaction, sendContractTransaction } from "./internal/transaction.ts";

export interface LiquidatePerpParameters extends XmarginParameters {
  /** The account with `H^maint < 0`. */
  account: Address;
  /** Market name or id of the position to reduce. */
  market: string | bigint;
}

export interface LiquidatePerpReturnType extends SentTransaction {
  /** Base size closed (sized by the spec to restore `H^LE`, rounded up to a lot). */
  size: bigint;
  price: bigint;
  feeToLiquidator: bigint;
  feeToInsurance: bigint;
}

export type LiquidatePerpErrorType =
  | ContractRevertError
  | RpcRequestError
  | UnknownMarketError
  | DeploymentError
  | ClientError;

/**
 * Closes part of an unhealthy account's position at the oracle price; the liquidator's fee share is
 * credited to its settle balance on the hub. Reverts with NotLiquidatable while `H^maint ≥ 0`.
 */
export async function liquidatePerp(
  client: WalletClient,
  parameters: LiquidatePerpParameters,
): Promise<LiquidatePerpReturnType> {
  const { deployment, account } = parameters;
  requireAccount(client, "liquidatePerp");
  requireHubClient(client, deployment, "liquidatePerp");
  const engine = requireContract(deployment.hub, "engine");
  const { id: marketId } = getDeploymentMarket(deployment, parameters.market);
  const sent = await sendContractTransaction(client, {
    address: engine,
    abi: marginEngineAbi,
    functionName: "liquidatePerp",
    args: [account, marketId],
  });
  const { size, price, feeToLiquidator, feeToInsurance } = engineEvent(sent.receipt, engine, "PerpLiquidated");
  return { ...sent, size, price, feeToLiquidator, feeToInsurance };
}
