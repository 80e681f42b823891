/**
 * `xmargin deploy-infra`: the transport stacks, our gateways and routers, and the relayers' DeliveryBatcher
 * on any list of chains, from a JSON config. On a chain where LayerZero or Hyperlane already runs (a public
 * testnet), the config names the endpoint or Mailbox and the deployment builds on it: our DVN and Executor
 * on the endpoint (configured for our gateway alone, as its delegate), our ISMs on the Mailbox. Elsewhere
 * the whole stack is deployed. The routers get their routes; the applications (engine, vaults) attach to
 * them later.
 */
import { type Address, getAddress, zeroAddress } from "viem";
// "zod/v4" is zod 4 whether the installed package is 3.25 (which ships v4 there) or 4.x.
import { z } from "zod/v4";
import { hyperlaneGatewayAbi } from "../transports/hyperlane/abi.ts";
import { layerZeroGatewayAbi } from "../transports/layerzero/abi.ts";
import { projectBytecode } from "./artifacts.ts";
import { ChainDeployer, call, type DeployerChain, ProtocolDeploymentError } from "./chain-deployer.ts";
import {
  attachHyperlaneChain,
  connectHyperlaneGateway,
  DEFAULT_PROCESS_GAS_OVERHEAD,
  DEFAULT_REMOTE_GAS_PRICE,
  deployHyperlaneChain,
  type HyperlaneChainCore,
  hyperlaneCoreRecordSchema,
  hyperlaneDomainOf,
  toHyperlaneChainRecord,
} from "./hyperlane.ts";
import {
  configureLayerZeroOApp,
  configureLayerZeroWorkers,
  connectLayerZeroGateway,
  deployLayerZeroGateway,
  deployLayerZeroStack,
  deployLayerZeroWorkers,
  type LayerZeroStack,
  layerZeroChainDeploymentSchema,
  layerZeroEid,
  setLayerZeroDefaults,
} from "./layerzero.ts";
import { deployDeliveryBatcher, PROTOCOL_DESTINATION_GAS, TRANSPORT_ROUTES, type TransportRoute } from "./protocol.ts";
import { messageRouterAbi, ROUTE_MODE } from "./protocol-abi.ts";

// ---------------------------------------------------------------------------------------------- config

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "expected a 20-byte hex address")
  .transform((value) => getAddress(value));

const STACKS = ["layerzero", "hyperlane"] as const;
type StackName = (typeof STACKS)[number];

