import type { Address } from "viem";
import { collateralVaultAbi } from "../abi/generated.ts";
import { getDeploymentToken } from "../deployments.ts";
import type {
  ClientError,
  ContractRevertError,
  DeploymentError,
  RpcRequestError,
  UnknownAssetError,
  UnknownChainError,
} from "../errors.ts";
import { requireAccount, requireVaultClient, type WalletClient, type XmarginParameters } from "./internal/context.ts";
import { type SentMessage, sentMessages } from "./internal/messages.ts";
import { type SentTransaction, sendContractTransaction } from "./internal/transaction.ts";
import { quoteVaultReport } from "./internal/vault.ts";

export interface SyncBalanceParameters extends XmarginParameters {
  /** Token symbol or address on the client's chain. */
  asset: string;
  /** Whose balance to report; defaults to the client's account. Anyone may sync any account. */
  account?: Address | undefined;
}

export interface SyncBalanceReturnType extends SentTransaction {
  fee: bigint;
  /** The fresh balance report; follow it with `waitForDelivery`. */
  messages: SentMessage[];
}

export type SyncBalanceErrorType =
  | ContractRevertError
  | RpcRequestError
  | UnknownAssetError
  | UnknownChainError
  | DeploymentError
  | ClientError;

/**
 * Has the vault of the client's chain send a fresh balance report of (account, asset) to the hub, paying its
 * messaging fee: the way to deliver a report the vault deferred because its fee budget ran dry after a hub
 * command (the hub keeps counting a decrease as pending until a report acknowledges it).
 */
export async function syncBalance(
  client: WalletClient,
  parameters: SyncBalanceParameters,
): Promise<SyncBalanceReturnType> {
  const { deployment } = parameters;
  const caller = requireAccount(client, "syncBalance").address;
  const { chain, vault } = requireVaultClient(client, deployment, "syncBalance");
  const token = getDeploymentToken(chain, parameters.asset);
  const account = parameters.account ?? caller;
  const fee = await quoteVaultReport(client, deployment, chain, vault, account, token.address, {
    total: (total) => total,
    locked: (locked) => locked,
  });
  const sent = await sendContractTransaction(client, {
    address: vault,
    abi: collateralVaultAbi,
    functionName: "syncBalance",
    args: [account, token.address],
    value: fee,
  });
  return { ...sent, fee, messages: sentMessages(sent.receipt, vault) };
}
