import { readFileSync } from "node:fs";

/** Loads a JSON file of shared test vectors from this folder. */
export const loadVectors = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`./${name}`, import.meta.url), "utf8")) as T;

export interface CodecVectors {
  valid: { name: string; hex: `0x${string}`; message: Record<string, string | number> }[];
  malformed: { name: string; hex: `0x${string}`; error: string; args: string[] }[];
}
