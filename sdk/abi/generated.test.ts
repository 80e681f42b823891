import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type Abi,
  type AbiParameter,
  decodeErrorResult,
  encodeErrorResult,
  getAddress,
  toFunctionSelector,
  toFunctionSignature,
} from "viem";
import { formatAbiItem } from "viem/utils";
import { describe, expect, it } from "vitest";
import { errorsBySelector, GENERATED_PATH, renderGeneratedAbis } from "./generate.ts";
import { marginEngineAbi, xmarginErrorsAbi } from "./generated.ts";

type AbiError = Extract<Abi[number], { type: "error" }>;

const ARTIFACTS = join(import.meta.dirname, "../../artifacts/contracts");

/** Every `type: "error"` item of every artifact of a non-test contract, with the artifact it comes from. */
async function projectErrors(): Promise<{ artifact: string; error: AbiError }[]> {
  const paths = (await readdir(ARTIFACTS, { recursive: true }))
    .map((path) => path.replaceAll("\\", "/"))
    .filter((path) => path.endsWith(".json") && !path.startsWith("test/"));
  const errors = await Promise.all(
    paths.map(async (artifact) => {
      const { abi } = JSON.parse(await readFile(join(ARTIFACTS, artifact), "utf8")) as { abi: { type: string }[] };
      return abi.filter((item): item is AbiError => item.type === "error").map((error) => ({ artifact, error }));
    }),
  );
  return errors.flat();
}

/** A value of ABI type `parameter`, so that an error with these inputs can be encoded. */
function sampleValue(parameter: AbiParameter): unknown {
  const array = /^(.*)\[(\d*)\]$/.exec(parameter.type);
  if (array) {
    const element = { ...parameter, type: array[1] as string };
    return Array.from({ length: array[2] ? Number(array[2]) : 2 }, () => sampleValue(element));
  }
  if (parameter.type === "tuple") {
    return ((parameter as { components: readonly AbiParameter[] }).components ?? []).map(sampleValue);
  }
  const integer = /^u?int(\d*)$/.exec(parameter.type);
  // viem gives integers of up to 48 bits as numbers.
  if (integer) return Number(integer[1] || 256) > 48 ? 7n : 7;
  if (parameter.type === "address") return getAddress("0x00000000000000000000000000000000000000a1");
  if (parameter.type === "bool") return true;
  if (parameter.type === "string") return "seven";
  if (parameter.type === "bytes") return "0x0707";
  const fixed = /^bytes(\d+)$/.exec(parameter.type);
  if (fixed) return `0x${"07".repeat(Number(fixed[1]))}`;
  throw new Error(`no sample value for ABI type ${parameter.type}`);
}

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

  it("decode by name every custom error of every non-test contract", async () => {
    const errors = await projectErrors();
    // Among them the router's, the gateways' and the timelock's, which the errors ABI once lacked.
    expect(errors.map(({ artifact }) => artifact.split("/").at(-1))).toEqual(
      expect.arrayContaining([
        "MessageRouter.json",
        "LayerZeroGateway.json",
        "HyperlaneGateway.json",
        "XmarginTimelock.json",
      ]),
    );
    const undecoded: string[] = [];
    for (const { artifact, error } of errors) {
      const signature = toFunctionSignature(formatAbiItem(error));
      const known = xmarginErrorsAbi.find(
        (item) => toFunctionSelector(formatAbiItem(item)) === toFunctionSelector(signature),
      );
      if (known === undefined || toFunctionSignature(formatAbiItem(known)) !== signature) {
        undecoded.push(`${artifact}: ${signature}`);
        continue;
      }
      const args = error.inputs.map(sampleValue);
      const data = encodeErrorResult({ abi: [error], errorName: error.name, args });
      const decoded = decodeErrorResult({ abi: xmarginErrorsAbi, data });
      expect(decoded.errorName, `${artifact}: ${signature}`).toBe(error.name);
      expect(decoded.args ?? [], `${artifact}: ${signature}`).toEqual(args);
    }
    expect(undecoded).toEqual([]);
  });

  it("refuse two different errors with one selector", () => {
    // A well-known collision: both hash to 0x23b872dd.
    const first = {
      type: "error",
      name: "transferFrom",
      inputs: ["address", "address", "uint256"].map((type) => ({ type })),
    };
    const second = { type: "error", name: "gasprice_bit_ether", inputs: [{ type: "int128" }] };
    expect(() => errorsBySelector([first, second])).toThrow(/share the selector 0x23b872dd/);
    expect(
      errorsBySelector([first, { ...first, inputs: first.inputs.map((input, i) => ({ ...input, name: `p${i}` })) }]),
    ).toEqual([first]);
  });
});
