import { readFile } from "node:fs/promises";
import { type ProtocolDeployment, protocolDeploymentSchema } from "../infra/protocol.ts";
import { ConfigError } from "./load.ts";
import type { RelayerConfig } from "./schema.ts";

/**
 * Reads the protocol deployment a relayer instance serves (a devnet file validates as one once its
 * protocol is deployed) and checks the config can reach every chain of it.
 */
export async function loadProtocolDeployment(file: string, config: RelayerConfig): Promise<ProtocolDeployment> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    const reason =
      error instanceof SyntaxError
        ? `not valid JSON: ${error.message}`
        : `cannot read: ${(error as NodeJS.ErrnoException).code}`;
    throw new ConfigError(file, [{ field: "", message: reason }]);
  }
  const parsed = protocolDeploymentSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      file,
      parsed.error.issues.map((issue) => ({ field: issue.path.map(String).join("."), message: issue.message })),
    );
  }
  const deployment = parsed.data;
  const missing = [deployment.hub, ...deployment.spokes].filter(
    (chain) => !config.chains.some((configured) => configured.chainId === chain.chainId),
  );
  if (missing.length > 0) {
    throw new ConfigError("config", [
      {
        field: "chains",
        message: `the deployment (${file}) has ${missing.map((chain) => `${chain.name} (${chain.chainId})`).join(", ")}, which chains does not list`,
      },
    ]);
  }
  if (config.threshold !== deployment.threshold) {
    throw new ConfigError("config", [
      {
        field: "threshold",
        message: `is ${config.threshold}; the deployment's DVNs and ISMs need ${deployment.threshold} signatures`,
      },
    ]);
  }
  return deployment;
}
