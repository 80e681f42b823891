import type { Address } from "viem";
import { marginEngineAbi } from "../abi/generated.ts";
import { getDeploymentChain, getDeploymentToken, requireContract } from "../deployments.ts";
import {
  type ClientError,
  type ContractRevertError,
  type DeploymentError,
  InvalidParameterError,
  type RpcRequestError,
  type UnknownAssetError,
  type UnknownChainError,
} from "../errors.ts";
import { requireAccount, requireHubClient, type WalletClient, type XmarginParameters } from "./internal/context.ts";
import { engineEvent, quoteCommands } from "./internal/engine.ts";
import { type SentMessage, sentMessages } from "./internal/messages.ts";
import { type SentTransaction, sendContractTransaction } from "./internal/transaction.ts";

export interface RequestReleaseParameters extends XmarginParameters {
  /** The chain holding the collateral, by id or name. */
  chain: number | string;
  /** Token symbol or address on that chain. */
  asset: string;
  /** Token units of locked collateral. */
  amount: bigint;
  /**
   * Who receives the tokens on that chain; defaults to the account. The zero address only unlocks:
   * the amount becomes free balance in the vault.
   */
  to?: Address | undefined;
}

export interface RequestReleaseReturnType extends SentTransaction {
  /** The command nonce of the `Release`; `waitForDelivery` follows it to the spoke. */
  cmdNonce: bigint;
  fee: bigint;
  messages: SentMessage[];
}

export type RequestReleaseErrorType =
  | ContractRevertError
  | RpcRequestError
  | UnknownAssetError
  | UnknownChainError
  | DeploymentError
  | ClientError
  | InvalidParameterError;

/**
 * Asks the hub to release locked collateral on a spoke (client on the hub). The hub checks `H^init ≥ 0`
 * without the amount, counts it as pending at once and sends `Release`; this pays that message's fee.
 */
export async function requestRelease(
  client: WalletClient,
  parameters: RequestReleaseParameters,
): Promise<RequestReleaseReturnType> {
  const { deployment, amount } = parameters;
  const account = requireAccount(client, "requestRelease").address;
  requireHubClient(client, deployment, "requestRelease");
  const engine = requireContract(deployment.hub, "engine");
  const chain = getDeploymentChain(deployment, parameters.chain);
  const token = getDeploymentToken(chain, parameters.asset);
  if (amount <= 0n) throw new InvalidParameterError("release amount must be positive", { details: { amount } });
  const to = parameters.to ?? account;

  const fee = await quoteCommands(client, deployment, account, [
    { type: "Release", chainId: chain.chainId, asset: token.address, amount, to },
  ]);
  const sent = await sendContractTransaction(client, {
    address: engine,
    abi: marginEngineAbi,
    functionName: "requestRelease",
    args: [BigInt(chain.chainId), token.address, amount, to],
    value: fee,
  });
  const { cmdNonce } = engineEvent(sent.receipt, engine, "ReleaseRequested");
  return { ...sent, cmdNonce, fee, messages: sentMessages(sent.receipt, engine) };
}
