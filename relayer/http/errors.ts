import type { FastifyError, FastifyInstance } from "fastify";
import { z } from "zod/v4";
import { XmarginError } from "../../sdk/errors.ts";
import { StoreError } from "../storage/index.ts";
import { RequestValidationError } from "./zod.ts";

/** A resource the request named does not exist. */
export class NotFoundError extends XmarginError {
  override name = "NotFoundError";
  readonly statusCode = 404;
}

/** The request is well-formed but cannot be carried out (e.g. an intent the engine would reject). */
export class UnprocessableError extends XmarginError {
  override name = "UnprocessableError";
  readonly statusCode = 422;
}

export const errorBodySchema = z.object({
  error: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  requestId: z.string().optional(),
});

/**
 * The one error handler: validation failures are 400 with the issue list, known client errors keep
 * their status and message, and anything else is a 500 whose body says nothing about internals.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | XmarginError, request, reply) => {
    if (error instanceof RequestValidationError) {
      return reply.status(400).send({ error: "BadRequest", message: error.message, issues: error.issues });
    }
    if (error instanceof StoreError && error.kind === "InvalidInput") {
      // e.g. a page cursor the store did not issue
      return reply.status(400).send({ error: "BadRequest", message: error.message });
    }
    if (error instanceof NotFoundError || error instanceof UnprocessableError) {
      return reply.status(error.statusCode).send({ error: error.name.replace(/Error$/, ""), message: error.message });
    }
    const status = "statusCode" in error && typeof error.statusCode === "number" ? error.statusCode : 500;
    if (status >= 400 && status < 500) {
      // fastify's own client errors: malformed JSON, wrong content type, body too large.
      return reply.status(status).send({ error: "BadRequest", message: error.message });
    }
    request.log.error({ err: error }, "request failed");
    return reply.status(500).send({ error: "InternalServerError", message: "internal error", requestId: request.id });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: "NotFound", message: `no route ${request.method} ${request.url}` }),
  );
}
