import type { Address } from "viem";
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
import { requireAccount, requireVaultClient, type WalletClient, type XmarginParameters } from "./internal/context.ts";
import { type SentMessage, sentMessages } from "./internal/messages.ts";
import { type SentTransaction, sendContractTransaction } from "./internal/transaction.ts";
import { quoteVaultReport } from "./internal/vault.ts";

export interface WithdrawFreeParameters extends XmarginParameters {
  /** Token symbol or address on the client's chain. */
  asset: string;
  /** Token units of free balance. */
  amount: bigint;
  /** Recipient; defaults to the account. */
  to?: Address | undefined;
}

export interface WithdrawFreeReturnType extends SentTransaction {
  fee: bigint;
  messages: SentMessage[];
}

export type WithdrawFreeErrorType =
  | ContractRevertError
  | RpcRequestError
  | UnknownAssetError
  | UnknownChainError
  | DeploymentError
  | ClientError
  | InvalidParameterError;

/** Pays free (unlocked) vault balance out at once, without the hub; the vault then reports the new total. */
export async function withdrawFree(
  client: WalletClient,
  parameters: WithdrawFreeParameters,
): Promise<WithdrawFreeReturnType> {
  const { deployment, asset, amount } = parameters;
  const account = requireAccount(client, "withdrawFree").address;
  const { chain, vault } = requireVaultClient(client, deployment, "withdrawFree");
  const token = getDeploymentToken(chain, asset);
  if (amount <= 0n) throw new InvalidParameterError("withdrawal amount must be positive", { details: { amount } });
  const fee = await quoteVaultReport(client, deployment, chain, vault, account, token.address, {
    total: (total) => (total > amount ? total - amount : 0n),
    locked: (locked) => locked,
  });
  const sent = await sendContractTransaction(client, {
    address: vault,
    abi: collateralVaultAbi,
    functionName: "withdrawFree",
    args: [token.address, amount, parameters.to ?? account],
    value: fee,
  });
  return { ...sent, fee, messages: sentMessages(sent.receipt, vault) };
}
