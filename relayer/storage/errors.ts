import type { z } from "zod/v4";
import { XmarginError } from "../../sdk/errors.ts";

export type StoreErrorKind =
  /** The store configuration is malformed; `issues` says which field and why. */
  | "InvalidConfig"
  /** A caller passed a value the store cannot accept (malformed hex, bad limit, unknown cursor…). */
  | "InvalidInput"
  /** A transition that the message life cycle does not allow, e.g. backwards or out of `failed`. */
  | "InvalidTransition"
  /** The operation names a message the store does not hold. */
  | "UnknownMessage"
  /** The database cannot be opened or reached. */
  | "Unavailable"
  /** The database was migrated by a newer relayer; running older code on it could corrupt it. */
  | "SchemaTooNew"
  /** The database rejected a statement. */
  | "QueryFailed"
  /** The store was closed. */
  | "Closed";

/** Every failure of the relayer's message store. */
export class StoreError extends XmarginError {
  override name = "StoreError";

  constructor(
    readonly kind: StoreErrorKind,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, { ...options, details: { kind, ...options.details } });
  }
}

export interface InputIssue {
  /** Dotted path of the offending field, e.g. `url` or `messageId`; empty for the value as a whole. */
  field: string;
  message: string;
}

/** Zod's issues as `field: why` lines, the form both config and input errors are reported in. */
export function describeIssues(error: z.ZodError): InputIssue[] {
  return error.issues.map((issue) => ({ field: issue.path.map(String).join("."), message: issue.message }));
}

export function formatIssues(issues: readonly InputIssue[]): string {
  return issues.map(({ field, message }) => (field === "" ? message : `${field}: ${message}`)).join("; ");
}