const chainConfigSchema = z
  .object({
    name: z.string().regex(/^[\w.-]+$/, "letters, digits, '_', '.' and '-' only"),
    chainId: z.number().int().positive(),
    rpcUrl: z.url(),
    /** The environment variable that holds the deployer's private key (never the key itself). */
    deployerKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected the name of an environment variable"),
    /** Which transports this chain gets. */
    stacks: z
      .array(z.enum(STACKS))
      .min(1)
      .default([...STACKS]),
    layerZero: z
      .strictObject({
        /** The chain's eid; required with an existing endpoint, else derived from the chain id (devnets). */
        eid: z.number().int().min(30_000).optional(),
        /** An existing EndpointV2 and its ULN 302 libraries: reused, not deployed. */
        endpoint: address.optional(),
        sendUln302: address.optional(),
        receiveUln302: address.optional(),
        /** LayerZero's PriceFeed on that chain; without it, ours is deployed. */
        priceFeed: address.optional(),
      })
      .optional(),
    hyperlane: z
      .strictObject({
        /** The chain's Hyperlane domain; defaults to the chain id. */
        domain: z.number().int().positive().max(0xffff_ffff).optional(),
        /** An existing Mailbox (its proxy): reused, not deployed. */
        mailbox: address.optional(),
        validatorAnnounce: address.optional(),
        staticMessageIdMultisigIsmFactory: address.optional(),
        domainRoutingIsmFactory: address.optional(),
      })
      .optional(),
    /** The router's transport toward each other chain (by name); by default LayerZero where both have it. */
    routes: z.record(z.string(), z.enum(TRANSPORT_ROUTES)).optional(),
  })
  .strict()
  .superRefine((chain, ctx) => {
    const { layerZero, hyperlane, stacks } = chain;
    if (layerZero && !stacks.includes("layerzero")) {
      ctx.addIssue({ code: "custom", path: ["layerZero"], message: 'given, but "layerzero" is not in stacks' });
    }
    if (hyperlane && !stacks.includes("hyperlane")) {
      ctx.addIssue({ code: "custom", path: ["hyperlane"], message: 'given, but "hyperlane" is not in stacks' });
    }
    const reusedEndpoint = layerZero?.endpoint !== undefined;
    for (const field of ["eid", "sendUln302", "receiveUln302"] as const) {
      if (reusedEndpoint && layerZero?.[field] === undefined) {
        ctx.addIssue({ code: "custom", path: ["layerZero", field], message: "required with an existing endpoint" });
      }
    }
    for (const field of ["sendUln302", "receiveUln302", "priceFeed"] as const) {
      if (!reusedEndpoint && layerZero?.[field] !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["layerZero", field],
          message: "only with an existing endpoint (a new endpoint gets its own)",
        });
      }
    }
    if (hyperlane?.mailbox === undefined) {
      for (const field of [
        "validatorAnnounce",
        "staticMessageIdMultisigIsmFactory",
        "domainRoutingIsmFactory",
      ] as const) {
        if (hyperlane?.[field] !== undefined) {
          ctx.addIssue({ code: "custom", path: ["hyperlane", field], message: "only with an existing mailbox" });
        }
      }
    }
  });

export const infraConfigSchema = z
  .strictObject({
    /** The N operators: LayerZero DVN signers, Hyperlane validators, and the accounts that deliver. */
    operators: z.array(address).min(1),
    /** M, the signatures each message needs on both transports. Default 2 (1 with a single operator). */
    threshold: z.number().int().positive().optional(),
    /** Source-chain blocks every LayerZero message waits before our DVN verifies it. Default 1. */
    confirmations: z.number().int().positive().default(1),
    chains: z.array(chainConfigSchema).min(2),
  })
  .superRefine((config, ctx) => {
    const threshold = config.threshold ?? Math.min(2, config.operators.length);
    if (threshold > config.operators.length) {
      ctx.addIssue({
        code: "custom",
        path: ["threshold"],
        message: `${threshold} exceeds the ${config.operators.length} operators`,
      });
    }
    if (new Set(config.operators.map((operator) => operator.toLowerCase())).size !== config.operators.length) {
      ctx.addIssue({ code: "custom", path: ["operators"], message: "operators repeat" });
    }
    const byName = new Map(config.chains.map((chain) => [chain.name, chain]));
    for (const [index, chain] of config.chains.entries()) {
      if (config.chains.findIndex((other) => other.name === chain.name) !== index) {
        ctx.addIssue({ code: "custom", path: ["chains", index, "name"], message: `${chain.name} appears twice` });
      }
      if (config.chains.findIndex((other) => other.chainId === chain.chainId) !== index) {
        ctx.addIssue({ code: "custom", path: ["chains", index, "chainId"], message: `${chain.chainId} appears twice` });
      }
      for (const [remote, route] of Object.entries(chain.routes ?? {})) {
        const other = byName.get(remote);
        const path = ["chains", index, "routes", remote];
        if (!other || other === chain) {
          ctx.addIssue({ code: "custom", path, message: `no other chain named ${remote}` });
          continue;
        }
        for (const stack of stacksOf(route)) {
          if (!chain.stacks.includes(stack) || !other.stacks.includes(stack)) {
            ctx.addIssue({ code: "custom", path, message: `${route} needs ${stack} on ${chain.name} and ${remote}` });
          }
        }
      }
    }
  });

