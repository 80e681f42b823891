import { marginEngineAbi } from "../abi/generated.ts";
import { requireContract } from "../deployments.ts";
import type { ClientError, ContractRevertError, DeploymentError, RpcRequestError } from "../errors.ts";
import { requireAccount, requireHubClient, type WalletClient, type XmarginParameters } from "./internal/context.ts";
import { engineEvent } from "./internal/engine.ts";
import { type SentTransaction, sendContractTransaction } from "./internal/transaction.ts";

export interface SetAutoMarginParameters extends XmarginParameters {
  /** Opt in (keepers may lock free spoke balance when `H^init` turns negative) or out. */
  enabled: boolean;
}

export interface SetAutoMarginReturnType extends SentTransaction {
  enabled: boolean;
}

export type SetAutoMarginErrorType = ContractRevertError | RpcRequestError | DeploymentError | ClientError;

/**
 * Opts the account in or out of auto-margin on the hub. Opted in, anyone (a keeper) may have the hub send
 * a `Lock` of the account's free spoke balance while its initial health is negative.
 */
export async function setAutoMargin(
  client: WalletClient,
  parameters: SetAutoMarginParameters,
): Promise<SetAutoMarginReturnType> {
  const { deployment, enabled } = parameters;
  requireAccount(client, "setAutoMargin");
  requireHubClient(client, deployment, "setAutoMargin");
  const engine = requireContract(deployment.hub, "engine");
  const sent = await sendContractTransaction(client, {
    address: engine,
    abi: marginEngineAbi,
    functionName: "setAutoMargin",
    args: [enabled],
  });
  return { ...sent, enabled: engineEvent(sent.receipt, engine, "AutoMarginSet").enabled };
}
