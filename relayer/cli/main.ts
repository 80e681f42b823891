import { ContractRevertError, XmarginError } from "../../sdk/errors.ts";
import { type Command, UsageError } from "./command.ts";
import { accountCommand } from "./commands/account.ts";
import { autoMarginCommand } from "./commands/auto-margin.ts";
import { claimCommand } from "./commands/claim.ts";
import { deployInfraCommand } from "./commands/deploy-infra.ts";
import { depositCommand } from "./commands/deposit.ts";
import { devnetCommand } from "./commands/devnet.ts";
import { faucetCommand } from "./commands/faucet.ts";
import { liquidateCommand } from "./commands/liquidate.ts";
import { lockCommand } from "./commands/lock.ts";
import { priceCommand } from "./commands/price.ts";
import { relayerCommand } from "./commands/relayer.ts";
import { releaseCommand } from "./commands/release.ts";
import { riskCommand } from "./commands/risk.ts";
import { settleCommand } from "./commands/settle.ts";
import { syncCommand } from "./commands/sync.ts";
import { tradeCommand } from "./commands/trade.ts";
import { withdrawCommand } from "./commands/withdraw.ts";
import { describeRevert } from "./errors.ts";

const commands: Command[] = [
  devnetCommand,
  deployInfraCommand,
  faucetCommand,
  priceCommand,
  depositCommand,
  lockCommand,
  withdrawCommand,
  releaseCommand,
  tradeCommand,
  settleCommand,
  accountCommand,
  liquidateCommand,
  claimCommand,
  syncCommand,
  autoMarginCommand,
  riskCommand,
  relayerCommand,
];

export function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    "xmargin — cross-chain unified margin",
    "",
    "Usage: xmargin <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Run `xmargin <command> --help` for a command's options.",
  ].join("\n");
}

/** Runs the CLI and returns the exit code; user errors print one line, bugs print their stack. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`xmargin: unknown command "${name}". Run \`xmargin --help\` for the list.`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`xmargin ${name}: ${error.message}`);
      return 2;
    }
    if (error instanceof ContractRevertError) {
      console.error(`xmargin ${name}: ${describeRevert(error)}`);
      return 1;
    }
    if (error instanceof XmarginError) {
      console.error(`xmargin ${name}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
