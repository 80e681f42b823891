import type { SentTransaction } from "../../sdk/actions/internal/transaction.ts";
import { toJson } from "./format.ts";
import { DEFAULT_DEPLOYMENT, KEY_ENV } from "./wallet.ts";

/** Options every trader and keeper command takes. */
export const sessionOptions = {
  deployment: { type: "string" },
  key: { type: "string" },
  json: { type: "boolean" },
} as const;

export const chainOption = { chain: { type: "string" } } as const;

export const SESSION_HELP = `  --deployment FILE
                    the deployment to use (default ${DEFAULT_DEPLOYMENT}, written by \`xmargin devnet\`)
  --key KEY         private key (64 hex digits) or dev:N for the deployment's funded dev account #N;
                    default $${KEY_ENV}, else on a devnet deployment the first funded dev account (dev:0)
  --json            print the result as JSON (amounts in base units, bigints as strings)
  -h, --help        show this help`;

/** Prints the result: JSON on --json (without the bulky receipt), else the human lines. */
export function report(json: boolean | undefined, result: object, lines: () => string[]): void {
  if (json) {
    const { receipt: _receipt, ...rest } = result as Partial<SentTransaction>;
    console.log(toJson(rest));
    return;
  }
  for (const line of lines()) console.log(line);
}
