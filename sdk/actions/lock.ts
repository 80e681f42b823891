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

export interface LockParameters extends XmarginParameters {
  /** Token symbol or address on the client's chain. */
  asset: string;
  /** Token units of free balance to lock as margin. */
  amount: bigint;
}

export interface LockReturnType extends SentTransaction {
  fee: bigint;
  messages: SentMessage[];
}

export type LockErrorType =
  | ContractRevertError
  | RpcRequestError
  | UnknownAssetError
  | UnknownChainError
  | DeploymentError
  | ClientError
  | InvalidParameterError;

/** Moves free vault balance on the client's chain into locked margin, paying the report's messaging fee. */
export async function lock(client: WalletClient, parameters: LockParameters): Promise<LockReturnType> {
  const { deployment, asset, amount } = parameters;
  const account = requireAccount(client, "lock").address;
  const { chain, vault } = requireVaultClient(client, deployment, "lock");
  const token = getDeploymentToken(chain, asset);
  if (amount <= 0n) throw new InvalidParameterError("lock amount must be positive", { details: { amount } });
  const fee = await quoteVaultReport(client, deployment, chain, vault, account, token.address, {
    total: (total) => total,
    locked: (locked) => locked + amount,
  });
  const sent = await sendContractTransaction(client, {
    address: vault,
    abi: collateralVaultAbi,
    functionName: "lock",
    args: [token.address, amount],
    value: fee,
  });
  return { ...sent, fee, messages: sentMessages(sent.receipt, vault) };
}
