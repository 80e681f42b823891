import { XmarginError } from "../../sdk/errors.ts";

/** A mistake in how the command was called: printed as one line, never with a stack trace. */
export class UsageError extends XmarginError {
  override name = "UsageError";
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Resolves to the process exit code. */
  run(args: string[]): Promise<number>;
}
