import type { Client } from "viem";
import { type ClaimParameters, type ClaimReturnType, claim } from "../actions/claim.ts";
import { type ClosePositionParameters, type ClosePositionReturnType, closePosition } from "../actions/closePosition.ts";
import { type DepositParameters, type DepositReturnType, deposit } from "../actions/deposit.ts";
import {
  type DepositLiquidityParameters,
  type DepositLiquidityReturnType,
  depositLiquidity,
} from "../actions/depositLiquidity.ts";
import { type DepositSettleParameters, type DepositSettleReturnType, depositSettle } from "../actions/depositSettle.ts";
import {
  type ExecuteReleaseIntentParameters,
  type ExecuteReleaseIntentReturnType,
  executeReleaseIntent,
} from "../actions/executeReleaseIntent.ts";
import { type GetAccountParameters, type GetAccountReturnType, getAccount } from "../actions/getAccount.ts";
import {
  type GetLiquidationRiskParameters,
  type GetLiquidationRiskReturnType,
  getLiquidationRisk,
} from "../actions/getLiquidationRisk.ts";
import type { ChainClients, WalletClient, XmarginParameters } from "../actions/internal/context.ts";
import {
  type LiquidateCollateralParameters,
  type LiquidateCollateralReturnType,
  liquidateCollateral,
} from "../actions/liquidateCollateral.ts";
import { type LiquidatePerpParameters, type LiquidatePerpReturnType, liquidatePerp } from "../actions/liquidatePerp.ts";
import { type LockParameters, type LockReturnType, lock } from "../actions/lock.ts";
import { type PreviewHealthParameters, type PreviewHealthReturnType, previewHealth } from "../actions/previewHealth.ts";
import {
  type RequestReleaseParameters,
  type RequestReleaseReturnType,
  requestRelease,
} from "../actions/requestRelease.ts";
import { type SetAutoMarginParameters, type SetAutoMarginReturnType, setAutoMargin } from "../actions/setAutoMargin.ts";
import {
  type SignReleaseIntentParameters,
  type SignReleaseIntentReturnType,
  signReleaseIntent,
} from "../actions/signReleaseIntent.ts";
import {
  type SubmitReleaseIntentParameters,
  type SubmitReleaseIntentReturnType,
  submitReleaseIntent,
} from "../actions/submitReleaseIntent.ts";
import { type SyncBalanceParameters, type SyncBalanceReturnType, syncBalance } from "../actions/syncBalance.ts";
import { type TradeParameters, type TradeReturnType, trade } from "../actions/trade.ts";
import {
  type WaitForDeliveryParameters,
  type WaitForDeliveryReturnType,
  waitForDelivery,
} from "../actions/waitForDelivery.ts";
import { type WatchAccountParameters, type WatchAccountReturnType, watchAccount } from "../actions/watchAccount.ts";
import { type WatchHealthParameters, type WatchHealthReturnType, watchHealth } from "../actions/watchHealth.ts";
import { type WithdrawFreeParameters, type WithdrawFreeReturnType, withdrawFree } from "../actions/withdrawFree.ts";
import {
  type WithdrawLiquidityParameters,
  type WithdrawLiquidityReturnType,
  withdrawLiquidity,
} from "../actions/withdrawLiquidity.ts";
import {
  type WithdrawSettleParameters,
  type WithdrawSettleReturnType,
  withdrawSettle,
} from "../actions/withdrawSettle.ts";
import type { Deployment } from "../deployments.ts";

export interface XmarginConfig {
  deployment: Deployment;
  /**
   * Read clients of the other chains, by chain id (getAccount reads every vault, waitForDelivery watches
   * the destination). Chains without one get an HTTP client on the deployment's `rpcUrl`.
   */
  chainClients?: ChainClients | undefined;
}

/** An action's parameters without what the decorator supplies. */
type Bound<parameters> = Omit<parameters, keyof XmarginParameters>;

