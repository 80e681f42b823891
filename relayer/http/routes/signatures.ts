import type { FastifyPluginAsync } from "fastify";
import { isHex } from "viem";
import { z } from "zod/v4";
import { errorBodySchema } from "../errors.ts";
import { findMessage } from "./messages.ts";

const messageId = z
  .string()
  .refine((value) => isHex(value, { strict: true }) && value.length === 66, "must be 0x + 64 hex digits");

/** The signatures this operator gave for a message (its own attestations), for audit and monitoring. */
export const signatureRoutes: FastifyPluginAsync<{ signer: `0x${string}` }> = async (app, { signer }) => {
  app.get(
    "/v1/messages/:id/signatures",
    {
      schema: {
        summary: "This operator's signatures of a message (audit and monitoring)",
        tags: ["operators"],
        params: z.strictObject({ id: messageId }),
        response: {
          200: z.object({
            signer: z.string(),
            signatures: z.array(z.object({ digest: z.string(), signature: z.string(), storedAt: z.string() })),
          }),
          400: errorBodySchema,
          404: errorBodySchema,
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: `0x${string}` };
      const message = await findMessage(app.store, id);
      const signatures = await app.store.listSignatures(message, { signer });
      return {
        signer,
        signatures: signatures.map((s) => ({
          digest: s.digest,
          signature: s.signature,
          storedAt: s.storedAt.toISOString(),
        })),
      };
    },
  );
};
