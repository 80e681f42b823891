import fp from "fastify-plugin";
import { Counter } from "prom-client";
import { type Client, createWalletClient, type Hex, http, parseUnits } from "viem";
import { toViemChain } from "../../sdk/deployments.ts";
import type { RelayerConfig } from "../config/schema.ts";
import { receiptPollMs } from "../engine/network.ts";
import { operatorAccount } from "../engine/secp256k1.ts";
import {
  createKeeper,
  createPriceMover,
  devnetRandomWalk,
  type Keeper,
  loadPricePath,
  type PriceMover,
  pathSchedule,
  protocolPriceFeeds,
} from "../keeper/index.ts";
import { operatorNonceManager } from "../transports/submit.ts";

declare module "fastify" {
  interface FastifyInstance {
    /** The keeper role when the config enables it (and names a deployment); else null. */
    keeper: Keeper | null;
  }
}

/**
 * The keeper role of the service: liquidates accounts below maintenance (perp first, then collateral),
 * sends auto-margin Locks, and on a devnet moves the mock price feeds. Runs beside the engine, with its own
 * account (default: the operator's) on the hub; started when the app is ready, stopped before it closes.
 */
export const keeperService = fp<{ config: RelayerConfig }>(
  async (app, { config }) => {
    const settings = config.keeper;
    if (!settings.enabled || !app.hub || !app.protocol) {
      app.decorate("keeper", null);
      return;
    }
    const { deployment } = app.hub;
    const hubClient = app.hub.readClient(deployment.hub.chainId) as Client;
    const hubConfig = config.chains.find((chain) => chain.chainId === deployment.hub.chainId);
    const walletFor = (key: Hex) =>
      createWalletClient({
        chain: toViemChain(deployment.hub, deployment.network),
        transport: http(deployment.hub.rpcUrl, { timeout: 10_000, retryCount: 1 }),
        pollingInterval: hubConfig ? receiptPollMs(hubConfig) : undefined,
        account: operatorAccount(key, { nonceManager: operatorNonceManager }),
      });
    const keeperKey = (settings.privateKey ?? config.operator.privateKey) as Hex;
    const actions = new Counter({
      name: "xmargin_keeper_actions_total",
      help: "Transactions the keeper sent, by kind (liquidatePerp, liquidateCollateral, resolveBadDebt, autoMarginLock)",
      labelNames: ["kind"],
      registers: [app.metrics.registry],
    });
    const keeper = createKeeper({
      deployment,
      hub: { publicClient: hubClient, walletClient: walletFor(keeperKey) },
      logger: app.log,
      pollIntervalMs: settings.pollIntervalMs,
      autoMargin:
        settings.autoMarginThreshold === null
          ? false
          : { threshold: parseUnits(String(settings.autoMarginThreshold), 18) },
      fromBlock: BigInt(app.protocol.hub.hyperlane.deployBlock),
      priceIds: Object.values(app.protocol.hub.priceFeeds).map((feed) => feed.priceId as Hex),
      onTick: (result) => {
        for (const action of result.actions) {
          actions.inc({ kind: action.kind });
          app.metrics.gasSpent.inc({ chain: deployment.hub.name, step: action.kind }, Number(action.gasUsed));
        }
      },
    });

    let mover: PriceMover | undefined;
    if (settings.prices) {
      const { prices } = settings;
      const path = prices.file === undefined ? undefined : await loadPricePath(prices.file);
      const walk = prices.randomWalk;
      mover = createPriceMover({
        walletClient: walletFor((prices.privateKey ?? keeperKey) as Hex),
        publicClient: hubClient,
        feeds: protocolPriceFeeds(app.protocol),
        oracle: app.protocol.hub.contracts.oracle,
        schedule: path ? pathSchedule(path) : devnetRandomWalk(walk as { seed: number; volatility: number }),
        intervalMs: path?.intervalSeconds === undefined ? prices.intervalMs : path.intervalSeconds * 1000,
        logger: app.log,
      });
    }
    app.decorate("keeper", keeper);
    app.addHook("onReady", async () => {
      keeper.start();
      mover?.start();
    });
    app.addHook("preClose", async () => {
      await Promise.all([keeper.stop(), mover?.stop()]);
    });
  },
  { name: "xmargin-keeper", dependencies: ["xmargin-hub", "xmargin-metrics", "xmargin-protocol"] },
);
