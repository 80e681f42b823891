import { parseCommandArgs } from "../args.ts";
import { requireFreeBalance } from "../checks.ts";
import type { Command } from "../command.ts";
import { followMessages, parseWaitOptions, WAIT_HELP, waitOptions } from "../delivery.ts";
import { formatAmount } from "../format.ts";
import { openVaultAsset, parseTokenAmount, report, SESSION_HELP, vaultAssetOptions } from "../options.ts";

export const lockCommand: Command = {
  name: "lock",
  summary: "lock free vault balance as margin and wait until the hub counts it",
  usage: `Usage: xmargin lock --chain CHAIN --asset ASSET --amount N [options]

Moves N of the account's free balance in the vault on CHAIN into locked margin, paying the balance
report's messaging fee, then waits until the hub has applied the report (progress on stderr).

Options:
  --chain CHAIN     chain of the vault (spokeA, …, or a chain id)
  --asset ASSET     token symbol or address
  --amount N        decimal amount, at most the free balance
${WAIT_HELP}
${SESSION_HELP}`,

  async run(args) {
    const { values } = parseCommandArgs(args, {
      ...vaultAssetOptions,
      ...waitOptions,
      amount: { type: "string" },
    });
    const wait = parseWaitOptions(values);
    const { session, chain, token } = await openVaultAsset(values);
    const amount = parseTokenAmount(values.amount, token);
    const account = session.signer.address;

    await requireFreeBalance(session, chain, token, account, amount, "lock");
    const result = await session.wallet(chain).lock({ asset: token.address, amount });
    const delivery = await followMessages(session, result.hash, chain.chainId, wait);
    report(values.json, { ...result, chain: chain.name, deliveries: delivery?.deliveries }, () => [
      `locked ${formatAmount(amount, token.decimals)} ${token.symbol} in the ${chain.name} vault (tx ${result.hash})`,
      delivery === undefined ? "the hub counts it once the balance report arrives" : "the hub has applied the report",
    ]);
    return 0;
  },
};
