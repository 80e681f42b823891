import type { FastifyError, FastifyInstance } from "fastify";
import { z } from "zod/v4";
import { type ContractRevertError, RpcRequestError, XmarginError } from "../../sdk/errors.ts";
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

/** A request that collides with one in progress (e.g. the same intent submitted twice at once). */
export class ConflictError extends XmarginError {
  override name = "ConflictError";
  readonly statusCode = 409;
}

/**
 * The hub would revert the request: the engine's own custom error (name and arguments) tells why. Thrown
 * before anything is sent, from the checks and the simulation.
 */
export class ContractRejectionError extends UnprocessableError {
  override name = "ContractRejectionError";
  readonly contractError: { name: string | null; args: unknown[] };

  constructor(message: string, revert: Pick<ContractRevertError, "errorName" | "args">) {
    super(message);
    this.contractError = { name: revert.errorName ?? null, args: toJsonSafe(revert.args) as unknown[] };
  }

  /** The engine's rejection as it would revert, for checks the relayer makes without asking the chain. */
  static of(errorName: NonNullable<ContractRevertError["errorName"]>, args: readonly unknown[]) {
    return new ContractRejectionError(`the hub would revert with ${errorName}`, { errorName, args });
  }
}

/** A chain's RPC failed while answering the request: the relayer is fine, its upstream is not. */
export class BadGatewayError extends XmarginError {
  override name = "BadGatewayError";
  readonly statusCode = 502;
}

/** The instance does not serve this route as configured (e.g. the protocol routes without a deployment). */
export class ServiceUnavailableError extends XmarginError {
  override name = "ServiceUnavailableError";
  readonly statusCode = 503;
}

/** JSON cannot hold 256-bit integers: bigints become decimal strings, in arrays and objects too. */
export type JsonSafe<T> = T extends bigint
  ? string
  : T extends readonly (infer Item)[]
    ? JsonSafe<Item>[]
    : T extends object
      ? { [Key in keyof T]: JsonSafe<T[Key]> }
      : T;

export function toJsonSafe<T>(value: T): JsonSafe<T> {
  if (typeof value === "bigint") return value.toString() as JsonSafe<T>;
  if (Array.isArray(value)) return value.map(toJsonSafe) as JsonSafe<T>;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toJsonSafe(item)])) as JsonSafe<T>;
  }
  return value as JsonSafe<T>;
}

export const errorBodySchema = z.object({
  error: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  /** 422 from the protocol routes: the engine's custom error, as the hub would revert. */
  contractError: z
    .object({
      name: z.string().nullable().describe("the custom error's name; null when the revert matched no known error"),
      args: z.array(z.unknown()).describe("its arguments in ABI order; integers as decimal strings"),
    })
    .optional(),
  requestId: z.string().optional(),
});

/** All a 500 says: the error itself goes to the log only. */
export const INTERNAL_ERROR_MESSAGE = "internal error";

const errorCode = (error: Error) => error.name.replace(/Error$/, "");

/**
 * The one error handler: validation failures are 400 with the issue list, known client errors keep
 * their status and message, failed RPC calls are a 502 naming only the operation and the chain, and
 * anything else is a 500 whose body says nothing about internals.
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
    if (error instanceof ContractRejectionError) {
      return reply
        .status(error.statusCode)
        .send({ error: errorCode(error), message: error.message, contractError: error.contractError });
    }
    if (
      error instanceof NotFoundError ||
      error instanceof UnprocessableError ||
      error instanceof ConflictError ||
      error instanceof ServiceUnavailableError
    ) {
      return reply.status(error.statusCode).send({ error: errorCode(error), message: error.message });
    }
    if (error instanceof BadGatewayError || error instanceof RpcRequestError) {
      // The node's own message can carry its URL (and an API key in it): it goes to the log only.
      request.log.warn({ err: error }, "upstream RPC failed");
      const message = error instanceof BadGatewayError ? error.message : upstreamFailure(error);
      return reply.status(502).send({ error: "BadGateway", message });
    }
    const status = "statusCode" in error && typeof error.statusCode === "number" ? error.statusCode : 500;
    if (status >= 400 && status < 500) {
      // fastify's own client errors: malformed JSON, wrong content type, body too large.
      return reply.status(status).send({ error: "BadRequest", message: error.message });
    }
    request.log.error({ err: error }, "request failed");
    return reply
      .status(500)
      .send({ error: "InternalServerError", message: INTERNAL_ERROR_MESSAGE, requestId: request.id });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: "NotFound", message: `no route ${request.method} ${request.url}` }),
  );
}

/** What a failed RPC call may tell a client: the operation and the chain, not the node's answer. */
function upstreamFailure(error: RpcRequestError): string {
  const chain = error.call.chainId === undefined ? "" : ` on chain ${error.call.chainId}`;
  return `${error.operation}${chain}: the RPC request failed`;
}
