import { readFile } from "node:fs/promises";
import { createPublicClient, createWalletClient, type Hex, http } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { XmarginError } from "../../../sdk/errors.ts";
import { evaluateScenarios, evaluateScenariosOnchain, type ScenarioResult } from "../../../sdk/risk/index.ts";
import { startAnvil } from "../../devnet/anvil.ts";
import { DEFAULT_DEVNET_MNEMONIC } from "../../devnet/launcher.ts";
import { parseCommandArgs } from "../args.ts";
import { type Command, UsageError } from "../command.ts";

const HARNESS_ARTIFACT = new URL(
  "../../../artifacts/contracts/test/RiskMathHarness.sol/RiskMathHarness.json",
  import.meta.url,
);

export const riskCommand: Command = {
  name: "risk",
  summary: "evaluate risk scenarios (vectors.json format) in TypeScript or through the compiled contract",
  usage: `Usage: xmargin risk FILE.json [--onchain]

Evaluates every scenario of FILE.json (the format of test/vectors/risk.json: params, prices,
account, optional volatility and liquidate) and prints a JSON array of { name, result }, where
result has the shape of a scenario's "expect".

Options:
  --onchain    evaluate through the compiled Solidity RiskMath library on a throwaway local chain
               (needs the contracts compiled: scripts/setup or npx hardhat build)
  -h, --help   show this help`,

  async run(args) {
    const { values, positionals } = parseCommandArgs(args, { onchain: { type: "boolean" } }, true);
    const [file, ...extra] = positionals;
    if (!file) throw new UsageError("missing FILE.json (see xmargin risk --help)");
    if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(" ")}`);
    const scenarios = await readJson(file);
    const results = values.onchain ? await evaluateOnchain(scenarios) : evaluateScenarios(scenarios);
    console.log(JSON.stringify(results, null, 2));
    return 0;
  },
};

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new XmarginError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new XmarginError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

async function evaluateOnchain(scenarios: unknown): Promise<ScenarioResult[]> {
  let artifact: { abi: unknown[]; bytecode: Hex };
  try {
    artifact = JSON.parse(await readFile(HARNESS_ARTIFACT, "utf8"));
  } catch {
    throw new XmarginError("the contracts are not compiled: run scripts/setup (or npx hardhat build) first");
  }
  const chain = await startAnvil({ chainId: 31337, mnemonic: DEFAULT_DEVNET_MNEMONIC, accounts: 1, blockTime: 1 });
  try {
    const account = mnemonicToAccount(DEFAULT_DEVNET_MNEMONIC);
    const transport = http(chain.rpcUrl);
    const wallet = createWalletClient({ account, transport });
    const client = createPublicClient({ transport });
    const hash = await wallet.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, chain: null });
    const { contractAddress } = await client.waitForTransactionReceipt({ hash });
    if (!contractAddress) throw new XmarginError("deploying the RiskMath harness failed");
    return await evaluateScenariosOnchain(scenarios, { client, address: contractAddress });
  } finally {
    await chain.stop();
  }
}
