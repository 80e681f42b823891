import type { Address, Client } from "viem";
import type { ClientError, ContractRevertError, DeploymentError, RpcRequestError, XmarginError } from "../errors.ts";
import { type LiquidationRisk, liquidationRisk } from "../portfolio/liquidationRisk.ts";
import { exposedPrices, toRiskInputs } from "../portfolio/state.ts";
import { healthBreakdown } from "../risk/health.ts";
import type { HealthBreakdown } from "../risk/types.ts";
import { accountAddress, chainClient, type XmarginParameters } from "./internal/context.ts";
import { HubReader } from "./internal/hubReader.ts";
import { poll } from "./internal/poll.ts";

/** An alert level on the maintenance health ratio E^maint / R^maint (1 is the liquidation line). */
export interface HealthThreshold {
  name: string;
  /** The alert is active while the ratio is below this. */
  healthRatio: number;
}

export const DEFAULT_HEALTH_THRESHOLDS: readonly HealthThreshold[] = [
  { name: "warning", healthRatio: 1.5 },
  { name: "danger", healthRatio: 1.1 },
];

export interface WatchHealthParameters extends XmarginParameters {
  /** Defaults to the client's account. */
  account?: Address | undefined;
  /** Ratio levels; default DEFAULT_HEALTH_THRESHOLDS. `liquidatable` and `initialHealthNegative` always apply. */
  thresholds?: readonly HealthThreshold[] | undefined;
  /**
   * The predictive alert `liquidationProbability`: active while the probability of becoming liquidatable
   * within `horizon` seconds (the union bound of getLiquidationRisk) is at least `probability`. It fires
   * on volatility before health is low.
   */
  prediction?: { horizon: number; probability: number } | undefined;
  /** Milliseconds between looks at the hub; defaults to the hub client's polling interval. */
  pollingInterval?: number | undefined;
  /** Every new hub block's health. */
  onHealth?: ((snapshot: HealthSnapshot) => void) | undefined;
  /** An alert became active (`entered`) or stopped being active (`cleared`). Active alerts fire on the first look. */
  onAlert: (alert: HealthAlert) => void;
  onError?: ((error: XmarginError) => void) | undefined;
}

export interface HealthSnapshot {
  account: Address;
  blockNumber: bigint;
  health: HealthBreakdown;
  /** E^maint / R^maint; null without a requirement. */
  healthRatio: number | null;
  liquidationRisk?: LiquidationRisk | undefined;
}

export interface HealthAlert {
  /** A threshold's name, or `liquidatable` (H^maint < 0), `initialHealthNegative` (H^init < 0: risk-increasing
   * actions are blocked), `liquidationProbability`. */
  name: string;
  state: "entered" | "cleared";
  snapshot: HealthSnapshot;
}

export type WatchHealthReturnType = () => void;

/**
 * Thrown at once: ClientError without an account (none passed, none on the client). Passed to `onError`, once
 * per failed look while the polling goes on: reading the hub (ContractRevertError, RpcRequestError,
 * DeploymentError when the deployment lists no engine), and an exception of `onHealth` or `onAlert`: as is when
 * an XmarginError, else as RpcRequestError.
 */
export type WatchHealthErrorType = ContractRevertError | RpcRequestError | DeploymentError | ClientError;

/** The alerts active for `snapshot`. */
function activeAlerts(
  snapshot: HealthSnapshot,
  thresholds: readonly HealthThreshold[],
  prediction: WatchHealthParameters["prediction"],
): Set<string> {
  const active = new Set<string>();
  const { health, healthRatio } = snapshot;
  for (const threshold of thresholds) {
    if (healthRatio !== null && healthRatio < threshold.healthRatio) active.add(threshold.name);
  }
  if (health.liquidatable) active.add("liquidatable");
  if (health.health.init < 0n) active.add("initialHealthNegative");
  const risk = snapshot.liquidationRisk;
  if (prediction !== undefined && risk !== undefined && risk.probabilityUpperBound >= prediction.probability) {
    active.add("liquidationProbability");
  }
  return active;
}

/**
 * Watches an account's health by polling the hub (any transport, no filters needed) and evaluating it with
 * sdk/risk; alerts fire when it crosses a threshold, in either direction. Returns a function that stops it.
 */
export function watchHealth(client: Client, parameters: WatchHealthParameters): WatchHealthReturnType {
  const { deployment, prediction, onAlert, onHealth } = parameters;
  const account = accountAddress(client, parameters.account, "watchHealth");
  const hub = chainClient(parameters, deployment.hub.chainId, client);
  const thresholds = parameters.thresholds ?? DEFAULT_HEALTH_THRESHOLDS;
  let lastBlock: bigint | undefined;
  let active = new Set<string>();

  return poll(
    async () => {
      const reader = await HubReader.at(hub, deployment);
      if (reader.blockNumber === lastBlock) return;
      lastBlock = reader.blockNumber;
      const state = await reader.accountState(account);
      const health = healthBreakdown(toRiskInputs(state));
      let risk: LiquidationRisk | undefined;
      if (prediction !== undefined) {
        const priceIds = [...exposedPrices(state).keys()];
        const sigmas = new Map(
          await Promise.all(priceIds.map(async (id) => [id, await reader.volatility(id)] as const)),
        );
        risk = liquidationRisk(state, sigmas, prediction.horizon);
      }
      const snapshot: HealthSnapshot = {
        account,
        blockNumber: reader.blockNumber,
        health,
        healthRatio: health.healthRatioMaint === null ? null : Number(health.healthRatioMaint) / 1e18,
        liquidationRisk: risk,
      };
      onHealth?.(snapshot);
      const now = activeAlerts(snapshot, thresholds, prediction);
      for (const name of now) if (!active.has(name)) onAlert({ name, state: "entered", snapshot });
      for (const name of active) if (!now.has(name)) onAlert({ name, state: "cleared", snapshot });
      active = now;
    },
    parameters.pollingInterval ?? hub.pollingInterval,
    parameters.onError,
    "watchHealth",
  );
}
