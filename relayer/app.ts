import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import fp from "fastify-plugin";
import { privateKeyToAddress } from "viem/accounts";
import { storeConfigOf } from "./config/load.ts";
import type { RelayerConfig } from "./config/schema.ts";
import { installErrorHandler } from "./http/errors.ts";
import { accountRoutes } from "./http/routes/accounts.ts";
import { attestationRoutes } from "./http/routes/attestations.ts";
import { healthRoutes } from "./http/routes/health.ts";
import { intentRoutes } from "./http/routes/intents.ts";
import { messageRoutes } from "./http/routes/messages.ts";
import { signatureRoutes } from "./http/routes/signatures.ts";
import { zodSerializerCompiler, zodToOpenApi, zodValidatorCompiler } from "./http/zod.ts";
import { chainsService } from "./services/chains.ts";
import { engineService } from "./services/engine.ts";
import { hubService } from "./services/hub.ts";
import { keeperService } from "./services/keeper.ts";
import { metricsService } from "./services/metrics.ts";
import { protocolService } from "./services/protocol.ts";
import { storeService } from "./services/store.ts";

export interface AppOptions {
  config: RelayerConfig;
}

/**
 * The relayer's HTTP face as one fastify plugin: services (store, chains, metrics) as typed
 * plugins, schema-first routes with zod, an OpenAPI document at /openapi.json and its docs page at
 * /docs, and one error handler. The delivery engine runs beside it and knows nothing of HTTP.
 * Wrapped with fastify-plugin so the services it decorates are visible to whoever registers it.
 */
export const relayerApp = fp<AppOptions>(
  async (app, { config }) => {
    const signer = privateKeyToAddress(config.operator.privateKey as `0x${string}`);
    app.setValidatorCompiler(zodValidatorCompiler);
    app.setSerializerCompiler(zodSerializerCompiler);
    installErrorHandler(app);

    await app.register(swagger, {
      openapi: {
        openapi: "3.1.0",
        info: { title: "xmargin relayer", version: "1", description: "Status, messages and operator endpoints" },
      },
      transform: zodToOpenApi,
    });
    await app.register(swaggerUi, { routePrefix: "/docs" });
    app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());

    await app.register(storeService, { config: storeConfigOf(config) });
    await app.register(chainsService, { chains: config.chains });
    await app.register(protocolService, { config });
    await app.register(hubService, { config });
    await app.register(metricsService, { signer });
    await app.register(engineService, { config });
    await app.register(keeperService, { config });

    await app.register(healthRoutes);
    await app.register(messageRoutes);
    await app.register(signatureRoutes, { signer });
    await app.register(attestationRoutes);
    await app.register(accountRoutes);
    await app.register(intentRoutes);
  },
  { name: "xmargin-relayer-app" },
);
