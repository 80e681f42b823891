import type { FastifyPluginAsync } from "fastify";
import { isHex } from "viem";
import { z } from "zod/v4";
import { MESSAGE_TYPE } from "../../../sdk/codec/index.ts";
import { MESSAGE_STATES, type StoredMessage, TRANSPORTS } from "../../storage/index.ts";
import { errorBodySchema, NotFoundError } from "../errors.ts";

const hex = z.string().refine((value) => isHex(value, { strict: true }), "must be 0x-prefixed hex");
const messageId = z
  .string()
  .refine((value) => isHex(value, { strict: true }) && value.length === 66, "must be 0x + 64 hex digits");
const messageTypes = Object.keys(MESSAGE_TYPE) as [keyof typeof MESSAGE_TYPE, ...(keyof typeof MESSAGE_TYPE)[]];

export const messageSchema = z.object({
  transport: z.enum(TRANSPORTS),
  messageId: hex,
  originChainId: z.number(),
  destinationChainId: z.number(),
  messageType: z.enum(messageTypes).nullable(),
  state: z.enum(MESSAGE_STATES),
  attempts: z.number(),
  lastError: z.string().nullable(),
  sourceTxHash: hex,
  blockNumber: z.string().describe("decimal"),
  logIndex: z.number(),
  payload: hex,
  deliveryTxHash: hex.nullable(),
  discoveredAt: z.string(),
  updatedAt: z.string(),
  deliveredAt: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
});

export function toMessageBody(message: StoredMessage): z.infer<typeof messageSchema> {
  return {
    transport: message.transport,
    messageId: message.messageId,
    originChainId: message.originChainId,
    destinationChainId: message.destinationChainId,
    messageType: message.messageType,
    state: message.state,
    attempts: message.attempts,
    lastError: message.lastError,
    sourceTxHash: message.sourceTxHash,
    blockNumber: message.blockNumber.toString(),
    logIndex: message.logIndex,
    payload: message.payload,
    deliveryTxHash: message.deliveryTxHash,
    discoveredAt: message.discoveredAt.toISOString(),
    updatedAt: message.updatedAt.toISOString(),
    deliveredAt: message.deliveredAt?.toISOString() ?? null,
    nextAttemptAt: message.nextAttemptAt?.toISOString() ?? null,
  };
}

const listQuery = z.strictObject({
  state: z.enum(MESSAGE_STATES).optional(),
  transport: z.enum(TRANSPORTS).optional(),
  origin: z.coerce.number().int().positive().optional(),
  destination: z.coerce.number().int().positive().optional(),
  type: z.enum(messageTypes).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: z.string().min(1).optional(),
});

/** Finds a message by id whatever its transport (ids are 32-byte hashes: collisions do not happen). */
export async function findMessage(store: import("../../storage/index.ts").MessageStore, id: `0x${string}`) {
  for (const transport of TRANSPORTS) {
    const message = await store.getMessage({ transport, messageId: id });
    if (message) return message;
  }
  throw new NotFoundError(`no message ${id}`);
}

export const messageRoutes: FastifyPluginAsync = async (app) => {
  app.get(
    "/v1/messages",
    {
      schema: {
        summary: "Messages the relayer has seen, newest first, with filters and keyset pagination",
        tags: ["messages"],
        querystring: listQuery,
        response: {
          200: z.object({ messages: z.array(messageSchema), nextCursor: z.string().optional() }),
          400: errorBodySchema,
        },
      },
    },
    async (request) => {
      const query = request.query as z.infer<typeof listQuery>;
      const page = await app.store.listMessages(query);
      return { messages: page.messages.map(toMessageBody), nextCursor: page.nextCursor };
    },
  );

  app.get(
    "/v1/messages/:id",
    {
      schema: {
        summary: "One message and its delivery status",
        tags: ["messages"],
        params: z.strictObject({ id: messageId }),
        response: { 200: messageSchema, 400: errorBodySchema, 404: errorBodySchema },
      },
    },
    async (request) => {
      const { id } = request.params as { id: `0x${string}` };
      return toMessageBody(await findMessage(app.store, id));
    },
  );
};
