/**
 * `deployments/<network>.json`: the chains of one xmargin network and its contracts on each.
 *
 * The schema extends the devnet launcher's (relayer/devnet/deployment.ts): every file that launcher writes
 * validates here as it is, and the devnet's deploy step adds `contracts`, `tokens` and `markets`. Fields
 * only a local devnet has (mnemonic, funded accounts, processes) are optional so that public networks use
 * the same schema.
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type Address, type Chain, defineChain, getAddress, isAddressEqual } from "viem";
import { z } from "zod/v4";
import { DeploymentError, UnknownAssetError, UnknownChainError, UnknownMarketError } from "./errors.ts";

// `abort`: a malformed value must not reach the transform below.
const hexString = (bytes: number) =>
  z.string().regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`), {
    message: `expected 0x followed by ${bytes * 2} hex digits`,
    abort: true,
  });

/** An address in any case, checksummed on the way in so comparisons and lookups are exact. */
const address = hexString(20).transform((value) => getAddress(value));

const tokenSchema = z.object({ address, decimals: z.number().int().min(0).max(36) });

/** Contracts any chain may have: a vault (every spoke; the hub too when it holds collateral) and its messenger. */
const chainContractsSchema = z.object({ vault: address.optional(), messenger: address.optional() });

const chainSchema = z.object({
  name: z.string().min(1),
  chainId: z.number().int().positive(),
  rpcUrl: z.url(),
  nativeCurrency: z
    .object({ name: z.string().min(1), symbol: z.string().min(1), decimals: z.number().int().min(0) })
    .optional(),
  contracts: chainContractsSchema.default({}),
  /** Collateral tokens by symbol (on the hub also the settle token). */
  tokens: z.record(z.string().min(1), tokenSchema).default({}),
});

const hubSchema = chainSchema.extend({
  contracts: chainContractsSchema.extend({ engine: address.optional(), oracle: address.optional() }).default({}),
  /** Perp markets by name, e.g. "ETH-PERP", with their engine market id. */
  markets: z.record(z.string().min(1), z.object({ id: z.number().int().min(0) })).default({}),
});

export const deploymentSchema = z
  .object({
    network: z.string().min(1),
    hub: hubSchema,
    spokes: z.array(chainSchema).min(1),
    /** Local devnets only: the mnemonic of the funded dev accounts, in derivation order. */
    mnemonic: z.string().min(1).optional(),
    accounts: z.array(z.object({ address, privateKey: hexString(32) })).optional(),
    processes: z.array(z.object({ chainId: z.number().int().positive(), pid: z.number().int().positive() })).optional(),
    startedAt: z.iso.datetime().optional(),
  })
  .superRefine((deployment, ctx) => {
    const seen = new Set<number>();
    for (const [index, chain] of [deployment.hub, ...deployment.spokes].entries()) {
      if (seen.has(chain.chainId)) {
        ctx.addIssue({
          code: "custom",
          path: index === 0 ? ["hub", "chainId"] : ["spokes", index - 1, "chainId"],
          message: `chain id ${chain.chainId} appears twice`,
        });
      }
      seen.add(chain.chainId);
    }
  });

/** A validated deployment (addresses checksummed, absent collections empty). */
export type Deployment = z.output<typeof deploymentSchema>;
/** What a deployments file holds before validation. */
export type DeploymentInput = z.input<typeof deploymentSchema>;
type HubChain = z.output<typeof hubSchema>;
/** The hub or a spoke: only the hub has `markets`, an engine and an oracle. */
export type DeploymentChain = Omit<HubChain, "markets"> & Partial<Pick<HubChain, "markets">>;
export type DeploymentToken = z.output<typeof tokenSchema>;

/** Validates parsed JSON; the error lists every problem with its path. */
export function parseDeployment(json: unknown): Deployment {
  const result = deploymentSchema.safeParse(json);
  if (!result.success) {
    throw new DeploymentError(`invalid deployment:\n${z.prettifyError(result.error)}`, {
      cause: result.error,
      details: { issues: result.error.issues },
    });
  }
  return result.data;
}

/** Reads and validates a deployments file. */
export async function loadDeploymentFile(path: string): Promise<Deployment> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new DeploymentError(`cannot read deployment ${path}`, { cause: error, details: { path } });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DeploymentError(`deployment ${path} is not JSON`, { cause: error, details: { path } });
  }
  try {
    return parseDeployment(json);
  } catch (error) {
    throw new DeploymentError(`${path}: ${(error as Error).message}`, { cause: error, details: { path } });
  }
}

