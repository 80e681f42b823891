import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { createPublicClient, createWalletClient, defineChain, type Hex, http, isHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { DeployerChain } from "../../infra/chain-deployer.ts";
import {
  deployInfra,
  type InfraChainConfig,
  InfraConfigError,
  infraDeploymentSchema,
  parseInfraConfig,
} from "../../infra/deploy-infra.ts";
import { parseCommandArgs } from "../args.ts";
import { type Command, UsageError } from "../command.ts";

const DEFAULT_OUT = "deployments/infra.json";
const RECEIPT_POLLING_MS = 500;

export const deployInfraCommand: Command = {
  name: "deploy-infra",
  summary: "deploy LayerZero, Hyperlane, our gateways, routers and delivery batchers to the chains of a config",
  usage: `Usage: xmargin deploy-infra --config FILE [--out FILE]

Deploys, on every chain of FILE, the transports and xmargin's messaging contracts: LayerZero (EndpointV2,
ULN 302 libraries, PriceFeed, a DVN of the N operators with quorum M, an Executor) and Hyperlane (Mailbox,
merkle tree hook, gas paymaster, ValidatorAnnounce, message-id multisig ISMs of the N operators behind a
routing ISM), our LayerZero and Hyperlane gateways wired to each other, a MessageRouter per chain with its
route to every other chain, and a DeliveryBatcher per chain, through which the relayers send many
deliveries to the chain in one transaction (the record's deliveryBatcher: copy it into each chain of the
protocol deployment the relayers serve). A chain that names an existing LayerZero endpoint or Hyperlane
Mailbox (a public testnet) keeps it: only our DVN, Executor, ISMs, gateways, router and batcher are
deployed there, and our gateway's LayerZero configuration is set on the endpoint as its delegate. Prints
progress and writes every address to the output file.

Config (JSON):
  {
    "operators": ["0x…", "0x…", "0x…"],      the N operators' addresses
    "threshold": 2,                            M (default 2)
    "confirmations": 1,                        source blocks before LayerZero verification (default 1)
    "chains": [
      {
        "name": "sepolia", "chainId": 11155111, "rpcUrl": "https://…",
        "deployerKeyEnv": "SEPOLIA_DEPLOYER_KEY",        the deployer's private key is read from this variable
        "stacks": ["layerzero", "hyperlane"],            default both
        "layerZero": { "eid": 40161, "endpoint": "0x…", "sendUln302": "0x…", "receiveUln302": "0x…",
                       "priceFeed": "0x…" },           all optional: omit to deploy the stack
        "hyperlane": { "domain": 11155111, "mailbox": "0x…", "validatorAnnounce": "0x…" },
                                                         all optional: omit the mailbox to deploy the stack
        "routes": { "arbsepolia": "dual" }               layerzero | hyperlane | dual; default layerzero
      }
    ]
  }

Options:
  --config FILE   the chains and operators (required)
  --out FILE      where the addresses go (default ${DEFAULT_OUT})
  -h, --help      show this help`,

  async run(args) {
    const { values } = parseCommandArgs(args, { config: { type: "string" }, out: { type: "string" } });
    if (!values.config) throw new UsageError("--config FILE is required");
    const configPath = resolve(values.config);
    const outPath = resolve(values.out ?? DEFAULT_OUT);
    let json: unknown;
    try {
      json = JSON.parse(await readFile(configPath, "utf8"));
    } catch (error) {
      throw new InfraConfigError(`cannot read ${values.config} as JSON: ${(error as Error).message}`, { cause: error });
    }
    const config = parseInfraConfig(json);
    const chains = config.chains.map(deployerClients);

    const started = Date.now();
    const deployment = await deployInfra(config, {
      chains,
      onProgress: (message) => console.log(message),
    });
    await mkdir(dirname(outPath), { recursive: true });
    const temporary = `${outPath}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(infraDeploymentSchema.parse(deployment), null, 2)}\n`);
    await rename(temporary, outPath);
    console.log(
      `deployed on ${deployment.chains.length} chains in ${((Date.now() - started) / 1000).toFixed(1)} s; addresses: ${values.out ?? DEFAULT_OUT}`,
    );
    return 0;
  },
};

/** Clients of one config chain, its deployer's key read from the environment variable the config names. */
function deployerClients(chain: InfraChainConfig): DeployerChain {
  const key = process.env[chain.deployerKeyEnv]?.trim();
  if (!key) {
    throw new InfraConfigError(
      `${chain.name}: environment variable ${chain.deployerKeyEnv} (the deployer's key) is not set`,
    );
  }
  if (!isHex(key) || key.length !== 66) {
    throw new InfraConfigError(`${chain.name}: ${chain.deployerKeyEnv} is not a 32-byte hex private key`);
  }
  const viemChain = defineChain({
    id: chain.chainId,
    name: chain.name,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [chain.rpcUrl] } },
  });
  const transport = http(chain.rpcUrl);
  return {
    name: chain.name,
    chainId: chain.chainId,
    // Receipts are polled every half second: quick on local chains, light enough for public RPCs.
    publicClient: createPublicClient({ chain: viemChain, transport, pollingInterval: RECEIPT_POLLING_MS }),
    walletClient: createWalletClient({ chain: viemChain, transport, account: privateKeyToAccount(key as Hex) }),
  };
}
