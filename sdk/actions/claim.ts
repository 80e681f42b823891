import { type Address, isAddressEqual, parseEventLogs } from "viem";
import { collateralVaultAbi } from "../abi/generated.ts";
import { getDeploymentToken } from "../deployments.ts";
import {
  type ClientError,
  type ContractRevertError,
  type DeploymentError,
  type RpcRequestError,
  type UnknownAssetError,
  type UnknownChainError,
  XmarginError,
} from "../errors.ts";
import { requireAccount, requireVaultClient, type WalletClient, type XmarginParameters } from "./internal/context.ts";
import { type SentTransaction, sendContractTransaction } from "./internal/transaction.ts";

export interface ClaimParameters extends XmarginParameters {
  /** Token symbol or address on the client's chain. */
  asset: string;
  /** Where the funds go; defaults to the account. */
  to?: Address | undefined;
}

export interface ClaimReturnType extends SentTransaction {
  /** Token units paid: everything claimable by the account in that asset. */
  amount: bigint;
  to: Address;
}

export type ClaimErrorType =
  | ContractRevertError
  | RpcRequestError
  | UnknownAssetError
  | UnknownChainError
  | DeploymentError
  | ClientError;

/**
 * Pays out, on the client's chain, what the vault owes the account from hub commands whose payment failed
 * (a Release or Seize to it that the token refused): the vault keeps such funds claimable instead of
 * blocking the commands after it. `getAccount` shows them as `claimable`; with nothing to claim the vault
 * reverts with NothingToClaim.
 */
export async function claim(client: WalletClient, parameters: ClaimParameters): Promise<ClaimReturnType> {
  const { deployment } = parameters;
  const account = requireAccount(client, "claim").address;
  const { chain, vault } = requireVaultClient(client, deployment, "claim");
  const token = getDeploymentToken(chain, parameters.asset);
  const sent = await sendContractTransaction(client, {
    address: vault,
    abi: collateralVaultAbi,
    functionName: "claim",
    args: [token.address, parameters.to ?? account],
  });
  const [claimed] = parseEventLogs({
    abi: collateralVaultAbi,
    eventName: "Claimed",
    logs: sent.receipt.logs,
    strict: true,
  }).filter((log) => isAddressEqual(log.address, vault));
  if (claimed === undefined) {
    throw new XmarginError(`transaction ${sent.hash} has no Claimed event of the vault`);
  }
  return { ...sent, amount: claimed.args.amount, to: claimed.args.to };
}
