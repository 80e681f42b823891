import type { Address, Client, TransactionReceipt } from "viem";
import { isAddressEqual, parseEventLogs } from "viem";
import { collateralVaultAbi } from "../../abi/generated.ts";
import { encodeMessage } from "../../codec/index.ts";
import type { Deployment, DeploymentChain } from "../../deployments.ts";
import { XmarginError } from "../../errors.ts";
import { quoteMessage } from "./messages.ts";
import { read } from "./transaction.ts";

/** The balance report change an action makes on the vault, before the vault sends it. */
export interface ReportChange {
  total: (current: bigint) => bigint;
  locked: (current: bigint) => bigint;
}

/**
 * The fee the vault's messenger charges for the balance report an action sends. The report is built with
 * the codec exactly as the vault will build it (next seq, acknowledged nonce), so a transport whose fee
 * depends on the message prices it right.
 */
export async function quoteVaultReport(
  client: Client,
  deployment: Deployment,
  chain: DeploymentChain,
  vault: Address,
  account: Address,
  token: Address,
  change: ReportChange,
): Promise<bigint> {
  const [messenger, balance, lastCommandNonce] = await Promise.all([
    read(client, { address: vault, abi: collateralVaultAbi, functionName: "messenger" }),
    read(client, { address: vault, abi: collateralVaultAbi, functionName: "balanceOf", args: [account, token] }),
    read(client, { address: vault, abi: collateralVaultAbi, functionName: "lastCommandNonce", args: [account] }),
  ]);
  const report = encodeMessage({
    type: "BalanceReport",
    origin: BigInt(chain.chainId),
    destination: BigInt(deployment.hub.chainId),
    account,
    asset: token,
    total: change.total(balance.total),
    locked: change.locked(balance.locked),
    seq: BigInt(balance.seq) + 1n,
    lastCommandNonce,
  });
  return quoteMessage(client, messenger, BigInt(deployment.hub.chainId), report);
}

/** The first `Deposited` event of `vault` in `receipt`; a successful deposit always emits one. */
export function depositedEvent(receipt: TransactionReceipt, vault: Address) {
  const [log] = parseEventLogs({
    abi: collateralVaultAbi,
    eventName: "Deposited",
    logs: receipt.logs,
    strict: true,
  }).filter((log) => isAddressEqual(log.address, vault));
  if (log === undefined)
    throw new XmarginError(`transaction ${receipt.transactionHash} has no Deposited event of the vault`);
  return log.args;
}
