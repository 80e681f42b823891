import { collateralVaultAbi } from "../abi/generated.ts";
import { getDeploymentToken } from "../deployments.ts";
import {
  type ClientError,
  type ContractRevertError,
  type DeploymentError,
  InvalidParameterError,
  type RpcRequestError,
  type UnknownAssetError,
  type UnknownChainError,
} from "../errors.ts";
import { type ApprovalMode, type ApprovalOutcome, ensureAllowance } from "./internal/allowance.ts";
import { requireAccount, requireVaultClient, type WalletClient, type XmarginParameters } from "./internal/context.ts";
import { type SentMessage, sentMessages } from "./internal/messages.ts";
import { type SentTransaction, sendContractTransaction } from "./internal/transaction.ts";
import { depositedEvent, quoteVaultReport } from "./internal/vault.ts";

export interface DepositParameters extends XmarginParameters {
  /** Token symbol (as the deployment lists it) or address, on the client's chain. */
  asset: string;
  /** Token units. */
  amount: bigint;
  /** Lock the deposit as margin at once; the hub counts it when the report lands. Default true. */
  lock?: boolean | undefined;
  /**
   * How the vault gets its allowance when the current one is short: `auto` (default) signs an ERC-2612
   * permit when the token supports it and approves otherwise; `approve` and `permit` force one.
   */
  approval?: ApprovalMode | undefined;
}

export interface DepositReturnType extends SentTransaction {
  /** What the vault credited: less than `amount` for fee-on-transfer tokens. */
  received: bigint;
  /** The messaging fee paid for the balance report. */
  fee: bigint;
  approval: ApprovalOutcome;
  /** The balance report to the hub; follow it with `waitForDelivery`. */
  messages: SentMessage[];
}

export type DepositErrorType =
  | ContractRevertError
  | RpcRequestError
  | UnknownAssetError
  | UnknownChainError
  | DeploymentError
  | ClientError
  | InvalidParameterError;

/**
 * Deposits collateral into the vault of the client's chain: grants the allowance (permit or approve) if
 * needed, quotes the report's messaging fee and pays it with the deposit.
 */
export async function deposit(client: WalletClient, parameters: DepositParameters): Promise<DepositReturnType> {
  const { deployment, asset, amount, lock = true, approval = "auto" } = parameters;
  const account = requireAccount(client, "deposit").address;
  const { chain, vault } = requireVaultClient(client, deployment, "deposit");
  const token = getDeploymentToken(chain, asset);
  if (amount <= 0n) throw new InvalidParameterError("deposit amount must be positive", { details: { amount } });

  const approvalOutcome = await ensureAllowance(client, token.address, vault, amount, approval);
  const fee = await quoteVaultReport(client, deployment, chain, vault, account, token.address, {
    total: (total) => total + amount,
    locked: (locked) => (lock ? locked + amount : locked),
  });
  const sent = await sendContractTransaction(client, {
    address: vault,
    abi: collateralVaultAbi,
    functionName: "deposit",
    args: [token.address, amount, lock],
    value: fee,
  });
  return {
    ...sent,
    received: depositedEvent(sent.receipt, vault).received,
    fee,
    approval: approvalOutcome,
    messages: sentMessages(sent.receipt, vault),
  };
}
