import { readFile } from "node:fs/promises";
import { toFunctionSelector } from "viem";
import { formatAbiItem } from "viem/utils";
import { describe, expect, it } from "vitest";
import { GENERATED_PATH, renderGeneratedAbis } from "./generate.ts";
import { marginEngineAbi, xmarginErrorsAbi } from "./generated.ts";

describe("generated ABIs", () => {
  it("are up to date with the compiled artifacts (regenerate with `tsx sdk/abi/generate.ts`)", async () => {
    expect(await readFile(GENERATED_PATH, "utf8")).toBe(await renderGeneratedAbis());
  });

  it("give the engine the errors its linked libraries revert with", () => {
    const errors = marginEngineAbi.filter((item) => item.type === "error").map((item) => item.name);
    expect(errors).toContain("FixedPointOverflow");
    expect(errors).toContain("InitialHealthViolated");
  });

  it("collect every error once per selector", () => {
    const selectors = xmarginErrorsAbi.map((item) => toFunctionSelector(formatAbiItem(item)));
    expect(new Set(selectors).size).toBe(selectors.length);
  });
});
