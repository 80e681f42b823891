import { readFile, rename, writeFile } from "node:fs/promises";
// "zod/v4" is zod 4 whether the installed package is 3.25 (which ships v4 there) or 4.x.
import { z } from "zod/v4";

const hexString = (bytes: number) =>
  z.string().regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`), `expected 0x followed by ${bytes * 2} hex digits`);

const chainSchema = z.object({
  name: z.string().min(1),
  chainId: z.number().int().positive(),
  rpcUrl: z.url(),
});

/**
 * `deployments/devnet.json`, written by the devnet launcher. Later steps of the devnet
 * (contract deployment) extend this schema with addresses.
 */
export const devnetDeploymentSchema = z.object({
  network: z.literal("devnet"),
  mnemonic: z.string().min(1),
  hub: chainSchema.extend({ name: z.literal("hub") }),
  spokes: z.array(chainSchema).min(1),
  /** The funded accounts anvil derives from the mnemonic, in derivation order. */
  accounts: z.array(z.object({ address: hexString(20), privateKey: hexString(32) })),
  /** The chain processes, so that tools (and tests) can check they are gone. */
  processes: z.array(z.object({ chainId: z.number().int().positive(), pid: z.number().int().positive() })),
  startedAt: z.iso.datetime(),
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
