import fp from "fastify-plugin";
import { createPublicClient, http, type PublicClient } from "viem";
import type { ChainConfig } from "../config/schema.ts";

export interface ConnectedChain {
  config: ChainConfig;
  client: PublicClient;
}

declare module "fastify" {
  interface FastifyInstance {
    chains: ReadonlyMap<number, ConnectedChain>;
  }
}

/** One viem client per configured chain, keyed by chain id. */
export const chainsService = fp<{ chains: ChainConfig[] }>(
  async (app, { chains }) => {
    const connected = new Map<number, ConnectedChain>();
    for (const config of chains) {
      connected.set(config.chainId, {
        config,
        client: createPublicClient({ transport: http(config.rpcUrl, { timeout: 5_000, retryCount: 1 }) }),
      });
    }
    app.decorate("chains", connected);
  },
  { name: "xmargin-chains" },
);
