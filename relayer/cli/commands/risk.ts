import { readFile } from "node:fs/promises";
import { createPublicClient, createWalletClient, type Hex, http } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import type { GetLiquidationRiskReturnType } from "../../../sdk/actions/getLiquidationRisk.ts";
import { XmarginError } from "../../../sdk/errors.ts";
import { evaluateScenarios, evaluateScenariosOnchain, type ScenarioResult } from "../../../sdk/risk/index.ts";
import { startAnvil } from "../../devnet/anvil.ts";
import { DEFAULT_DEVNET_MNEMONIC } from "../../devnet/launcher.ts";
import { formatDuration, parseCommandArgs, parseDurationOption } from "../args.ts";
import { type Command, UsageError } from "../command.ts";
import { formatWadShort, table, toJson } from "../format.ts";
import { DEPLOYMENT_HELP, HELP_HELP, sessionOptions } from "../options.ts";
import { parseAddress, Session } from "../wallet.ts";

const HARNESS_ARTIFACT = new URL(
  "../../../artifacts/contracts/test/RiskMathHarness.sol/RiskMathHarness.json",
  import.meta.url,
);

/** One day, in seconds. */
const DEFAULT_HORIZON = 86_400;

/** The account command's read options (no --key: nothing is signed) and each mode's own. */
const riskOptions = {
  deployment: sessionOptions.deployment,
  json: sessionOptions.json,
  account: { type: "string" },
  horizon: { type: "string" },
  onchain: { type: "boolean" },
} as const;

