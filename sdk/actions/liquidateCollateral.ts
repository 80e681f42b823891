import type { Address } from "viem";
import { marginEngineAbi } from "../abi/generated.ts";
import { getDeploymentChain, getDeploymentToken, requireContract } from "../deployments.ts";
import type {
  ClientError,
  ContractRevertError,
  DeploymentError,
  InvalidParameterError,
  RpcRequestError,
  UnknownAssetError,
  UnknownChainError,
} from "../errors.ts";
import { fromWadUp } from "../portfolio/state.ts";
import { type ApprovalMode, type ApprovalOutcome, ensureAllowance } from "./internal/allowance.ts";
import { requireAccount, requireHubClient, type WalletClient, type XmarginParameters } from "./internal/context.ts";
import { engineEvent, quoteCommands, settleToken } from "./internal/engine.ts";
import { type SentMessage, sentMessages } from "./internal/messages.ts";
import { read, type SentTransaction, sendContractTransaction } from "./internal/transaction.ts";

export interface LiquidateCollateralParameters extends XmarginParameters {
  /** The account with `H^maint < 0` and settle debt. */
  account: Address;
  /** The chain holding the collateral to seize, by id or name. */
  chain: number | string;
  /** Token symbol or address on that chain. */
  asset: string;
  /** Most settle debt to repay (WAD); omitted, as much as the spec allows. */
  maxRepay?: bigint | undefined;
  /** How the engine gets its allowance over the settle token; see `deposit`. Default `auto`. */
  approval?: ApprovalMode | undefined;
}

export interface LiquidateCollateralReturnType extends SentTransaction {
  /** Settle tokens paid (token units). */
  repaid: bigint;
  /** Collateral (token units) the `Seize` commands will pay the liquidator on the spoke, and the treasury. */
  seizedToLiquidator: bigint;
  seizedToProtocol: bigint;
  fee: bigint;
  approval: ApprovalOutcome;
  /** The `Seize` commands; `waitForDelivery` follows them to the spoke. */
  messages: SentMessage[];
}

export type LiquidateCollateralErrorType =
  | ContractRevertError
  | RpcRequestError
  | UnknownAssetError
  | UnknownChainError
  | DeploymentError
  | ClientError
  | InvalidParameterError;

/**
 * Repays an unhealthy account's settle debt on the hub and seizes its collateral on a spoke in return, with
 * the spec's bonus; the collateral arrives on that chain when the `Seize` command executes. Approves at
 * most the account's debt (or `maxRepay`) in settle tokens and pays the fee of both `Seize` commands (the
 * engine refunds what it does not spend).
 */
export async function liquidateCollateral(
  client: WalletClient,
  parameters: LiquidateCollateralParameters,
): Promise<LiquidateCollateralReturnType> {
  const { deployment, account, maxRepay = 0n, approval = "auto" } = parameters;
  const liquidator = requireAccount(client, "liquidateCollateral").address;
  requireHubClient(client, deployment, "liquidateCollateral");
  const engine = requireContract(deployment.hub, "engine");
  const chain = getDeploymentChain(deployment, parameters.chain);
  const token = getDeploymentToken(chain, parameters.asset);

  const [settle, settleBalance, treasury] = await Promise.all([
    settleToken(client, engine),
    read(client, { address: engine, abi: marginEngineAbi, functionName: "settleBalanceOf", args: [account] }),
    read(client, { address: engine, abi: marginEngineAbi, functionName: "treasury" }),
  ]);
  const debt = settleBalance < 0n ? -settleBalance : 0n;
  const repayCap = maxRepay !== 0n && maxRepay < debt ? maxRepay : debt;
  const approvalOutcome = await ensureAllowance(
    client,
    settle.address,
    engine,
    fromWadUp(repayCap, settle.decimals),
    approval,
  );
  const seize = { type: "Seize", chainId: chain.chainId, asset: token.address, amount: 0n } as const;
  const fee = await quoteCommands(client, deployment, account, [
    { ...seize, to: liquidator },
    { ...seize, to: treasury },
  ]);
  const sent = await sendContractTransaction(client, {
    address: engine,
    abi: marginEngineAbi,
    functionName: "liquidateCollateral",
    args: [account, BigInt(chain.chainId), token.address, maxRepay],
    value: fee,
  });
  const liquidated = engineEvent(sent.receipt, engine, "CollateralLiquidated");
  return {
    ...sent,
    repaid: liquidated.repay,
    seizedToLiquidator: liquidated.seizedToLiquidator,
    seizedToProtocol: liquidated.seizedToProtocol,
    fee,
    approval: approvalOutcome,
    messages: sentMessages(sent.receipt, engine),
  };
}