/** Reads `<directory>/<network>.json` (directory defaults to `deployments` under the working directory). */
export async function loadDeployment(network: string, options: { directory?: string } = {}): Promise<Deployment> {
  if (!/^[\w.-]+$/.test(network)) throw new DeploymentError(`invalid network name ${JSON.stringify(network)}`);
  return loadDeploymentFile(join(resolve(options.directory ?? "deployments"), `${network}.json`));
}

/** Every chain of the deployment, hub first. */
export function deploymentChains(deployment: Deployment): DeploymentChain[] {
  return [deployment.hub, ...deployment.spokes];
}

/** The chain with this id or name. */
export function getDeploymentChain(deployment: Deployment, chain: number | string): DeploymentChain {
  const found = deploymentChains(deployment).find((c) =>
    typeof chain === "number" ? c.chainId === chain : c.name === chain || String(c.chainId) === chain,
  );
  if (found === undefined) {
    const known = deploymentChains(deployment)
      .map((c) => `${c.name} (${c.chainId})`)
      .join(", ");
    throw new UnknownChainError(`unknown chain ${JSON.stringify(chain)}; ${deployment.network} has ${known}`, {
      details: { chain },
    });
  }
  return found;
}

export const isHubChain = (deployment: Deployment, chainId: number): boolean => deployment.hub.chainId === chainId;

/** A token of `chain` by symbol (case-insensitive) or address, with its symbol. */
export function getDeploymentToken(chain: DeploymentChain, token: string): DeploymentToken & { symbol: string } {
  for (const [symbol, entry] of Object.entries(chain.tokens)) {
    const matches = token.startsWith("0x")
      ? token.length === 42 && isAddressEqual(entry.address, token as Address)
      : symbol.toLowerCase() === token.toLowerCase();
    if (matches) return { ...entry, symbol };
  }
  const known = Object.keys(chain.tokens).join(", ") || "none";
  throw new UnknownAssetError(`unknown asset ${JSON.stringify(token)} on ${chain.name}; it has ${known}`, {
    details: { chain: chain.chainId, asset: token },
  });
}

/** The symbol of a token address on `chain`, if the deployment lists it. */
export function tokenSymbol(chain: DeploymentChain, token: Address): string | undefined {
  return Object.entries(chain.tokens).find(([, entry]) => isAddressEqual(entry.address, token))?.[0];
}

/** A market by name (case-insensitive) or id, with its name when listed. */
export function getDeploymentMarket(
  deployment: Deployment,
  market: string | bigint | number,
): { id: bigint; name?: string } {
  const markets = Object.entries(deployment.hub.markets);
  if (typeof market !== "string") {
    const name = markets.find(([, entry]) => BigInt(entry.id) === BigInt(market))?.[0];
    return name === undefined ? { id: BigInt(market) } : { id: BigInt(market), name };
  }
  const found = markets.find(([name]) => name.toLowerCase() === market.toLowerCase());
  if (found === undefined) {
    throw new UnknownMarketError(
      `unknown market ${JSON.stringify(market)}; ${deployment.network} has ${markets.map(([n]) => n).join(", ") || "none"}`,
      { details: { market } },
    );
  }
  return { id: BigInt(found[1].id), name: found[0] };
}

/** A contract address of `chain`, or a DeploymentError naming what is missing. */
export function requireContract(chain: DeploymentChain, contract: keyof DeploymentChain["contracts"]): Address {
  const value = chain.contracts[contract];
  if (value === undefined) {
    throw new DeploymentError(`the deployment has no ${contract} on ${chain.name} (${chain.chainId})`, {
      details: { chain: chain.chainId, contract },
    });
  }
  return value;
}

/** A viem chain for one deployment chain. */
export function toViemChain(chain: DeploymentChain, network: string): Chain {
  return defineChain({
    id: chain.chainId,
    name: `xmargin ${network} ${chain.name}`,
    nativeCurrency: chain.nativeCurrency ?? { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [chain.rpcUrl] } },
  });
}

/** viem chains for the whole deployment: `hub`, `spokes` in file order, and `byId`. */
export function viemChains(deployment: Deployment): { hub: Chain; spokes: Chain[]; byId: Map<number, Chain> } {
  const hub = toViemChain(deployment.hub, deployment.network);
  const spokes = deployment.spokes.map((spoke) => toViemChain(spoke, deployment.network));
  return { hub, spokes, byId: new Map([hub, ...spokes].map((chain) => [chain.id, chain])) };
}
