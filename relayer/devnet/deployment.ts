import { readFile, rename, writeFile } from "node:fs/promises";
// "zod/v4" is zod 4 whether the installed package is 3.25 (which ships v4 there) or 4.x.
import { z } from "zod/v4";
import { XmarginError } from "../../sdk/errors.ts";
import {
  hubRecordSchema,
  type ProtocolDeployment,
  protocolDeploymentSchema,
  spokeRecordSchema,
} from "../infra/protocol.ts";

const hexString = (bytes: number) =>
  z.string().regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`), `expected 0x followed by ${bytes * 2} hex digits`);

const chainSchema = z.object({
  name: z.string().min(1),
  chainId: z.number().int().positive(),
  rpcUrl: z.url(),
});

/**
 * What deployProtocol adds to each chain (relayer/infra/protocol.ts): its contracts, tokens, transports
 * and, on the hub, price feeds and markets. Absent while the chains run without contracts (--no-deploy).
 * `contracts`, `tokens` and `markets` are the fields the SDK's deployments loader reads.
 */
const hubProtocolFields = hubRecordSchema.omit({ name: true, chainId: true }).partial().shape;
const spokeProtocolFields = spokeRecordSchema.omit({ name: true, chainId: true }).partial().shape;
const protocolFields = protocolDeploymentSchema
  .pick({ operators: true, threshold: true, routes: true })
  .partial().shape;

/**
 * `deployments/devnet.json`, written by the devnet launcher: the chains first, then, once deployed, every
 * contract address (see `withProtocol`).
 */
export const devnetDeploymentSchema = z.object({
  network: z.literal("devnet"),
  mnemonic: z.string().min(1),
  hub: chainSchema.extend({ name: z.literal("hub"), ...hubProtocolFields }),
  spokes: z.array(chainSchema.extend(spokeProtocolFields)).min(1),
  /** The funded accounts anvil derives from the mnemonic, in derivation order. */
  accounts: z.array(z.object({ address: hexString(20), privateKey: hexString(32) })),
  /** The chain processes, so that tools (and tests) can check they are gone. */
  processes: z.array(z.object({ chainId: z.number().int().positive(), pid: z.number().int().positive() })),
  startedAt: z.iso.datetime(),
  ...protocolFields,
});

export type DevnetDeployment = z.infer<typeof devnetDeploymentSchema>;
export type DevnetChain = z.infer<typeof chainSchema>;

export async function readDevnetDeployment(path: string): Promise<DevnetDeployment> {
  return devnetDeploymentSchema.parse(JSON.parse(await readFile(path, "utf8")));
}

/** Writes through a temporary file and a rename, so readers never see a half-written file. */
export async function writeDevnetDeployment(path: string, deployment: DevnetDeployment): Promise<void> {
  const temporaryPath = `${path}.${process.pid}.tmp`;
  await writeFile(temporaryPath, `${JSON.stringify(devnetDeploymentSchema.parse(deployment), null, 2)}\n`);
  await rename(temporaryPath, path);
}

export class DevnetDeploymentError extends XmarginError {
  override name = "DevnetDeploymentError";
}

/** The chains' file with the protocol's addresses merged into each chain entry. */
export function withProtocol(deployment: DevnetDeployment, protocol: ProtocolDeployment): DevnetDeployment {
  const { hub, spokes, ...network } = protocol;
  const spokeRecord = (name: string) => {
    const record = spokes.find((spoke) => spoke.name === name);
    if (!record) throw new DevnetDeploymentError(`the protocol deployment has no spoke ${name}`);
    return record;
  };
  if (spokes.length !== deployment.spokes.length) {
    throw new DevnetDeploymentError(`${spokes.length} spokes deployed on a devnet of ${deployment.spokes.length}`);
  }
  return devnetDeploymentSchema.parse({
    ...deployment,
    ...network,
    hub: { ...deployment.hub, ...hub },
    spokes: deployment.spokes.map((spoke) => ({ ...spoke, ...spokeRecord(spoke.name) })),
  });
}

/** The protocol deployment the devnet file holds; an error if the devnet ran without contracts. */
export function devnetProtocol(deployment: DevnetDeployment): ProtocolDeployment {
  const result = protocolDeploymentSchema.safeParse(deployment);
  if (!result.success) {
    throw new DevnetDeploymentError(
      deployment.hub.contracts === undefined
        ? "the devnet has no contracts (it was started with --no-deploy)"
        : `the devnet's protocol deployment is incomplete:\n${z.prettifyError(result.error)}`,
      { cause: result.error },
    );
  }
  return result.data;
}
