import { XmarginError } from "../../../sdk/errors.ts";
import { runDevnetUntilSignal } from "../../devnet/launcher.ts";
import { parseCommandArgs, parseIntegerOption, parseNumberOption } from "../args.ts";
import type { Command } from "../command.ts";

export const devnetCommand: Command = {
  name: "devnet",
  summary: "run a local hub chain and spoke chains until Ctrl-C",
  usage: `Usage: xmargin devnet [options]

Starts a hub chain and spoke chains (anvil, free ports, chain ids 70700, 70701, …), writes their
RPC URLs and funded dev accounts to the deployments file, and runs until Ctrl-C or SIGTERM, which
stops every chain it started.

Options:
  --chains N        number of spoke chains (default 2)
  --out FILE        deployments file (default deployments/devnet.json)
  --accounts N      funded dev accounts per chain (default 10)
  --block-time S    seconds between empty blocks, so confirmations advance (default 0.25)
  -h, --help        show this help`,

  async run(args) {
    const { values } = parseCommandArgs(args, {
      chains: { type: "string" },
      out: { type: "string" },
      accounts: { type: "string" },
      "block-time": { type: "string" },
    });
    const options = {
      spokes: parseIntegerOption("chains", values.chains, 2, 1, 64),
      accounts: parseIntegerOption("accounts", values.accounts, 10, 1, 1000),
      blockTime: parseNumberOption("block-time", values["block-time"], 0.25, 0.05, 60),
      outFile: values.out ?? "deployments/devnet.json",
    };
    try {
      await runDevnetUntilSignal(options);
    } catch (error) {
      throw new XmarginError(error instanceof Error ? error.message : String(error), { cause: error });
    }
    return 0;
  },
};
