import type { Address, Client, Hex } from "viem";
import type { Deployment } from "../deployments.ts";
import { getDeploymentChain, getDeploymentMarket, tokenSymbol } from "../deployments.ts";
import type { ClientError, ContractRevertError, DeploymentError, RpcRequestError } from "../errors.ts";
import { type LiquidationRisk, type LiquidationRiskFactor, liquidationRisk } from "../portfolio/liquidationRisk.ts";
import { type AccountState, exposedPrices, requireAsset, requireMarket } from "../portfolio/state.ts";
import { accountAddress, chainClient, type XmarginParameters } from "./internal/context.ts";
import { HubReader } from "./internal/hubReader.ts";

export interface GetLiquidationRiskParameters extends XmarginParameters {
  /** Defaults to the client's account. */
  account?: Address | undefined;
  /** Seconds to look ahead, e.g. 86 400 for a day. */
  horizon: number;
}

export interface GetLiquidationRiskReturnType extends LiquidationRisk {
  account: Address;
  blockNumber: bigint;
  factors: (LiquidationRiskFactor & {
    /** What the price id prices for this account: token symbols and market names. */
    labels: string[];
  })[];
}

export type GetLiquidationRiskErrorType = ContractRevertError | RpcRequestError | DeploymentError | ClientError;

/** Token symbols and market names of the account priced by each price id. */
function priceLabels(deployment: Deployment, state: AccountState): Map<Hex, string[]> {
  const labels = new Map<Hex, string[]>();
  const add = (priceId: Hex, label: string | undefined) => {
    if (label === undefined) return;
    const list = labels.get(priceId) ?? [];
    if (!list.includes(label)) list.push(label);
    labels.set(priceId, list);
  };
  for (const entry of state.entries) {
    add(
      requireAsset(state, entry.assetId).priceId,
      tokenSymbol(getDeploymentChain(deployment, entry.chainId), entry.token),
    );
  }
  for (const position of state.positions) {
    const { name } = getDeploymentMarket(deployment, position.marketId);
    add(requireMarket(state, position.marketId).config.priceId, name ?? `market ${position.marketId}`);
  }
  return labels;
}

/**
 * The predictive view: for each price the account is exposed to, the move in units of the oracle's current
 * σ that would make it liquidatable and the probability of reaching it within `horizon`, under a driftless
 * Brownian model of the log price (reflection principle; see sdk/portfolio/firstPassage.ts).
 */
export async function getLiquidationRisk(
  client: Client,
  parameters: GetLiquidationRiskParameters,
): Promise<GetLiquidationRiskReturnType> {
  const { deployment, horizon } = parameters;
  const account = accountAddress(client, parameters.account, "getLiquidationRisk");
  const reader = await HubReader.at(chainClient(parameters, deployment.hub.chainId, client), deployment);
  const state = await reader.accountState(account);
  const priceIds = [...exposedPrices(state).keys()];
  const sigmas = new Map(
    await Promise.all(priceIds.map(async (priceId) => [priceId, await reader.volatility(priceId)] as const)),
  );
  const risk = liquidationRisk(state, sigmas, horizon);
  const labels = priceLabels(deployment, state);
  return {
    ...risk,
    account,
    blockNumber: state.blockNumber,
    factors: risk.factors.map((factor) => ({ ...factor, labels: labels.get(factor.priceId) ?? [] })),
  };
}
