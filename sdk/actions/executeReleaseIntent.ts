import type { Hex } from "viem";
import { marginEngineAbi } from "../abi/generated.ts";
import { requireContract } from "../deployments.ts";
import type { ClientError, ContractRevertError, DeploymentError, RpcRequestError } from "../errors.ts";
import { requireAccount, requireHubClient, type WalletClient, type XmarginParameters } from "./internal/context.ts";
import { engineEvent, quoteCommands } from "./internal/engine.ts";
import { type SentMessage, sentMessages } from "./internal/messages.ts";
import { type SentTransaction, sendContractTransaction } from "./internal/transaction.ts";
import type { ReleaseIntent } from "./signReleaseIntent.ts";

export interface ExecuteReleaseIntentParameters extends XmarginParameters {
  intent: ReleaseIntent;
  signature: Hex;
}

export interface ExecuteReleaseIntentReturnType extends SentTransaction {
  cmdNonce: bigint;
  fee: bigint;
  messages: SentMessage[];
}

export type ExecuteReleaseIntentErrorType = ContractRevertError | RpcRequestError | DeploymentError | ClientError;

/**
 * Submits a signed release intent to the hub from the client's account (a relayer, a keeper, or the trader
 * from another wallet), paying the `Release` message's fee.
 */
export async function executeReleaseIntent(
  client: WalletClient,
  parameters: ExecuteReleaseIntentParameters,
): Promise<ExecuteReleaseIntentReturnType> {
  const { deployment, intent, signature } = parameters;
  requireAccount(client, "executeReleaseIntent");
  requireHubClient(client, deployment, "executeReleaseIntent");
  const engine = requireContract(deployment.hub, "engine");
  const fee = await quoteCommands(client, deployment, intent.account, [
    { type: "Release", chainId: Number(intent.chainId), asset: intent.asset, amount: intent.amount, to: intent.to },
  ]);
  const sent = await sendContractTransaction(client, {
    address: engine,
    abi: marginEngineAbi,
    functionName: "requestReleaseWithSig",
    args: [intent, signature],
    value: fee,
  });
  const { cmdNonce } = engineEvent(sent.receipt, engine, "ReleaseRequested");
  return { ...sent, cmdNonce, fee, messages: sentMessages(sent.receipt, engine) };
}