export type InfraConfig = z.output<typeof infraConfigSchema>;
export type InfraChainConfig = InfraConfig["chains"][number];

const stacksOf = (route: TransportRoute): StackName[] => (route === "dual" ? [...STACKS] : [route]);

export class InfraConfigError extends ProtocolDeploymentError {
  override name = "InfraConfigError";
}

/** Validates a parsed config file; the error lists every problem with its path. */
export function parseInfraConfig(json: unknown): InfraConfig {
  const result = infraConfigSchema.safeParse(json);
  if (!result.success) {
    throw new InfraConfigError(`invalid infrastructure config:\n${z.prettifyError(result.error)}`, {
      cause: result.error,
      details: { issues: result.error.issues },
    });
  }
  return result.data;
}

/** The router route from `chain` to `remote`: the configured one, else LayerZero, else Hyperlane, else none. */
export function routeBetween(chain: InfraChainConfig, remote: InfraChainConfig): TransportRoute | undefined {
  const configured = chain.routes?.[remote.name];
  if (configured) return configured;
  return STACKS.find((stack) => chain.stacks.includes(stack) && remote.stacks.includes(stack));
}

// ---------------------------------------------------------------------------------------------- record

export const infraDeploymentSchema = z.object({
  operators: z.array(address),
  threshold: z.number().int().positive(),
  confirmations: z.number().int().positive(),
  chains: z.array(
    z.object({
      name: z.string(),
      chainId: z.number().int().positive(),
      /** The messenger applications attach to: both gateways' sender and receiver. */
      router: address,
      routes: z.record(z.string(), z.enum(TRANSPORT_ROUTES)),
      /** The relayers' DeliveryBatcher: the chain's `deliveryBatcher` in the protocol deployment they serve. */
      deliveryBatcher: address,
      layerZero: layerZeroChainDeploymentSchema.extend({ reusedEndpoint: z.boolean() }).optional(),
      hyperlane: hyperlaneCoreRecordSchema.extend({ reusedMailbox: z.boolean() }).optional(),
    }),
  ),
  deployedAt: z.iso.datetime(),
});

export type InfraDeployment = z.output<typeof infraDeploymentSchema>;

// ---------------------------------------------------------------------------------------------- deploy

export interface DeployInfraOptions {
  /** Clients per config chain, in config order, each with the chain's deployer. */
  chains: readonly DeployerChain[];
  onProgress?: (message: string) => void;
}