export const riskCommand: Command = {
  name: "risk",
  summary: "an account's liquidation risk within a horizon, or evaluate risk scenarios (vectors.json format)",
  usage: `Usage: xmargin risk --account ADDRESS [--horizon DURATION] [options]
       xmargin risk FILE.json [--onchain] [--json]

With --account, reads the account from the hub and prints its liquidation risk. Per oracle price it is
exposed to (named by the account's tokens and markets it prices): the price now; the liquidation price,
every other price held fixed, and the move to it; the oracle's annualised volatility σ; that move's distance in units
of σ and of σ√T over the horizon T; and the probability that the price touches the liquidation price
within the horizon. Then the account's probability: at least the likeliest price's, at most their sum
(capped at 1). The model is a driftless random walk of the log price at the oracle's current σ, one price
moving at a time (see getLiquidationRisk in docs/sdk.md). --json prints the SDK's getLiquidationRisk
result (WAD prices and σ, bigints as strings; a distance no move reaches, without a liquidation price or
a σ estimate, is null).

With FILE.json, evaluates every scenario of FILE.json (the format of test/vectors/risk.json: params,
prices, account, optional volatility and liquidate) and prints a JSON array of { name, result }, where
result has the shape of a scenario's "expect".

Options with --account:
  --account ADDRESS the account (required)
  --horizon DURATION
                    how far ahead: seconds (3600) or a number with a unit s, m, h, d, w (90m, 1h, 7d);
                    default 1d
${DEPLOYMENT_HELP}
  --json            print the SDK's result as JSON

Options with FILE.json:
  --onchain         evaluate through the compiled Solidity RiskMath library on a throwaway local chain
                    (needs the contracts compiled: scripts/setup or npx hardhat build)
  --json            accepted, as by every read command; the output is JSON either way
${HELP_HELP}`,

  async run(args) {
    const { values, positionals } = parseCommandArgs(args, riskOptions, true);
    const [file, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(" ")}`);
    if (file !== undefined && values.account !== undefined) {
      throw new UsageError(`give FILE.json or --account ADDRESS, not both (got ${file} and --account)`);
    }
    if (values.account !== undefined) {
      if (values.onchain) throw new UsageError("--onchain goes with FILE.json, not with --account");
      const account = parseAddress(values.account, "--account");
      const horizon = parseDurationOption("horizon", values.horizon, DEFAULT_HORIZON);
      const session = await Session.open(values);
      const result = await session.hubReader().getLiquidationRisk({ account, horizon });
      console.log(values.json ? toJson(result) : renderLiquidationRisk(result, session.deployment.network).join("\n"));
      return 0;
    }
    if (!file) throw new UsageError("missing FILE.json or --account ADDRESS (see xmargin risk --help)");
    const misplaced = (["horizon", "deployment"] as const).filter((name) => values[name] !== undefined);
    if (misplaced.length > 0) {
      const names = misplaced.map((name) => `--${name}`).join(" and ");
      throw new UsageError(`${names} ${misplaced.length === 1 ? "goes" : "go"} with --account, not FILE.json`);
    }
    const scenarios = await readJson(file);
    const results = values.onchain ? await evaluateOnchain(scenarios) : evaluateScenarios(scenarios);
    console.log(JSON.stringify(results, null, 2));
    return 0;
  },
};

/** A probability as a percentage: "0%", "<0.01%", "12.34%", ">99.99%", "100%". */
function percent(probability: number): string {
  if (probability <= 0) return "0%";
  if (probability >= 1) return "100%";
  const value = probability * 100;
  if (value < 0.01) return "<0.01%";
  if (value > 99.99) return ">99.99%";
  return `${value.toFixed(2)}%`;
}

/** A distance in σ; "—" when no move reaches the level (Infinity). */
const distance = (sigmas: number) => (Number.isFinite(sigmas) ? sigmas.toFixed(3) : "—");

type Factor = GetLiquidationRiskReturnType["factors"][number];

function liquidationCells(factor: Factor): [string, string] {
  if (factor.liquidatableNow) return ["now", "0%"];
  if (factor.price === null || factor.currentPrice === 0n) return ["—", "—"];
  const move = (Number(factor.price) / Number(factor.currentPrice) - 1) * 100;
  const side = factor.direction === "down" ? "(below)" : "(above)";
  return [`${formatWadShort(factor.price, 4)} ${side}`, `${move > 0 ? "+" : ""}${move.toFixed(2)}%`];
}

/** The liquidation risk as a table per price and the account's probability. */
export function renderLiquidationRisk(result: GetLiquidationRiskReturnType, network: string): string[] {
  const within = `within ${formatDuration(result.horizon)}`;
  const lines = [`liquidation risk of ${result.account} ${within} on ${network} (hub block ${result.blockNumber})`, ""];
  if (result.factors.length === 0) {
    lines.push("  no collateral and no positions: nothing to liquidate");
    return lines;
  }
  lines.push(
    ...table(
      ["price of", "now", "liquidation price", "move", "σ yearly", "distance σ", "distance σ√T", `P ${within}`],
      result.factors.map((factor) => [
        factor.labels.length > 0 ? factor.labels.join(", ") : factor.priceId,
        formatWadShort(factor.currentPrice, 4),
        ...liquidationCells(factor),
        factor.sigma === 0n ? "—" : `${formatWadShort(factor.sigma * 100n, 1)}%`,
        distance(factor.sigmas),
        distance(factor.horizonSigmas),
        percent(factor.probability),
      ]),
    ),
    "",
  );
  if (result.liquidatableNow) {
    lines.push("  liquidatable now: YES (maintenance health is below zero)");
    return lines;
  }
  lines.push(
    `  probability of liquidation ${within}: at least ${percent(result.probability)} (the likeliest price), ` +
      `at most ${percent(result.probabilityUpperBound)} (any price, union bound)`,
    "  model: each log price a driftless random walk at the oracle's current σ; joint moves are not captured",
  );
  const unestimated = result.factors.filter((factor) => factor.sigma === 0n && factor.price !== null);
  if (unestimated.length > 0) {
    const names = unestimated.map((factor) => factor.labels.join(", ") || factor.priceId).join("; ");
    lines.push(`  σ —: the oracle keeps no volatility estimate for ${names}; their 0% is no measure of their risk`);
  }
  return lines;
}

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
