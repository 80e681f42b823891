import type { FastifyPluginAsync } from "fastify";
import { z } from "zod/v4";
import { MESSAGE_STATES } from "../../storage/index.ts";

const chainHealth = z.object({
  name: z.string(),
  chainId: z.number(),
  head: z.string().nullable().describe("latest block, decimal; null when the RPC did not answer"),
  lag: z
    .string()
    .nullable()
    .optional()
    .describe("blocks between the head and the slowest watcher cursor (absent without a deployment)"),
  cursors: z
    .record(z.string(), z.string())
    .optional()
    .describe("per transport, the last block whose messages are stored"),
  error: z.string().optional(),
});

/** Liveness plus what an operator looks at first: can we reach every chain, and how much work waits. */
export const healthRoutes: FastifyPluginAsync = async (app) => {
  app.get(
    "/healthz",
    {
      schema: {
        summary: "Per-chain head, backlog and the oldest pending message",
        tags: ["operations"],
        response: {
          200: z.object({
            status: z.enum(["ok", "degraded"]),
            chains: z.array(chainHealth),
            backlog: z.record(z.enum(MESSAGE_STATES), z.number()),
            oldestPendingAgeMs: z.number().nullable(),
          }),
        },
      },
    },
    async () => {
      const watchers = app.engine?.status() ?? [];
      const chains = await Promise.all(
        [...app.chains.values()].map(async ({ config, client }) => {
          const watcher = watchers.find((status) => status.chainId === config.chainId);
          const engineView = watcher && {
            lag: watcher.lag?.toString() ?? null,
            cursors: Object.fromEntries(
              Object.entries(watcher.cursors).map(([lane, block]) => [lane, block.toString()]),
            ),
            ...(watcher.lastError ? { error: watcher.lastError } : {}),
          };
          try {
            return {
              name: config.name,
              chainId: config.chainId,
              head: (await client.getBlockNumber()).toString(),
              ...engineView,
            };
          } catch (error) {
            app.metrics.rpcErrors.inc({ chain: config.name });
            const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
            return { name: config.name, chainId: config.chainId, head: null, error: reason ?? "unreachable" };
          }
        }),
      );
      const [backlog, oldest] = await Promise.all([app.store.countByState(), app.store.oldestPendingAgeMs()]);
      return {
        status: chains.every((chain) => chain.head !== null) ? ("ok" as const) : ("degraded" as const),
        chains,
        backlog,
        oldestPendingAgeMs: oldest ?? null,
      };
    },
  );

  app.get(
    "/metrics",
    { schema: { summary: "Prometheus metrics", tags: ["operations"], hide: false } },
    async (_request, reply) => {
      reply.type(app.metrics.registry.contentType);
      return app.metrics.registry.metrics();
    },
  );
};
