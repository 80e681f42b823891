import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "./command.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** `parseArgs` that reports unknown or malformed options as a one-line usage error. */
export function parseCommandArgs<T extends Options>(args: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Parses a whole number option within bounds. */
export function parseIntegerOption(name: string, raw: string | undefined, fallback: number, min: number, max: number) {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

export function parseNumberOption(name: string, raw: string | undefined, fallback: number, min: number, max: number) {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };
const DURATION = /^(\d+(?:\.\d+)?)\s*([smhdw]?)$/;
/** The longest duration option accepted: ten years of the oracle's 365 days. */
const MAX_DURATION_SECONDS = 10 * 365 * 86_400;

/** A duration option in seconds: a plain number of seconds ("3600") or a number with a unit ("90m", "1.5h", "7d"). */
export function parseDurationOption(name: string, raw: string | undefined, fallbackSeconds: number): number {
  if (raw === undefined) return fallbackSeconds;
  const match = DURATION.exec(raw.trim().toLowerCase());
  if (match === null) {
    throw new UsageError(`--${name} "${raw}" is not a duration such as 3600 (seconds), 90m, 1h, 1d or 7d`);
  }
  const seconds = Number(match[1]) * (DURATION_UNITS[match[2] || "s"] as number);
  if (seconds < 1 || seconds > MAX_DURATION_SECONDS) {
    throw new UsageError(`--${name} must be from 1 second to 10 years (3650d), got "${raw}"`);
  }
  return seconds;
}

/** Seconds as the largest whole unit up to days: "1 day", "7 days", "90 minutes", "45 s". */
export function formatDuration(seconds: number): string {
  const units: [number, string][] = [
    [86_400, "day"],
    [3_600, "hour"],
    [60, "minute"],
  ];
  for (const [size, unit] of units) {
    const count = seconds / size;
    if (Number.isInteger(count)) return `${count} ${unit}${count === 1 ? "" : "s"}`;
  }
  return `${seconds} s`;
}
