import { marginEngineAbi } from "../abi/generated.ts";
import { requireContract } from "../deployments.ts";
import {
  type ClientError,
  type ContractRevertError,
  type DeploymentError,
  InvalidParameterError,
  type RpcRequestError,
} from "../errors.ts";
import { type ApprovalMode, type ApprovalOutcome, ensureAllowance } from "./internal/allowance.ts";
import { requireAccount, requireHubClient, type WalletClient, type XmarginParameters } from "./internal/context.ts";
import { engineEvent, settleToken } from "./internal/engine.ts";
import { type SentTransaction, sendContractTransaction } from "./internal/transaction.ts";

export interface DepositLiquidityParameters extends XmarginParameters {
  /** Settle-token units. */
  amount: bigint;
  /** How the engine gets its allowance over the settle token; see `deposit`. Default `auto`. */
  approval?: ApprovalMode | undefined;
}

export interface DepositLiquidityReturnType extends SentTransaction {
  /** LP shares minted (rounded down: a deposit never dilutes existing providers). */
  shares: bigint;
  approval: ApprovalOutcome;
}

export type DepositLiquidityErrorType =
  | ContractRevertError
  | RpcRequestError
  | DeploymentError
  | ClientError
  | InvalidParameterError;

/** Adds settle tokens to the perp counterparty pool on the hub for LP shares. */
export async function depositLiquidity(
  client: WalletClient,
  parameters: DepositLiquidityParameters,
): Promise<DepositLiquidityReturnType> {
  const { deployment, amount, approval = "auto" } = parameters;
  requireAccount(client, "depositLiquidity");
  requireHubClient(client, deployment, "depositLiquidity");
  const engine = requireContract(deployment.hub, "engine");
  if (amount <= 0n) throw new InvalidParameterError("liquidity amount must be positive", { details: { amount } });
  const settle = await settleToken(client, engine);
  const approvalOutcome = await ensureAllowance(client, settle.address, engine, amount, approval);
  const sent = await sendContractTransaction(client, {
    address: engine,
    abi: marginEngineAbi,
    functionName: "depositLiquidity",
    args: [amount],
  });
  return { ...sent, shares: engineEvent(sent.receipt, engine, "LiquidityDeposited").shares, approval: approvalOutcome };
}
