import { parseWad } from "../../sdk/risk/index.ts";

/** The spec's tolerance for vectors: 1e-9 absolute, in wei. */
export const VECTOR_TOLERANCE_WEI = 10n ** 9n;

/**
 * Compares an evaluated scenario with its `expect`: the same keys everywhere, booleans and nulls equal,
 * decimal strings within `toleranceWei`. Returns one line per difference (empty when they match).
 */
export function outcomeMismatches(
  expected: unknown,
  actual: unknown,
  toleranceWei = VECTOR_TOLERANCE_WEI,
  path = "",
): string[] {
  const decimal = /^-?\d+(\.\d+)?$/;
  if (typeof expected === "string" && typeof actual === "string" && decimal.test(expected) && decimal.test(actual)) {
    const difference = parseWad(actual) - parseWad(expected);
    if (difference <= toleranceWei && -difference <= toleranceWei) return [];
    return [`${path}: expected ${expected}, got ${actual}`];
  }
  if (expected !== null && actual !== null && typeof expected === "object" && typeof actual === "object") {
    const expectedRecord = expected as Record<string, unknown>;
    const actualRecord = actual as Record<string, unknown>;
    const keys = new Set([...Object.keys(expectedRecord), ...Object.keys(actualRecord)]);
    return [...keys].flatMap((key) =>
      outcomeMismatches(expectedRecord[key], actualRecord[key], toleranceWei, path === "" ? key : `${path}.${key}`),
    );
  }
  return Object.is(expected, actual)
    ? []
    : [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}
