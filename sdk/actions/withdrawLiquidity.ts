import type { Address } from "viem";
import { requireContract } from "../deployments.ts";
import {
  type ClientError,
  type ContractRevertError,
  type DeploymentError,
  InvalidParameterError,
  type RpcRequestError,
} from "../errors.ts";
import { requireAccount, requireHubClient, type WalletClient, type XmarginParameters } from "./internal/context.ts";
import { sendEngineWithdrawal } from "./internal/engine.ts";
import type { SentTransaction } from "./internal/transaction.ts";

export interface WithdrawLiquidityParameters extends XmarginParameters {
  /** LP shares to redeem. */
  shares: bigint;
  /** Recipient of the settle tokens; defaults to the account. */
  to?: Address | undefined;
}

export interface WithdrawLiquidityReturnType extends SentTransaction {
  /** Settle-token units paid out. */
  amount: bigint;
}

export type WithdrawLiquidityErrorType =
  | ContractRevertError
  | RpcRequestError
  | DeploymentError
  | ClientError
  | InvalidParameterError;

/** Redeems LP shares of the perp pool for their part of the pool's value, in settle tokens. */
export async function withdrawLiquidity(
  client: WalletClient,
  parameters: WithdrawLiquidityParameters,
): Promise<WithdrawLiquidityReturnType> {
  const { deployment, shares } = parameters;
  const account = requireAccount(client, "withdrawLiquidity").address;
  requireHubClient(client, deployment, "withdrawLiquidity");
  const engine = requireContract(deployment.hub, "engine");
  if (shares <= 0n) throw new InvalidParameterError("shares must be positive", { details: { shares } });
  const { sent, event } = await sendEngineWithdrawal(
    client,
    engine,
    "withdrawLiquidity",
    shares,
    parameters.to ?? account,
  );
  return { ...sent, amount: event.amount };
}
