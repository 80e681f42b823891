import { formatUnits } from "viem";
import { UsageError } from "./command.ts";

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/**
 * A positive decimal string ("12.5") as token units of a token with `decimals`; `what` names the option and
 * the token in errors ("--amount", "USDC"). More decimals than the token has is an error, never rounded.
 */
export function parseAmount(raw: string, decimals: number, option: string, symbol: string): bigint {
  const match = DECIMAL.exec(raw.trim());
  if (match === null) throw new UsageError(`${option} "${raw}" is not a decimal number such as 12.5`);
  const [, whole = "", fraction = ""] = match;
  if (fraction.length > decimals) {
    throw new UsageError(
      `${option} ${raw} has ${fraction.length} decimals; ${symbol} has ${decimals}${decimals === 0 ? " (whole units only)" : ""}`,
    );
  }
  const units = BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, "0") || "0");
  if (units === 0n) throw new UsageError(`${option} must be more than zero`);
  return units;
}

/** Token units as a decimal string without trailing zeros. */
export const formatAmount = (units: bigint, decimals: number): string => formatUnits(units, decimals);

/** A WAD value with at most `places` decimals, rounded toward zero, for tables. */
export function formatWadShort(value: bigint, places = 4): string {
  const text = formatUnits(value, 18);
  const [whole, fraction] = text.split(".");
  if (fraction === undefined) return text;
  const kept = fraction.slice(0, places).replace(/0+$/, "");
  const rounded = kept === "" ? (whole as string) : `${whole}.${kept}`;
  return rounded === "-0" ? "0" : rounded;
}

/** JSON with bigints as decimal strings and Maps as objects, for `--json`. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, item: unknown) => {
      if (typeof item === "bigint") return item.toString();
      if (item instanceof Map) return Object.fromEntries([...item].map(([key, entry]) => [String(key), entry]));
      return item;
    },
    2,
  );
}

/**
 * Columns padded to their widest cell; a column whose cells are all numbers (percentages and bounds such as
 * "<0.01%" included) is right-aligned, header included.
 */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], indent = "  "): string[] {
  const numeric = /^([<>]?[-+]?[\d.]+%?|—)$/;
  const columns = headers.map((header, column) => {
    const cells = rows.map((row) => row[column] ?? "");
    return {
      width: Math.max(header.length, ...cells.map((cell) => cell.length)),
      right: cells.some((cell) => cell !== "") && cells.every((cell) => cell === "" || numeric.test(cell)),
    };
  });
  const line = (cells: readonly string[]) =>
    `${indent}${columns
      .map(({ width, right }, column) => {
        const cell = cells[column] ?? "";
        return right ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ")}`.trimEnd();
  return [line(headers), ...rows.map(line)];
}
