import { parseCommandArgs } from "../args.ts";
import { type Command, UsageError } from "../command.ts";
import { report, SESSION_HELP, sessionOptions } from "../options.ts";
import { Session } from "../wallet.ts";

export const autoMarginCommand: Command = {
  name: "auto-margin",
  summary: "opt in or out of auto-margin (keepers may lock free vault balance when health turns negative)",
  usage: `Usage: xmargin auto-margin on|off [options]

Opted in, anyone (a keeper) may have the hub send a Lock of the account's free vault balance on a spoke
while the account's initial health is negative, turning idle balance into margin before liquidation.

Options:
${SESSION_HELP}`,

  async run(args) {
    const { values, positionals } = parseCommandArgs(args, sessionOptions, true);
    const [setting, ...extra] = positionals;
    if (setting !== "on" && setting !== "off") {
      throw new UsageError(`expected \`auto-margin on\` or \`auto-margin off\`${setting ? `, got "${setting}"` : ""}`);
    }
    if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(" ")}`);
    const session = await Session.open(values);
    const result = await session.wallet(session.hub).setAutoMargin({ enabled: setting === "on" });
    report(values.json, { ...result, account: session.signer.address }, () => [
      `auto-margin ${result.enabled ? "on" : "off"} for ${session.signer.address} (tx ${result.hash})`,
    ]);
    return 0;
  },
};