/** Deploys and wires everything the config asks for, chains in parallel; returns every address. */
export async function deployInfra(config: InfraConfig, options: DeployInfraOptions): Promise<InfraDeployment> {
  const progress = options.onProgress ?? (() => {});
  const threshold = config.threshold ?? Math.min(2, config.operators.length);
  const clientOf = (chain: InfraChainConfig): DeployerChain => {
    const client = options.chains.find((candidate) => candidate.chainId === chain.chainId);
    if (!client) throw new ProtocolDeploymentError(`no client for ${chain.name} (${chain.chainId})`);
    return client;
  };
  for (const chain of config.chains) {
    const actual = await clientOf(chain).publicClient.getChainId();
    if (actual !== chain.chainId) {
      throw new InfraConfigError(`${chain.name}: ${chain.rpcUrl} serves chain ${actual}, not ${chain.chainId}`);
    }
  }

  const layerZeroChains = config.chains.filter((chain) => chain.stacks.includes("layerzero"));
  const hyperlaneChains = config.chains.filter((chain) => chain.stacks.includes("hyperlane"));
  const dvn = { signers: config.operators, quorum: threshold, operators: config.operators };
  const pathway = { confirmations: config.confirmations };

  // LayerZero: our stack or our workers on the existing endpoint, then a gateway wired to every other one.
  const eidOf = (chain: InfraChainConfig) => chain.layerZero?.eid ?? layerZeroEid(chain.chainId);
  const stacks = await Promise.all(
    layerZeroChains.map(async (chain): Promise<LayerZeroStack> => {
      const existing = chain.layerZero;
      if (existing?.endpoint && existing.sendUln302 && existing.receiveUln302) {
        progress(`${chain.name}: LayerZero: our DVN and Executor on the endpoint at ${existing.endpoint}…`);
        return deployLayerZeroWorkers(
          clientOf(chain),
          {
            eid: eidOf(chain),
            endpoint: existing.endpoint,
            sendUln302: existing.sendUln302,
            receiveUln302: existing.receiveUln302,
            ...(existing.priceFeed ? { priceFeed: existing.priceFeed } : {}),
          },
          dvn,
        );
      }
      progress(`${chain.name}: LayerZero: deploying the stack (eid ${eidOf(chain)})…`);
      return deployLayerZeroStack(clientOf(chain), { ...dvn, eid: eidOf(chain) });
    }),
  );
  const layerZeroGateways = await Promise.all(
    layerZeroChains.map(async (chain, index) => {
      const stack = stacks[index] as LayerZeroStack;
      const client = clientOf(chain);
      const remoteEids = layerZeroChains.filter((other) => other !== chain).map(eidOf);
      const ownEndpoint = chain.layerZero?.endpoint === undefined;
      if (ownEndpoint) await setLayerZeroDefaults(client, stack, remoteEids, pathway);
      await configureLayerZeroWorkers(client, stack, remoteEids, {
        ...pathway,
        setPrices: chain.layerZero?.priceFeed === undefined,
      });
      const gateway = await deployLayerZeroGateway(client, stack, PROTOCOL_DESTINATION_GAS.layerZero);
      await configureLayerZeroOApp(client, stack, gateway, remoteEids, pathway);
      progress(`${chain.name}: LayerZero gateway ${gateway}`);
      return gateway;
    }),
  );
  await Promise.all(
    layerZeroChains.map((chain, index) =>
      connectLayerZeroGateway(
        clientOf(chain),
        layerZeroGateways[index] as Address,
        layerZeroChains.flatMap((other, otherIndex) =>
          other === chain
            ? []
            : [{ chainId: other.chainId, eid: eidOf(other), gateway: layerZeroGateways[otherIndex] as Address }],
        ),
      ),
    ),
  );

  // Hyperlane: our stack or our ISMs on the existing Mailbox, then gateways wired to each other.
  const hyperlaneConfigOf = (chain: InfraChainConfig) => ({
    ...clientOf(chain),
    name: chain.name,
    ...(chain.hyperlane?.domain === undefined ? {} : { domain: chain.hyperlane.domain }),
  });
  const domains = hyperlaneChains.map((chain) => hyperlaneDomainOf(hyperlaneConfigOf(chain)));
  const hyperlane = await Promise.all(
    hyperlaneChains.map(async (chain, index): Promise<HyperlaneChainCore> => {
      const security = {
        remoteDomains: domains.filter((_, other) => other !== index),
        validators: config.operators,
        threshold,
      };
      const existing = chain.hyperlane;
      if (existing?.mailbox) {
        progress(`${chain.name}: Hyperlane: our ISMs and gateway on the Mailbox at ${existing.mailbox}…`);
        return attachHyperlaneChain(hyperlaneConfigOf(chain), { ...existing, mailbox: existing.mailbox }, security);
      }
      progress(`${chain.name}: Hyperlane: deploying the stack (domain ${domains[index]})…`);
      return deployHyperlaneChain(hyperlaneConfigOf(chain), {
        ...security,
        remoteGasPrice: DEFAULT_REMOTE_GAS_PRICE,
        processGasOverhead: DEFAULT_PROCESS_GAS_OVERHEAD,
      });
    }),
  );
  await Promise.all(
    hyperlaneChains.map(async (chain, index) => {
      const local = hyperlane[index] as HyperlaneChainCore;
      await connectHyperlaneGateway(
        hyperlaneConfigOf(chain),
        local,
        hyperlane.filter((_, other) => other !== index),
        PROTOCOL_DESTINATION_GAS.hyperlane,
      );
      progress(`${chain.name}: Hyperlane gateway ${local.gateway}`);
    }),
  );

  // A router per chain, sender and receiver of its gateways, with a route toward every reachable chain; and
  // the relayers' DeliveryBatcher, so that their deliveries to the chain go many to a transaction.
  const records = await Promise.all(
    config.chains.map(async (chain) => {
      const deployer = new ChainDeployer(clientOf(chain));
      const layerZeroIndex = layerZeroChains.indexOf(chain);
      const hyperlaneIndex = hyperlaneChains.indexOf(chain);
      const layerZeroGateway = layerZeroIndex < 0 ? undefined : layerZeroGateways[layerZeroIndex];
      const hyperlaneRecord = hyperlaneIndex < 0 ? undefined : hyperlane[hyperlaneIndex];
      const router = await deployer.deploy("MessageRouter", {
        abi: messageRouterAbi,
        bytecode: await projectBytecode("MessageRouter"),
        args: [deployer.deployer],
      });
      const routed = config.chains.flatMap((remote) => {
        const route = remote === chain ? undefined : routeBetween(chain, remote);
        return route ? [{ remote, route }] : [];
      });
      const routes = Object.fromEntries(routed.map(({ remote, route }) => [remote.name, route]));
      const gatewayCalls = (["setSender", "setReceiver"] as const).flatMap((functionName) => [
        ...(layerZeroGateway
          ? [
              call({
                step: `LayerZeroGateway.${functionName}(router)`,
                address: layerZeroGateway,
                abi: layerZeroGatewayAbi,
                functionName,
                args: [router],
              }),
            ]
          : []),
        ...(hyperlaneRecord
          ? [
              call({
                step: `HyperlaneGateway.${functionName}(router)`,
                address: hyperlaneRecord.gateway,
                abi: hyperlaneGatewayAbi,
                functionName,
                args: [router],
              }),
            ]
          : []),
      ]);
      await deployer.sendAll([
        call({
          step: "MessageRouter.setGateways",
          address: router,
          abi: messageRouterAbi,
          functionName: "setGateways",
          args: [layerZeroGateway ?? zeroAddress, hyperlaneRecord?.gateway ?? zeroAddress],
        }),
        ...routed.map(({ remote, route }) =>
          call({
            step: `MessageRouter.setRoute(${remote.name}, ${route})`,
            address: router,
            abi: messageRouterAbi,
            functionName: "setRoute",
            args: [BigInt(remote.chainId), ROUTE_MODE[route]],
          }),
        ),
        ...gatewayCalls,
      ]);
      const described = routed.map(({ remote, route }) => `${remote.name}: ${route}`).join(", ");
      progress(`${chain.name}: router ${router} (${described || "no routes"})`);
      const deliveryBatcher = await deployDeliveryBatcher(clientOf(chain));
      progress(`${chain.name}: DeliveryBatcher ${deliveryBatcher}`);
      const stack = layerZeroIndex < 0 ? undefined : stacks[layerZeroIndex];
      return {
        name: chain.name,
        chainId: chain.chainId,
        router,
        routes,
        deliveryBatcher,
        ...(stack && layerZeroGateway
          ? {
              layerZero: {
                ...stack,
                gateway: layerZeroGateway,
                confirmations: config.confirmations,
                reusedEndpoint: chain.layerZero?.endpoint !== undefined,
              },
            }
          : {}),
        ...(hyperlaneRecord
          ? {
              hyperlane: {
                ...toHyperlaneChainRecord(hyperlaneRecord),
                reusedMailbox: chain.hyperlane?.mailbox !== undefined,
              },
            }
          : {}),
      };
    }),
  );

  return infraDeploymentSchema.parse({
    operators: config.operators,
    threshold,
    confirmations: config.confirmations,
    chains: records,
    deployedAt: new Date().toISOString(),
  });
}
