import { describe, expect, it } from "vitest";
import { parseWad } from "../../sdk/risk/index.ts";
import { loadVectors } from "../vectors/index.ts";
import { runCli } from "./run.ts";

interface Vector {
  name: string;
  expect: Record<string, unknown>;
}

const vectors = loadVectors<Vector[]>("risk.json");
const TOLERANCE = 10n ** 9n;

/** Every leaf of `actual` within 1e-9 of `expected` (decimal strings), other leaves equal. */
function expectClose(actual: unknown, expected: unknown, path: string): void {
  if (typeof expected === "string" && typeof actual === "string" && /^-?[\d.]+$/.test(expected)) {
    const difference = parseWad(actual) - parseWad(expected);
    expect(difference < 0n ? -difference : difference, `${path}: ${actual} vs ${expected}`).toBeLessThanOrEqual(
      TOLERANCE,
    );
  } else if (expected !== null && typeof expected === "object") {
    for (const [key, value] of Object.entries(expected)) {
      expectClose((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
    }
  } else {
    expect(actual, path).toEqual(expected);
  }
}

describe("xmargin risk", () => {
  it.each([
    ["in TypeScript", []],
    ["through the compiled contract", ["--onchain"]],
  ])("reproduces every shipped vector %s", async (_label, flags) => {
    const { code, stdout, stderr } = await runCli(["risk", ...flags, "test/vectors/risk.json"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const results = JSON.parse(stdout) as { name: string; result: unknown }[];
    expect(results.map((r) => r.name)).toEqual(vectors.map((v) => v.name));
    for (const [index, vector] of vectors.entries()) expectClose(results[index]?.result, vector.expect, vector.name);
  });

  it.each([
    [["risk"], /missing FILE\.json/],
    [["risk", "does-not-exist.json"], /cannot read does-not-exist\.json: ENOENT/],
    [["risk", "package.json"], /invalid risk scenario file/],
    [["risk", "--bogus", "x.json"], /Unknown option '--bogus'/],
  ])("bad input %j fails with a clear error and no stack trace", async (args, message) => {
    const { code, stderr } = await runCli(args);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
