import { type Abi, type Address, encodeFunctionData, type Hex, hexToBytes } from "viem";
import { describe, expect, it } from "vitest";
import { chainlinkConfig, deployOracle, ESTIMATOR, priceId, vaultConfig } from "./fixtures.ts";

const USDC = priceId("USDC");
const SUSDC = priceId("sUSDC");

/** Gas a call spends executing: the estimate less the 21000 base and the calldata charge. */
async function executionGas(
  f: Awaited<ReturnType<typeof deployOracle>>,
  to: Address,
  abi: Abi,
  functionName: string,
  args: readonly unknown[],
) {
  const data: Hex = encodeFunctionData({ abi, functionName, args });
  const calldataGas = hexToBytes(data).reduce((sum, byte) => sum + (byte === 0 ? 4 : 16), 0);
  const estimate = await f.publicClient.estimateGas({ account: f.owner.account, to, data });
  return Number(estimate) - 21_000 - calldataGas;
}

describe("XmarginOracle: gas", () => {
  it("reads a Chainlink id and an ERC-4626 id within budget", async () => {
    const f = await deployOracle();
    const feed = await f.deployFeed(8, 100_010_000n);
    const asset = await f.viem.deployContract("MockERC4626Asset", [6]);
    const vault = await f.viem.deployContract("MockERC4626", [asset.address, 0]);
    await f.oracle.write.addPriceId([USDC, chainlinkConfig(feed.address, { volatility: ESTIMATOR })]);
    await f.oracle.write.addPriceId([SUSDC, vaultConfig(vault.address, USDC)]);

    const chainlink = await executionGas(f, f.oracle.address, f.oracle.abi, "getPrice", [USDC]);
    const erc4626 = await executionGas(f, f.oracle.address, f.oracle.abi, "getPrice", [SUSDC]);
    const mockFeed = await executionGas(f, feed.address, feed.abi, "latestRoundData", []);
    const multipliers = await executionGas(f, f.oracle.address, f.oracle.abi, "volatilityMultipliers", [USDC]);
    await f.networkHelpers.time.increase(300);
    await feed.write.setAnswer([100_020_000n]);
    const poke = await executionGas(f, f.oracle.address, f.oracle.abi, "poke", [USDC]);
    console.info({ chainlink, erc4626, mockFeed, multipliers, poke });

    expect(chainlink).toBeLessThan(25_000);
    expect(erc4626).toBeLessThan(50_000);
    expect(multipliers).toBeLessThan(8_000);
    expect(poke).toBeLessThan(70_000);
  });
});
