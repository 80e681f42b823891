import type { Address, Client, Hex } from "viem";
import { getDeploymentChain, getDeploymentMarket, getDeploymentToken } from "../deployments.ts";
import type {
  ClientError,
  ContractRevertError,
  DeploymentError,
  RpcRequestError,
  UnknownAssetError,
  UnknownChainError,
  UnknownMarketError,
} from "../errors.ts";
import { type Preview, type PreviewAction, previewActions } from "../portfolio/preview.ts";
import { accountAddress, chainClient, type XmarginParameters } from "./internal/context.ts";
import { HubReader } from "./internal/hubReader.ts";

/** An action to preview, named as the actions take their parameters. Amounts are token units. */
export type PreviewHealthAction =
  /** Counted once its report lands, when locked (the default). */
  | { type: "deposit"; chain: number | string; asset: string; amount: bigint; lock?: boolean | undefined }
  | { type: "lock"; chain: number | string; asset: string; amount: bigint }
  | { type: "release"; chain: number | string; asset: string; amount: bigint }
  | { type: "trade"; market: string | bigint; size: bigint }
  | { type: "depositSettle"; amount: bigint }
  | { type: "withdrawSettle"; amount: bigint }
  /** What-if: every asset and market priced by `priceId` moves to `price` (WAD). */
  | { type: "setPrice"; priceId: Hex; price: bigint };

export interface PreviewHealthParameters extends XmarginParameters {
  /** Defaults to the client's account. */
  account?: Address | undefined;
  /** Applied in order, each to the result of the previous one. */
  actions: readonly PreviewHealthAction[];
  /**
   * When the actions execute (unix seconds): a trade accrues its market's funding up to then. Defaults to
   * the hub's latest block.
   */
  timestamp?: bigint | undefined;
}

export type PreviewHealthReturnType = Preview;

export type PreviewHealthErrorType =
  | ContractRevertError
  | RpcRequestError
  | UnknownAssetError
  | UnknownChainError
  | UnknownMarketError
  | DeploymentError
  | ClientError;

/**
 * What actions would do to an account's health, computed locally with sdk/risk (the hub's arithmetic to
 * the wei) from the hub's current state: health before and after each step, whether the step is gated by
 * `H^init ≥ 0`, and the custom error the engine would revert with (the step then changes nothing).
 *
 * Deposits and locks count once their report lands, against the hub's current ledger; a report still in
 * flight from an earlier change is not anticipated.
 */
export async function previewHealth(
  client: Client,
  parameters: PreviewHealthParameters,
): Promise<PreviewHealthReturnType> {
  const { deployment } = parameters;
  const account = accountAddress(client, parameters.account, "previewHealth");
  const reader = await HubReader.at(chainClient(parameters, deployment.hub.chainId, client), deployment);
  const state = await reader.accountState(account);
  if (parameters.timestamp !== undefined) state.timestamp = parameters.timestamp;

  const actions: PreviewAction[] = [];
  for (const action of parameters.actions) {
    switch (action.type) {
      case "deposit":
      case "lock":
      case "release": {
        const chain = getDeploymentChain(deployment, action.chain);
        const token = getDeploymentToken(chain, action.asset).address;
        await reader.include(state, { collateral: { chainId: chain.chainId, token } });
        actions.push(
          action.type === "deposit"
            ? { type: "deposit", chainId: chain.chainId, token, amount: action.amount, lock: action.lock ?? true }
            : { type: action.type, chainId: chain.chainId, token, amount: action.amount },
        );
        break;
      }
      case "trade": {
        const { id: marketId } = getDeploymentMarket(deployment, action.market);
        await reader.include(state, { marketId });
        actions.push({ type: "trade", marketId, size: action.size });
        break;
      }
      default:
        actions.push(action);
    }
  }
  return previewActions(state, actions);
}
