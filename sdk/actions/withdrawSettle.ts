import type { Address } from "viem";
import { marginEngineAbi } from "../abi/generated.ts";
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
import { read, type SentTransaction } from "./internal/transaction.ts";

export interface WithdrawSettleParameters extends XmarginParameters {
  /** Settle-token units. */
  amount: bigint;
  /** Recipient on the hub; defaults to the account. */
  to?: Address | undefined;
}

export interface WithdrawSettleReturnType extends SentTransaction {
  /** Settle-token units paid out. */
  amount: bigint;
  to: Address;
  /** The account's settle balance after the withdrawal (USD, WAD). */
  settleBalance: bigint;
}

export type WithdrawSettleErrorType =
  | ContractRevertError
  | RpcRequestError
  | DeploymentError
  | ClientError
  | InvalidParameterError;

/**
 * Pays settle credit out of the hub in settle tokens. Reverts with InsufficientSettleCredit beyond the
 * positive settle balance and with InitialHealthViolated when `H^init` would go negative without it.
 */
export async function withdrawSettle(
  client: WalletClient,
  parameters: WithdrawSettleParameters,
): Promise<WithdrawSettleReturnType> {
  const { deployment, amount } = parameters;
  const account = requireAccount(client, "withdrawSettle").address;
  requireHubClient(client, deployment, "withdrawSettle");
  const engine = requireContract(deployment.hub, "engine");
  if (amount <= 0n) throw new InvalidParameterError("settle withdrawal must be positive", { details: { amount } });
  const { sent, event: withdrawn } = await sendEngineWithdrawal(
    client,
    engine,
    "withdrawSettle",
    amount,
    parameters.to ?? account,
  );
  const settleBalance = await read(client, {
    address: engine,
    abi: marginEngineAbi,
    functionName: "settleBalanceOf",
    args: [account],
    blockNumber: sent.receipt.blockNumber,
  });
  return { ...sent, amount: withdrawn.amount, to: withdrawn.to, settleBalance };
}
