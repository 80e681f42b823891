import hre from "hardhat";
import type { RiskMathHarnessTarget } from "../../sdk/risk/index.ts";

/** Deploys RiskMathHarness on the in-process hub network. */
export async function deployRiskMathHarness() {
  const connection = await hre.network.connect({ network: "hub" });
  const contract = await connection.viem.deployContract("RiskMathHarness");
  const client = await connection.viem.getPublicClient();
  const target: RiskMathHarnessTarget = { client, address: contract.address };
  return { connection, contract, client, target };
}
