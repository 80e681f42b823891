import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type DeploymentInput,
  getDeploymentChain,
  getDeploymentMarket,
  getDeploymentToken,
  loadDeployment,
  parseDeployment,
  requireContract,
  viemChains,
} from "./deployments.ts";
import { DeploymentError, UnknownAssetError, UnknownChainError, UnknownMarketError } from "./errors.ts";

/** What the devnet launcher writes today (relayer/devnet/deployment.ts): chains and accounts, no contracts. */
const launcherFile = {
  network: "devnet",
  mnemonic: "test test test test test test test test test test test junk",
  hub: { name: "hub", chainId: 70700, rpcUrl: "http://127.0.0.1:41001" },
  spokes: [
    { name: "spoke-1", chainId: 70701, rpcUrl: "http://127.0.0.1:41002" },
    { name: "spoke-2", chainId: 70702, rpcUrl: "http://127.0.0.1:41003" },
  ],
  accounts: [
    {
      address: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
      privateKey: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    },
  ],
  processes: [{ chainId: 70700, pid: 1234 }],
  startedAt: "2025-01-01T00:00:00.000Z",
};

const USDC = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
/** The same network once the deploy step has added contracts, tokens and markets. */
const deployed: DeploymentInput = {
  ...launcherFile,
  hub: {
    ...launcherFile.hub,
    contracts: {
      engine: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
      oracle: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
    },
    tokens: { USDC: { address: "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9", decimals: 6 } },
    markets: { "ETH-PERP": { id: 0 }, "BTC-PERP": { id: 1 } },
  },
  spokes: [
    {
      ...launcherFile.spokes[0],
      name: "spoke-1",
      chainId: 70701,
      rpcUrl: "http://127.0.0.1:41002",
      contracts: { vault: "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9" },
      tokens: {
        USDC: { address: USDC, decimals: 6 },
        WETH: { address: "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707", decimals: 18 },
      },
    },
    { name: "spoke-2", chainId: 70702, rpcUrl: "http://127.0.0.1:41003" },
  ],
};

describe("deployments", () => {
  it("accepts the file the devnet launcher writes today, with empty contracts, tokens and markets", () => {
    const deployment = parseDeployment(launcherFile);
    expect(deployment.hub).toMatchObject({ contracts: {}, tokens: {}, markets: {} });
    expect(() => requireContract(deployment.hub, "engine")).toThrow(/no engine on hub \(70700\)/);
  });

  it("accepts a public network without the devnet-only fields", () => {
    const { mnemonic: _m, accounts: _a, processes: _p, startedAt: _s, ...rest } = launcherFile;
    expect(parseDeployment({ ...rest, network: "testnet" }).network).toBe("testnet");
  });

  it("resolves chains, tokens (symbol or address, any case) and markets (name or id)", () => {
    const deployment = parseDeployment(deployed);
    expect(getDeploymentChain(deployment, "spoke-1").chainId).toBe(70701);
    expect(getDeploymentChain(deployment, 70700).name).toBe("hub");
    const spoke = getDeploymentChain(deployment, "70701");
    // Addresses come out checksummed whatever case the file used.
    expect(getDeploymentToken(spoke, "usdc")).toEqual({
      symbol: "USDC",
      address: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      decimals: 6,
    });
    expect(getDeploymentToken(spoke, USDC.toUpperCase().replace("0X", "0x")).symbol).toBe("USDC");
    expect(getDeploymentMarket(deployment, "eth-perp")).toEqual({ id: 0n, name: "ETH-PERP" });
    expect(getDeploymentMarket(deployment, 1n)).toEqual({ id: 1n, name: "BTC-PERP" });
    expect(getDeploymentMarket(deployment, 7)).toEqual({ id: 7n });
  });

  it("says what exists when a lookup fails", () => {
    const deployment = parseDeployment(deployed);
    expect(() => getDeploymentChain(deployment, "mainnet")).toThrow(UnknownChainError);
    expect(() => getDeploymentChain(deployment, "mainnet")).toThrow(
      /hub \(70700\), spoke-1 \(70701\), spoke-2 \(70702\)/,
    );
    expect(() => getDeploymentToken(deployment.spokes[0] as never, "DAI")).toThrow(UnknownAssetError);
    expect(() => getDeploymentToken(deployment.spokes[0] as never, "DAI")).toThrow(/it has USDC, WETH/);
    expect(() => getDeploymentMarket(deployment, "SOL-PERP")).toThrow(UnknownMarketError);
  });

  it("rejects a malformed file with every problem and its path", () => {
    const broken = {
      ...deployed,
      hub: { ...deployed.hub, contracts: { engine: "0x1234" } },
      spokes: [{ name: "spoke-1", chainId: 70701, rpcUrl: "not a url" }],
    };
    const error = (() => {
      try {
        parseDeployment(broken);
      } catch (e) {
        return e as DeploymentError;
      }
    })();
    expect(error).toBeInstanceOf(DeploymentError);
    expect(error?.message).toMatch(/hub\.contracts\.engine/);
    expect(error?.message).toMatch(/spokes\[0\]\.rpcUrl/);
    expect(() => parseDeployment({ ...launcherFile, hub: { ...launcherFile.hub, chainId: 70701 } })).toThrow(
      /chain id 70701 appears twice/,
    );
  });

  it("gives viem chains for every chain", () => {
    const chains = viemChains(parseDeployment(deployed));
    expect(chains.hub).toMatchObject({ id: 70700, rpcUrls: { default: { http: ["http://127.0.0.1:41001"] } } });
    expect(chains.spokes.map((chain) => chain.id)).toEqual([70701, 70702]);
    expect(chains.byId.get(70702)?.nativeCurrency.symbol).toBe("ETH");
  });

  it("loads deployments/<network>.json", async () => {
    const directory = await mkdtemp(join(tmpdir(), "xmargin-deployments-"));
    try {
      await writeFile(join(directory, "devnet.json"), JSON.stringify(deployed));
      expect((await loadDeployment("devnet", { directory })).spokes[0]?.contracts.vault).toBeDefined();
      await expect(loadDeployment("missing", { directory })).rejects.toThrow(/cannot read deployment/);
      await expect(loadDeployment("../etc/passwd", { directory })).rejects.toThrow(/invalid network name/);
      await writeFile(join(directory, "bad.json"), "{");
      await expect(loadDeployment("bad", { directory })).rejects.toThrow(/is not JSON/);
    } finally {
      await rm(directory, { recursive: true });
    }
  });
});
