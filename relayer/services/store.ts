import fp from "fastify-plugin";
import type { Logger } from "pino";
import { type MessageStore, openStore, type ResolvedStoreConfig } from "../storage/index.ts";

declare module "fastify" {
  interface FastifyInstance {
    store: MessageStore;
  }
}

/** Opens the message store for the app's lifetime and closes it last. */
export const storeService = fp<{ config: ResolvedStoreConfig }>(
  async (app, { config }) => {
    // fastify's logger is pino underneath; its type is the narrower FastifyBaseLogger.
    const logger = app.log.child({ module: "store" }) as unknown as Logger;
    const store = await openStore(config, { logger });
    app.decorate("store", store);
    app.addHook("onClose", () => store.close());
  },
  { name: "xmargin-store" },
);
