import {
  type Address,
  type Chain,
  type Client,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  isAddress,
  type PrivateKeyAccount,
  type PublicClient,
  type Transport,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { xmarginActions } from "../../sdk/decorators/xmargin.ts";
import {
  type Deployment,
  type DeploymentChain,
  deploymentChains,
  getDeploymentChain,
  getDeploymentToken,
  loadDeploymentFile,
  toViemChain,
} from "../../sdk/deployments.ts";
import { DeploymentError } from "../../sdk/errors.ts";
import { UsageError } from "./command.ts";

export const DEFAULT_DEPLOYMENT = "deployments/devnet.json";
export const KEY_ENV = "XMARGIN_PRIVATE_KEY";

/** How often clients poll receipts and logs: local chains mine within a block time of 0.25 s. */
const LOCAL_POLLING_MS = 100;
const REMOTE_POLLING_MS = 2_000;

/** Reads and validates a deployments file; problems are reported on one line. */
export async function openDeployment(file: string | undefined): Promise<Deployment> {
  const path = file ?? DEFAULT_DEPLOYMENT;
  try {
    return await loadDeploymentFile(path);
  } catch (error) {
    if (!(error instanceof DeploymentError)) throw error;
    const hint =
      file === undefined && error.message.startsWith("cannot read")
        ? " (start a devnet with `xmargin devnet`, or pass --deployment FILE)"
        : "";
    throw new DeploymentError(`${error.message.replace(/:?\s*\n\s*/g, "; ")}${hint}`, { cause: error });
  }
}

/**
 * The signing account: `--key`, else $XMARGIN_PRIVATE_KEY, else the first funded dev account of a devnet
 * deployment. A key is 32 bytes of hex, or `dev:N` for the deployment's dev account #N.
 */
export function resolveSigner(deployment: Deployment, key: string | undefined): PrivateKeyAccount {
  const fromOption = key !== undefined;
  const given = key ?? process.env[KEY_ENV];
  const accounts = deployment.accounts ?? [];
  if (given === undefined || given === "") {
    const first = accounts[0];
    if (first === undefined) {
      throw new UsageError(`no key: pass --key HEX or set ${KEY_ENV} (${deployment.network} lists no dev accounts)`);
    }
    return privateKeyToAccount(first.privateKey as Hex);
  }
  const source = fromOption ? "--key" : KEY_ENV;
  const dev = /^dev:(\d+)$/.exec(given);
  if (dev !== null) {
    const index = Number(dev[1]);
    const account = accounts[index];
    if (account === undefined) {
      const range = accounts.length === 0 ? "none" : `dev:0 … dev:${accounts.length - 1}`;
      throw new UsageError(`${source} ${given}: ${deployment.network} has ${accounts.length} dev accounts (${range})`);
    }
    return privateKeyToAccount(account.privateKey as Hex);
  }
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(given)) {
    throw new UsageError(`${source} is not a private key: expected 64 hex digits (0x optional) or dev:N`);
  }
  return privateKeyToAccount((given.startsWith("0x") ? given : `0x${given}`) as Hex);
}

/** An address option, checked. */
export function parseAddress(raw: string, option: string): Address {
  if (!isAddress(raw, { strict: false }))
    throw new UsageError(`${option} "${raw}" is not an address (0x and 40 hex digits)`);
  return raw;
}

/** A required option's value, or a usage error naming it. */
export function required(value: string | undefined, option: string, hint = ""): string {
  if (value === undefined || value === "") throw new UsageError(`${option} is required${hint}`);
  return value;
}

function createXmarginWallet(
  deployment: Deployment,
  chain: DeploymentChain,
  account: PrivateKeyAccount,
  readers: Record<number, Client>,
) {
  return createWalletClient({
    account,
    chain: toViemChain(chain, deployment.network),
    transport: http(chain.rpcUrl, { retryCount: 1 }),
    pollingInterval: pollingFor(chain.rpcUrl),
  }).extend(xmarginActions({ deployment, chainClients: readers }));
}

export type XmarginWallet = ReturnType<typeof createXmarginWallet>;

/** One deployment, one signer and clients on every chain of it. Nothing touches the network until used. */
export class Session {
  private signerAccount: PrivateKeyAccount | undefined;
  readonly readers: Record<number, PublicClient<Transport, Chain>>;

  constructor(
    readonly deployment: Deployment,
    private readonly key: string | undefined,
  ) {
    this.readers = Object.fromEntries(
      deploymentChains(deployment).map((chain) => {
        const viemChain = toViemChain(chain, deployment.network);
        const client = createPublicClient({
          chain: viemChain,
          transport: http(chain.rpcUrl, { retryCount: 1 }),
          pollingInterval: pollingFor(chain.rpcUrl),
        });
        return [chain.chainId, client];
      }),
    );
  }

  static async open(values: { deployment?: string | undefined; key?: string | undefined }): Promise<Session> {
    return new Session(await openDeployment(values.deployment), values.key);
  }

  /** The signing account (resolved on first use, so commands that only read need no key). */
  get signer(): PrivateKeyAccount {
    this.signerAccount ??= resolveSigner(this.deployment, this.key);
    return this.signerAccount;
  }

  get hub(): DeploymentChain {
    return this.deployment.hub;
  }

  /** `--chain NAME`: required, and for vault commands a chain with a vault. */
  chain(name: string | undefined, needs: "vault" | "any" = "any"): DeploymentChain {
    const candidates = deploymentChains(this.deployment).filter(
      (chain) => needs === "any" || chain.contracts.vault !== undefined,
    );
    const list = candidates.map((chain) => chain.name).join(", ");
    const chain = getDeploymentChain(this.deployment, required(name, "--chain", ` (one of ${list})`));
    if (!candidates.includes(chain)) throw new UsageError(`--chain ${chain.name} has no vault; use one of ${list}`);
    return chain;
  }

  /** `--asset SYMBOL|ADDRESS` on `chain`. */
  token(chain: DeploymentChain, symbol: string | undefined) {
    const known = Object.keys(chain.tokens).join(", ");
    return getDeploymentToken(chain, required(symbol, "--asset", ` (${chain.name} has ${known || "no tokens"})`));
  }

  reader(chain: DeploymentChain): PublicClient<Transport, Chain> {
    return this.readers[chain.chainId] as PublicClient<Transport, Chain>;
  }

  /** A wallet client of the signer on `chain`, with every xmargin action. */
  wallet(chain: DeploymentChain): XmarginWallet {
    return createXmarginWallet(this.deployment, chain, this.signer, this.readers);
  }

  /** A read-only client on the hub with every xmargin action (getAccount, waitForDelivery, …). */
  hubReader() {
    return this.reader(this.hub).extend(xmarginActions({ deployment: this.deployment, chainClients: this.readers }));
  }
}

function pollingFor(rpcUrl: string): number {
  const host = new URL(rpcUrl).hostname;
  return host === "127.0.0.1" || host === "localhost" || host === "[::1]" ? LOCAL_POLLING_MS : REMOTE_POLLING_MS;
}
