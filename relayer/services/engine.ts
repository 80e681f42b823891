import fp from "fastify-plugin";
import type { Logger } from "pino";
import { privateKeyToAddress } from "viem/accounts";
import type { RelayerConfig } from "../config/schema.ts";
import { RelayerEngine } from "../engine/engine.ts";
import { checkDeliveryBatchers } from "../engine/network.ts";
import { secp256k1Backend } from "../engine/secp256k1.ts";

declare module "fastify" {
  interface FastifyInstance {
    /** The watch → verify → deliver engine; null when the config names no deployment. */
    engine: RelayerEngine | null;
  }
}

/**
 * Runs the relayer engine for the app's lifetime: started once the app is ready, stopped before the
 * store closes (in-flight deliveries finish, claimed but unstarted messages are handed back).
 */
export const engineService = fp<{ config: RelayerConfig }>(
  async (app, { config }) => {
    if (!app.protocol) {
      app.decorate("engine", null);
      return;
    }
    await checkDeliveryBatchers(
      app.protocol,
      (chainId) => app.chains.get(chainId)?.client,
      (record, batcher, error) =>
        app.log.warn(
          { chain: record.name, deliveryBatcher: batcher },
          `could not check that the DeliveryBatcher has code (starting anyway): ${error.message.split("\n")[0]}`,
        ),
    );
    const operatorKey = config.operator.privateKey as `0x${string}`;
    const engine = new RelayerEngine({
      deployment: app.protocol,
      chains: config.chains,
      store: app.store,
      operatorKey,
      peers: config.peers.map((peer) => ({ url: peer.url, address: peer.address as `0x${string}` })),
      delivery: config.delivery,
      // fastify's logger is pino underneath; its type is the narrower FastifyBaseLogger.
      logger: app.log as unknown as Logger,
      events: {
        onDelivered: (message, result, latencyMs) => {
          app.metrics.deliveryLatency.observe({ transport: message.transport }, latencyMs / 1000);
          for (const step of result.gas) {
            app.metrics.gasSpent.inc({ chain: step.chain, step: step.step }, Number(step.gasUsed));
          }
        },
        onRpcError: (chain) => app.metrics.rpcErrors.inc({ chain }),
      },
    });
    app.log.info(
      {
        operator: privateKeyToAddress(operatorKey),
        peers: config.peers.length,
        delivery: config.delivery.enabled,
        // "noble" (JavaScript) where the secp256k1 package has no prebuilt addon for the platform: ~20× slower.
        secp256k1: secp256k1Backend,
      },
      "relayer engine configured",
    );
    app.decorate("engine", engine);
    app.addHook("onReady", async () => engine.start());
    app.addHook("preClose", async () => engine.stop());
  },
  { name: "xmargin-engine", dependencies: ["xmargin-store", "xmargin-chains", "xmargin-protocol", "xmargin-metrics"] },
);
