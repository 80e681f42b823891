import { parseCommandArgs } from "../args.ts";
import { requireFreeBalance } from "../checks.ts";
import type { Command } from "../command.ts";
import { followMessages, parseWaitOptions, WAIT_HELP, waitOptions } from "../delivery.ts";
import { formatAmount } from "../format.ts";
import { openVaultAsset, parseTokenAmount, report, SESSION_HELP, vaultAssetOptions } from "../options.ts";
import { parseAddress } from "../wallet.ts";

export const withdrawCommand: Command = {
  name: "withdraw",
  summary: "withdraw free (unlocked) vault balance at once",
  usage: `Usage: xmargin withdraw --chain CHAIN --asset ASSET --amount N [--to ADDRESS] [options]

Pays N of the account's free balance out of the vault on CHAIN at once, without the hub; the vault then
reports the new total to the hub, which this waits for (progress on stderr). Locked margin leaves a vault
only on the hub's command: see \`xmargin release\`.

Options:
  --chain CHAIN     chain of the vault (spokeA, …, or a chain id)
  --asset ASSET     token symbol or address
  --amount N        decimal amount, at most the free balance
  --to ADDRESS      recipient (default: the account)
${WAIT_HELP}
${SESSION_HELP}`,

  async run(args) {
    const { values } = parseCommandArgs(args, {
      ...vaultAssetOptions,
      ...waitOptions,
      amount: { type: "string" },
      to: { type: "string" },
    });
    const wait = parseWaitOptions(values);
    const { session, chain, token } = await openVaultAsset(values);
    const amount = parseTokenAmount(values.amount, token);
    const to = values.to === undefined ? undefined : parseAddress(values.to, "--to");
    const account = session.signer.address;

    await requireFreeBalance(session, chain, token, account, amount, "withdraw");
    const result = await session.wallet(chain).withdrawFree({ asset: token.address, amount, to });
    const delivery = await followMessages(session, result.hash, chain.chainId, wait);
    report(values.json, { ...result, chain: chain.name, to: to ?? account, deliveries: delivery?.deliveries }, () => [
      `withdrew ${formatAmount(amount, token.decimals)} ${token.symbol} from the ${chain.name} vault to ${to ?? account} (tx ${result.hash})`,
    ]);
    return 0;
  },
};
