import type { FastifySchema, FastifySchemaCompiler, FastifySerializerCompiler } from "fastify";
import { z } from "zod/v4";
import { XmarginError } from "../../sdk/errors.ts";

/** One problem with a request, as returned in a 400 body. */
export interface RequestIssue {
  /** Where: `body.amount`, `querystring.limit`, `params.id`. */
  path: string;
  message: string;
}

/** A request that failed its route's zod schema; the error handler answers 400 with the issue list. */
export class RequestValidationError extends XmarginError {
  override name = "RequestValidationError";
  readonly statusCode = 400;

  constructor(
    readonly part: string,
    readonly issues: RequestIssue[],
  ) {
    super(`invalid ${part}: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ")}`);
  }
}

const isZodSchema = (schema: unknown): schema is z.ZodType => schema instanceof z.ZodType;

/** Validates request parts with the route's zod schemas (schema-first routes). */
export const zodValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  if (!isZodSchema(schema)) throw new Error(`route schema for ${httpPart} is not a zod schema`);
  return (data) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    const part = httpPart ?? "request";
    const issues = result.error.issues.map((issue) => ({
      path: [part, ...issue.path.map(String)].join("."),
      message: issue.message,
    }));
    return { error: new RequestValidationError(part, issues) };
  };
};

/** Serializes responses through their zod schema, so nothing outside the declared shape can leak. */
export const zodSerializerCompiler: FastifySerializerCompiler<unknown> = ({ schema }) => {
  if (!isZodSchema(schema)) return (data) => JSON.stringify(data);
  return (data) => JSON.stringify(schema.parse(data));
};

const toJsonSchema = (schema: unknown, io: "input" | "output") =>
  isZodSchema(schema) ? z.toJSONSchema(schema, { io, unrepresentable: "any" }) : schema;

/** Turns a route's zod schemas into JSON Schema for the OpenAPI document. */
export function zodToOpenApi({ schema, url }: { schema: FastifySchema; url: string }) {
  if (!schema) return { schema, url };
  const { body, querystring, params, headers, response, ...rest } = schema;
  const transformed: Record<string, unknown> = { ...rest };
  if (body) transformed.body = toJsonSchema(body, "input");
  if (querystring) transformed.querystring = toJsonSchema(querystring, "input");
  if (params) transformed.params = toJsonSchema(params, "input");
  if (headers) transformed.headers = toJsonSchema(headers, "input");
  if (response) {
    transformed.response = Object.fromEntries(
      Object.entries(response as Record<string, unknown>).map(([code, value]) => [code, toJsonSchema(value, "output")]),
    );
  }
  return { schema: transformed as FastifySchema, url };
}
