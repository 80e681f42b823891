/** Base class of every error the xmargin SDK throws, so callers can catch them all with one `instanceof`. */
export class XmarginError extends Error {
  override name = "XmarginError";
  /** Structured context (the offending values) for logs and programmatic handling. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.details = options.details ?? {};
  }
}
