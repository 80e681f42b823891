// The protocol deployer's fixed inputs, checked against their sources: the risk parameters against the
// shared vectors, the hand-written ABI fragments against the compiled artifacts.
import { readFile } from "node:fs/promises";
import type { Abi, AbiParameter } from "viem";
import { describe, expect, it } from "vitest";
import { devnetDeploymentSchema, devnetProtocol } from "../../relayer/devnet/deployment.ts";
import { DEVNET_ASSETS, DEVNET_MARKETS, DEVNET_RISK, MAX_PRICE_AGE } from "../../relayer/infra/protocol.ts";
import { devnetPriceFeedAbi, messageRouterAbi, testTokenAbi } from "../../relayer/infra/protocol-abi.ts";
import { loadVectors } from "../vectors/index.ts";

interface RiskVector {
  name: string;
  params: {
    assets: Record<string, { weightInit: string; weightMaint: string; sizeFactor: string }>;
    chains: Record<string, { haircut: string }>;
    markets: Record<string, { marginInit: string; marginMaint: string; sizeFactor: string; lotSize: string }>;
  } & Record<string, unknown>;
}

const artifactAbi = async (path: string): Promise<Abi> =>
  (JSON.parse(await readFile(new URL(`../../artifacts/contracts/${path}`, import.meta.url), "utf8")) as { abi: Abi })
    .abi;

type AbiItem = Abi[number];

/** The part of an ABI item that calls and decoding depend on: kind, name, types, mutability, indexing. */
function signature(item: AbiItem): string {
  const type = (parameter: AbiParameter): string => {
    const components = "components" in parameter ? parameter.components : undefined;
    const indexed = "indexed" in parameter && parameter.indexed ? " indexed" : "";
    return components
      ? `(${components.map(type).join(",")})${parameter.type.slice("tuple".length)}${indexed}`
      : `${parameter.type}${indexed}`;
  };
  const inputs = "inputs" in item ? item.inputs.map(type).join(",") : "";
  const outputs = "outputs" in item ? item.outputs.map(type).join(",") : "";
  const name = "name" in item ? item.name : "";
  const mutability = "stateMutability" in item ? item.stateMutability : "";
  return `${item.type} ${name}(${inputs}) ${mutability} (${outputs})`;
}

/** Every fragment (functions, events, errors, constructor) has its exact twin in the artifact's ABI. */
function expectSubset(fragments: Abi, artifact: Abi) {
  const known = new Set(artifact.map(signature));
  for (const item of fragments) expect(known, signature(item)).toContain(signature(item));
}

describe("the protocol deployer's inputs", () => {
  it("turns the engine's price cache on within setMaxPriceAge's bound (1 h)", () => {
    expect(MAX_PRICE_AGE).toBeGreaterThan(0);
    expect(MAX_PRICE_AGE).toBeLessThanOrEqual(3600);
  });

  it("uses the risk parameters of test/vectors/risk.json", () => {
    const [base] = loadVectors<RiskVector[]>("risk.json");
    if (!base) throw new Error("no vectors");
    const { assets, chains, markets, ...params } = base.params;
    expect(DEVNET_RISK.params).toEqual(params);
    expect(DEVNET_RISK.assets).toEqual(assets);
    expect(DEVNET_RISK.markets).toEqual(markets);
    expect(DEVNET_RISK.haircuts).toEqual(Object.values(chains).map((chain) => chain.haircut));
    // Every asset and market of the spec is deployed, with the spec's prices.
    expect(DEVNET_ASSETS.map((asset) => asset.symbol)).toEqual(Object.keys(assets));
    expect(DEVNET_MARKETS.map((market) => market.name)).toEqual(Object.keys(markets));
  });

  it("calls the router, test tokens and devnet price feeds with fragments of their compiled ABIs", async () => {
    expectSubset(messageRouterAbi, await artifactAbi("messaging/MessageRouter.sol/MessageRouter.json"));
    expectSubset(testTokenAbi, await artifactAbi("test/TestTokens.sol/TestToken.json"));
    expectSubset(devnetPriceFeedAbi, await artifactAbi("test/MockAggregatorV3.sol/MockAggregatorV3.json"));
  });

  it("says so when a devnet file has no contracts", () => {
    const bare = devnetDeploymentSchema.parse({
      network: "devnet",
      mnemonic: "test test test test test test test test test test test junk",
      hub: { name: "hub", chainId: 70_700, rpcUrl: "http://127.0.0.1:8545" },
      spokes: [{ name: "spokeA", chainId: 70_701, rpcUrl: "http://127.0.0.1:8546" }],
      accounts: [],
      processes: [],
      startedAt: new Date().toISOString(),
    });
    expect(() => devnetProtocol(bare)).toThrow("the devnet has no contracts (it was started with --no-deploy)");
  });
});
