import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const biome = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "node_modules", ".bin", "biome");

/** Writes `value` as JSON in the repository's format, so `biome check .` stays clean after a run. */
export function writeFormattedJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
  try {
    execFileSync(biome, ["format", "--write", path], { stdio: "ignore" });
  } catch {
    console.log(`(biome not found: ${basename(path)} left as JSON.stringify wrote it)`);
  }
}
