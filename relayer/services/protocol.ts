import fp from "fastify-plugin";
import { loadProtocolDeployment } from "../config/deployment.ts";
import type { RelayerConfig } from "../config/schema.ts";
import type { ProtocolDeployment } from "../infra/protocol.ts";

declare module "fastify" {
  interface FastifyInstance {
    /** The protocol this instance serves; null when the config names no deployment (API and store only). */
    protocol: ProtocolDeployment | null;
  }
}

/** Loads the deployment the config names, once, before any route or the engine needs it. */
export const protocolService = fp<{ config: RelayerConfig }>(
  async (app, { config }) => {
    app.decorate("protocol", config.deployment ? await loadProtocolDeployment(config.deployment, config) : null);
  },
  { name: "xmargin-protocol" },
);
