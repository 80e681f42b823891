import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { XmarginError } from "../../sdk/errors.ts";
import type { ResolvedStoreConfig } from "../storage/config.ts";
import { type RelayerConfig, relayerConfigSchema } from "./schema.ts";

/** A configuration problem, with every offending field and why. */
export class ConfigError extends XmarginError {
  override name = "ConfigError";

  constructor(
    readonly source: string,
    readonly issues: { field: string; message: string }[],
  ) {
    super(
      `invalid relayer config (${source}):\n${issues.map((i) => `  ${i.field || "(root)"}: ${i.message}`).join("\n")}`,
    );
  }
}

/** Environment variables that override the file, for secrets and per-instance settings. */
const ENVIRONMENT_OVERRIDES: Record<string, (config: Record<string, unknown>, value: string) => void> = {
  XMARGIN_OPERATOR_KEY: (config, value) => {
    config.operator = { ...(config.operator as object), privateKey: value };
  },
  XMARGIN_API_PORT: (config, value) => {
    config.api = { ...(config.api as object), port: Number(value) };
  },
  XMARGIN_DATA_DIR: (config, value) => {
    config.dataDir = value;
  },
  DATABASE_URL: (config, value) => {
    config.storage = { kind: "postgres", url: value };
  },
};

/** Validates a config object (after environment overrides); throws ConfigError naming each bad field. */
export function parseRelayerConfig(raw: unknown, env: NodeJS.ProcessEnv = {}, source = "config"): RelayerConfig {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(source, [{ field: "", message: "must be a JSON object" }]);
  }
  const merged: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  for (const [variable, apply] of Object.entries(ENVIRONMENT_OVERRIDES)) {
    const value = env[variable];
    if (value !== undefined && value !== "") apply(merged, value);
  }
  const parsed = relayerConfigSchema.safeParse(merged);
  if (!parsed.success) {
    throw new ConfigError(
      source,
      parsed.error.issues.map((issue) => ({ field: issue.path.map(String).join("."), message: issue.message })),
    );
  }
  return parsed.data;
}

export async function loadRelayerConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<RelayerConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ConfigError(file, [{ field: "", message: `cannot read: ${(error as NodeJS.ErrnoException).code}` }]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, [{ field: "", message: `not valid JSON: ${(error as Error).message}` }]);
  }
  return parseRelayerConfig(raw, env, file);
}

/** The storage the config asks for: PostgreSQL when given, else SQLite under the data directory. */
export const storeConfigOf = (config: RelayerConfig): ResolvedStoreConfig =>
  config.storage ?? { kind: "sqlite", path: join(config.dataDir, "relayer.sqlite") };
