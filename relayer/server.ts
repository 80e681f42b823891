import Fastify, { type FastifyInstance, LogController } from "fastify";
import { relayerApp } from "./app.ts";
import type { RelayerConfig } from "./config/schema.ts";

/** Builds the app without listening (tests use `inject`). */
export async function buildServer(config: RelayerConfig): Promise<FastifyInstance> {
  // Peers poll the attestation routes all the time: per-request lines would drown the engine's own;
  // failed requests are still logged by the error handler.
  const server = Fastify({
    logger: { level: config.log.level, name: "xmargin-relayer" },
    logController: new LogController({ disableRequestLogging: true }),
  });
  await server.register(relayerApp, { config });
  return server;
}

/** Starts listening; resolves to the address and a `stop` that closes everything gracefully. */
export async function startServer(config: RelayerConfig) {
  const server = await buildServer(config);
  const address = await server.listen({ host: config.api.host, port: config.api.port });
  return { server, address, stop: () => server.close() };
}
