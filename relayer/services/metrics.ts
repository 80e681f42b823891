import fp from "fastify-plugin";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Address } from "viem";
import { MESSAGE_STATES } from "../storage/index.ts";

/** The relayer's Prometheus metrics; the engine records into them, scrapes read the rest live. */
export interface RelayerMetrics {
  registry: Registry;
  deliveryLatency: Histogram<"transport">;
  rpcErrors: Counter<"chain">;
  gasSpent: Counter<"chain" | "step">;
}

declare module "fastify" {
  interface FastifyInstance {
    metrics: RelayerMetrics;
  }
}

export const metricsService = fp<{ signer: Address }>(
  async (app, { signer }) => {
    const registry = new Registry();
    const metrics: RelayerMetrics = {
      registry,
      deliveryLatency: new Histogram({
        name: "xmargin_delivery_latency_seconds",
        help: "Time from discovery of a message to its delivery",
        labelNames: ["transport"],
        buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
        registers: [registry],
      }),
      rpcErrors: new Counter({
        name: "xmargin_rpc_errors_total",
        help: "RPC requests that failed",
        labelNames: ["chain"],
        registers: [registry],
      }),
      gasSpent: new Counter({
        name: "xmargin_gas_spent_total",
        help: "Gas used by the relayer's own transactions",
        labelNames: ["chain", "step"],
        registers: [registry],
      }),
    };
    new Gauge({
      name: "xmargin_messages",
      help: "Messages in the store by state",
      labelNames: ["state"],
      registers: [registry],
      async collect() {
        const counts = await app.store.countByState();
        for (const state of MESSAGE_STATES) this.set({ state }, counts[state]);
      },
    });
    new Gauge({
      name: "xmargin_oldest_pending_message_age_seconds",
      help: "Age of the oldest message not yet delivered or failed (0 when none)",
      registers: [registry],
      async collect() {
        this.set(((await app.store.oldestPendingAgeMs()) ?? 0) / 1000);
      },
    });
    new Gauge({
      name: "xmargin_signer_balance_wei",
      help: "Native balance of the operator's account per chain",
      labelNames: ["chain"],
      registers: [registry],
      async collect() {
        await Promise.all(
          [...app.chains.values()].map(async ({ config, client }) => {
            try {
              this.set({ chain: config.name }, Number(await client.getBalance({ address: signer })));
            } catch {
              metrics.rpcErrors.inc({ chain: config.name });
            }
          }),
        );
      },
    });
    app.decorate("metrics", metrics);
  },
  { name: "xmargin-metrics", dependencies: ["xmargin-store", "xmargin-chains"] },
);