// A type alias, not an interface: `client.extend` needs the implicit index signature only aliases have.
export type XmarginActions = {
  // ---- spoke vaults (the client's chain)
  deposit: (parameters: Bound<DepositParameters>) => Promise<DepositReturnType>;
  lock: (parameters: Bound<LockParameters>) => Promise<LockReturnType>;
  withdrawFree: (parameters: Bound<WithdrawFreeParameters>) => Promise<WithdrawFreeReturnType>;
  syncBalance: (parameters: Bound<SyncBalanceParameters>) => Promise<SyncBalanceReturnType>;
  claim: (parameters: Bound<ClaimParameters>) => Promise<ClaimReturnType>;
  // ---- hub (the client must be on the hub)
  requestRelease: (parameters: Bound<RequestReleaseParameters>) => Promise<RequestReleaseReturnType>;
  executeReleaseIntent: (parameters: Bound<ExecuteReleaseIntentParameters>) => Promise<ExecuteReleaseIntentReturnType>;
  trade: (parameters: Bound<TradeParameters>) => Promise<TradeReturnType>;
  closePosition: (parameters: Bound<ClosePositionParameters>) => Promise<ClosePositionReturnType>;
  depositLiquidity: (parameters: Bound<DepositLiquidityParameters>) => Promise<DepositLiquidityReturnType>;
  withdrawLiquidity: (parameters: Bound<WithdrawLiquidityParameters>) => Promise<WithdrawLiquidityReturnType>;
  liquidatePerp: (parameters: Bound<LiquidatePerpParameters>) => Promise<LiquidatePerpReturnType>;
  liquidateCollateral: (parameters: Bound<LiquidateCollateralParameters>) => Promise<LiquidateCollateralReturnType>;
  depositSettle: (parameters: Bound<DepositSettleParameters>) => Promise<DepositSettleReturnType>;
  withdrawSettle: (parameters: Bound<WithdrawSettleParameters>) => Promise<WithdrawSettleReturnType>;
  setAutoMargin: (parameters: Bound<SetAutoMarginParameters>) => Promise<SetAutoMarginReturnType>;
  // ---- any chain
  signReleaseIntent: (parameters: Bound<SignReleaseIntentParameters>) => Promise<SignReleaseIntentReturnType>;
  submitReleaseIntent: (parameters: SubmitReleaseIntentParameters) => Promise<SubmitReleaseIntentReturnType>;
  getAccount: (parameters?: Bound<GetAccountParameters>) => Promise<GetAccountReturnType>;
  previewHealth: (parameters: Bound<PreviewHealthParameters>) => Promise<PreviewHealthReturnType>;
  getLiquidationRisk: (parameters: Bound<GetLiquidationRiskParameters>) => Promise<GetLiquidationRiskReturnType>;
  waitForDelivery: (parameters: Bound<WaitForDeliveryParameters>) => Promise<WaitForDeliveryReturnType>;
  watchAccount: (parameters: Bound<WatchAccountParameters>) => WatchAccountReturnType;
  watchHealth: (parameters: Bound<WatchHealthParameters>) => WatchHealthReturnType;
};

/**
 * Every xmargin action bound to one deployment, for `client.extend(xmarginActions({ deployment }))`. One
 * decorator serves every chain: an action finds its contracts by the client's chain id, so a client on a
 * spoke deposits into that spoke's vault and a client on the hub trades; an action sent to the wrong chain
 * throws ClientError. Write actions need a client with an account.
 */
export function xmarginActions(config: XmarginConfig) {
  return (client: Client): XmarginActions => {
    // Write actions check the chain and the account at run time, with errors that say which is missing.
    const wallet = client as unknown as WalletClient;
    const bind = <parameters>(parameters: parameters) => ({ ...parameters, ...config });
    return {
      deposit: (parameters) => deposit(wallet, bind(parameters)),
      lock: (parameters) => lock(wallet, bind(parameters)),
      withdrawFree: (parameters) => withdrawFree(wallet, bind(parameters)),
      syncBalance: (parameters) => syncBalance(wallet, bind(parameters)),
      claim: (parameters) => claim(wallet, bind(parameters)),
      requestRelease: (parameters) => requestRelease(wallet, bind(parameters)),
      executeReleaseIntent: (parameters) => executeReleaseIntent(wallet, bind(parameters)),
      trade: (parameters) => trade(wallet, bind(parameters)),
      closePosition: (parameters) => closePosition(wallet, bind(parameters)),
      depositLiquidity: (parameters) => depositLiquidity(wallet, bind(parameters)),
      withdrawLiquidity: (parameters) => withdrawLiquidity(wallet, bind(parameters)),
      liquidatePerp: (parameters) => liquidatePerp(wallet, bind(parameters)),
      liquidateCollateral: (parameters) => liquidateCollateral(wallet, bind(parameters)),
      depositSettle: (parameters) => depositSettle(wallet, bind(parameters)),
      withdrawSettle: (parameters) => withdrawSettle(wallet, bind(parameters)),
      setAutoMargin: (parameters) => setAutoMargin(wallet, bind(parameters)),
      signReleaseIntent: (parameters) => signReleaseIntent(wallet, bind(parameters)),
      submitReleaseIntent: (parameters) => submitReleaseIntent(parameters),
      getAccount: (parameters = {}) => getAccount(client, bind(parameters)),
      previewHealth: (parameters) => previewHealth(client, bind(parameters)),
      getLiquidationRisk: (parameters) => getLiquidationRisk(client, bind(parameters)),
      waitForDelivery: (parameters) => waitForDelivery(client, bind(parameters)),
      watchAccount: (parameters) => watchAccount(client, bind(parameters)),
      watchHealth: (parameters) => watchHealth(client, bind(parameters)),
    };
  };
}
