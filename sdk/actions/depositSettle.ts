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
import { type ApprovalMode, type ApprovalOutcome, ensureAllowance } from "./internal/allowance.ts";
import { requireAccount, requireHubClient, type WalletClient, type XmarginParameters } from "./internal/context.ts";
import { engineEvent, settleToken } from "./internal/engine.ts";
import { read, type SentTransaction, sendContractTransaction } from "./internal/transaction.ts";

export interface DepositSettleParameters extends XmarginParameters {
  /** Settle-token units. */
  amount: bigint;
  /** Whose settle balance is credited (repaying its debt first); defaults to the client's account. */
  account?: Address | undefined;
  /** How the engine gets its allowance over the settle token; see `deposit`. Default `auto`. */
  approval?: ApprovalMode | undefined;
}

export interface DepositSettleReturnType extends SentTransaction {
  account: Address;
  /** Settle-token units paid in. */
  amount: bigint;
  /** The account's settle balance after the deposit (USD, WAD; negative is debt). */
  settleBalance: bigint;
  approval: ApprovalOutcome;
}

export type DepositSettleErrorType =
  | ContractRevertError
  | RpcRequestError
  | DeploymentError
  | ClientError
  | InvalidParameterError;

/**
 * Pays settle tokens (the engine's quote token) into an account's settle balance on the hub: it backs
 * trading losses and funding, and a deposit for an account in debt repays it.
 */
export async function depositSettle(
  client: WalletClient,
  parameters: DepositSettleParameters,
): Promise<DepositSettleReturnType> {
  const { deployment, amount, approval = "auto" } = parameters;
  const payer = requireAccount(client, "depositSettle").address;
  requireHubClient(client, deployment, "depositSettle");
  const engine = requireContract(deployment.hub, "engine");
  if (amount <= 0n) throw new InvalidParameterError("settle deposit must be positive", { details: { amount } });
  const account = parameters.account ?? payer;
  const settle = await settleToken(client, engine);
  const approvalOutcome = await ensureAllowance(client, settle.address, engine, amount, approval);
  const sent = await sendContractTransaction(client, {
    address: engine,
    abi: marginEngineAbi,
    functionName: "depositSettle",
    args: [account, amount],
  });
  const deposited = engineEvent(sent.receipt, engine, "SettleDeposited");
  const settleBalance = await read(client, {
    address: engine,
    abi: marginEngineAbi,
    functionName: "settleBalanceOf",
    args: [account],
    blockNumber: sent.receipt.blockNumber,
  });
  return { ...sent, account: deposited.account, amount: deposited.amount, settleBalance, approval: approvalOutcome };
}
