// Three in-process chains (hub, spokeA, spokeB) with the real Hyperlane stack, our gateways, and a
// relayer made of the delivery engine's validators and deliverers. Shared by the Hyperlane suites.
import { keccak256, stringToHex } from "viem";
import type { DigestSigner } from "../../../relayer/engine/signer.ts";
import { localDigestSigner } from "../../../relayer/engine/signer.ts";
import {
  deployHyperlane,
  type HyperlaneChainConfig,
  type HyperlaneChainDeployment,
  type HyperlaneDeployment,
} from "../../../relayer/infra/hyperlane.ts";
import {
  type DeliveryOutcome,
  HyperlaneDeliverer,
  type HyperlaneDestination,
  HyperlaneValidator,
  validatorSignatureSource,
} from "../../../relayer/transports/hyperlane/index.ts";
import { CHAIN_IDS } from "../../../sdk/chains.ts";
import { type Connection, connect } from "../../helpers/chains.ts";

export type ChainName = "hub" | "spokeA" | "spokeB";
export const CHAIN_NAMES: readonly ChainName[] = ["hub", "spokeA", "spokeB"];

/** Fixed validator keys, so that failures reproduce; their order is the ISMs' validator order. */
export const VALIDATOR_SIGNERS: readonly DigestSigner[] = [0, 1, 2].map((operator) =>
  localDigestSigner(keccak256(stringToHex(`xmargin hyperlane test validator ${operator}`))),
);
export const THRESHOLD = 2;

/** Hardhat's default accounts 0–4 are deployHub's roles; the relayer pays for `process` from the sixth. */
const RELAYER_ACCOUNT_INDEX = 5;

export interface HyperlaneChain {
  name: ChainName;
  chainId: bigint;
  connection: Connection;
  config: HyperlaneChainConfig;
  /** The relayer's client for delivering to this chain. */
  destination: HyperlaneDestination;
  deployment: HyperlaneChainDeployment;
}

export interface HyperlaneWorld {
  chains: Record<ChainName, HyperlaneChain>;
  deployment: HyperlaneDeployment;
  /** Per origin chain, one validator per operator key. */
  validators: Record<ChainName, HyperlaneValidator[]>;
  /** Per origin chain, a deliverer to the two other chains using every local validator. */
  deliverers: Record<ChainName, HyperlaneDeliverer>;
}

/** Deploys Hyperlane and the gateways on the three chains and builds the relayer over them. */
export async function deployHyperlaneWorld(): Promise<HyperlaneWorld> {
  const connections = await Promise.all(CHAIN_NAMES.map((name) => connect(name)));
  const configs = await Promise.all(
    CHAIN_NAMES.map(async (name, position): Promise<HyperlaneChainConfig> => {
      const connection = connections[position] as Connection;
      const [owner] = await connection.viem.getWalletClients();
      if (!owner) throw new Error(`${name}: no accounts`);
      return {
        name,
        chainId: CHAIN_IDS[name],
        publicClient: await connection.viem.getPublicClient(),
        walletClient: owner,
      };
    }),
  );
  const deployment = await deployHyperlane({
    chains: configs,
    validators: VALIDATOR_SIGNERS.map((signer) => signer.address),
    threshold: THRESHOLD,
  });

  const chains = {} as Record<ChainName, HyperlaneChain>;
  for (const [position, name] of CHAIN_NAMES.entries()) {
    const connection = connections[position] as Connection;
    const config = configs[position] as HyperlaneChainConfig;
    const chainDeployment = deployment.chains[position] as HyperlaneChainDeployment;
    const relayer = (await connection.viem.getWalletClients())[RELAYER_ACCOUNT_INDEX];
    if (!relayer) throw new Error(`${name}: no relayer account`);
    chains[name] = {
      name,
      chainId: BigInt(CHAIN_IDS[name]),
      connection,
      config,
      deployment: chainDeployment,
      destination: {
        domain: chainDeployment.domain,
        publicClient: config.publicClient,
        walletClient: relayer,
        mailbox: chainDeployment.mailbox,
      },
    };
  }

  const validators = {} as Record<ChainName, HyperlaneValidator[]>;
  const deliverers = {} as Record<ChainName, HyperlaneDeliverer>;
  for (const name of CHAIN_NAMES) {
    const origin = chains[name];
    validators[name] = VALIDATOR_SIGNERS.map(
      (signer) =>
        new HyperlaneValidator({
          client: origin.config.publicClient,
          origin: origin.deployment.domain,
          merkleTreeHook: origin.deployment.merkleTreeHook,
          signer,
          fromBlock: origin.deployment.deployBlock,
        }),
    );
    deliverers[name] = createDeliverer(chains, name, validators[name]);
  }
  return { chains, deployment, validators, deliverers };
}

/** A deliverer for messages leaving `originName`, asking the given validators for signatures. */
export function createDeliverer(
  chains: Record<ChainName, HyperlaneChain>,
  originName: ChainName,
  validators: readonly HyperlaneValidator[],
  options: { confirmations?: number; fromBlock?: bigint } = {},
): HyperlaneDeliverer {
  const origin = chains[originName];
  return new HyperlaneDeliverer({
    origin: {
      domain: origin.deployment.domain,
      client: origin.config.publicClient,
      mailbox: origin.deployment.mailbox,
      merkleTreeHook: origin.deployment.merkleTreeHook,
      fromBlock: options.fromBlock ?? origin.deployment.deployBlock,
    },
    destinations: CHAIN_NAMES.filter((name) => name !== originName).map((name) => chains[name].destination),
    signatureSources: validators.map(validatorSignatureSource),
    confirmations: options.confirmations,
  });
}

/**
 * Polls every deliverer until a round delivers nothing (a delivered command makes the spoke send a
 * report, which the next round carries). Fails on the first failed delivery.
 */
export async function relayAll(world: HyperlaneWorld): Promise<DeliveryOutcome[]> {
  const outcomes: DeliveryOutcome[] = [];
  for (;;) {
    const round: DeliveryOutcome[] = [];
    // One origin at a time: two deliverers may send from the same relayer account to the same chain.
    for (const name of CHAIN_NAMES) round.push(...(await world.deliverers[name].poll()));
    const failure = round.find((outcome) => outcome.status === "failed");
    if (failure?.status === "failed") throw failure.error;
    outcomes.push(...round);
    if (round.length === 0) return outcomes;
  }
}
