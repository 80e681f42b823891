import { createRequire } from "node:module";
import hardhatToolboxViem from "@nomicfoundation/hardhat-toolbox-viem";
import { defineConfig } from "hardhat/config";
import { CHAIN_IDS } from "./sdk/chains.ts";

// No compiler downloads here: compile with the wasm build that the npm `solc` package ships.
const soljson = createRequire(import.meta.url).resolve("solc/soljson.js");

const compiler = ({ runs, viaIR = false }: { runs: number; viaIR?: boolean }) => ({
  version: "0.8.30",
  path: soljson,
  settings: { optimizer: { enabled: true, runs }, evmVersion: "cancun", viaIR },
});

const inProcessChain = (chainId: number) =>
  ({ type: "edr-simulated", chainType: "l1", chainId, allowUnlimitedContractSize: false }) as const;

export default defineConfig({
  plugins: [hardhatToolboxViem],
  solidity: {
    profiles: {
      default: {
        compilers: [compiler({ runs: 10_000 })],
        overrides: {
          // The hub engine is the one contract near the 24 KiB limit: fewer optimizer runs.
          "contracts/hub/MarginEngine.sol": compiler({ runs: 200 }),
        },
      },
    },
  },
  paths: { tests: { solidity: "test/solidity" } },
  networks: {
    hub: inProcessChain(CHAIN_IDS.hub),
    spokeA: inProcessChain(CHAIN_IDS.spokeA),
    spokeB: inProcessChain(CHAIN_IDS.spokeB),
    devnetHub: { type: "http", chainType: "l1", url: process.env.XMARGIN_HUB_RPC ?? "http://127.0.0.1:8545" },
  },
});
