import type { SentTransaction } from "../../sdk/actions/internal/transaction.ts";
import { parseAmount, toJson } from "./format.ts";
import { DEFAULT_DEPLOYMENT, KEY_ENV, required, Session } from "./wallet.ts";

/** Options every trader and keeper command takes. */
export const sessionOptions = {
  deployment: { type: "string" },
  key: { type: "string" },
  json: { type: "boolean" },
} as const;

export const chainOption = { chain: { type: "string" } } as const;

/** A vault's chain and one of its tokens, besides the session's options. */
export const vaultAssetOptions = { ...sessionOptions, ...chainOption, asset: { type: "string" } } as const;

/** Opens the session and resolves --chain (a chain with a vault) and --asset (one of its tokens). */
export async function openVaultAsset(values: {
  deployment?: string | undefined;
  key?: string | undefined;
  chain?: string | undefined;
  asset?: string | undefined;
}) {
  const session = await Session.open(values);
  const chain = session.chain(values.chain, "vault");
  return { session, chain, token: session.token(chain, values.asset) };
}

/** --amount in the token's units: required, with no more decimals than the token has. */
export function parseTokenAmount(raw: string | undefined, token: { decimals: number; symbol: string }): bigint {
  return parseAmount(required(raw, "--amount"), token.decimals, "--amount", token.symbol);
}

export const DEPLOYMENT_HELP = `  --deployment FILE
                    the deployment to use (default ${DEFAULT_DEPLOYMENT}, written by \`xmargin devnet\`)`;
const JSON_HELP = "  --json            print the result as JSON (amounts in base units, bigints as strings)";
export const HELP_HELP = "  -h, --help        show this help";

export const SESSION_HELP = `${DEPLOYMENT_HELP}
  --key KEY         private key (64 hex digits) or dev:N for the deployment's funded dev account #N;
                    default $${KEY_ENV}, else on a devnet deployment the first funded dev account (dev:0)
${JSON_HELP}
${HELP_HELP}`;

/** Prints the result: JSON on --json (without the bulky receipt), else the human lines. */
export function report(json: boolean | undefined, result: object, lines: () => string[]): void {
  if (json) {
    const { receipt: _receipt, ...rest } = result as Partial<SentTransaction>;
    console.log(toJson(rest));
    return;
  }
  for (const line of lines()) console.log(line);
}
