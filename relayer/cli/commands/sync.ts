import { parseCommandArgs } from "../args.ts";
import type { Command } from "../command.ts";
import { followMessages, parseWaitOptions, WAIT_HELP, waitOptions } from "../delivery.ts";
import { openVaultAsset, report, SESSION_HELP, vaultAssetOptions } from "../options.ts";
import { parseAddress } from "../wallet.ts";

export const syncCommand: Command = {
  name: "sync",
  summary: "have a vault re-report an account's balance to the hub (after a deferred report)",
  usage: `Usage: xmargin sync --chain CHAIN --asset ASSET [--account ADDRESS] [options]

Has the vault on CHAIN send a fresh balance report of (account, ASSET) to the hub, paying its messaging
fee, and waits until the hub applied it (progress on stderr). A vault defers the report it owes after a
hub command when its fee budget runs dry; until a report acknowledges the command, the hub keeps counting
the decrease as pending. Anyone may sync any account.

Options:
  --chain CHAIN     chain of the vault (spokeA, …, or a chain id)
  --asset ASSET     token symbol or address
  --account ADDRESS
                    whose balance to report (default: the key's account)
${WAIT_HELP}
${SESSION_HELP}`,

  async run(args) {
    const { values } = parseCommandArgs(args, {
      ...vaultAssetOptions,
      ...waitOptions,
      account: { type: "string" },
    });
    const wait = parseWaitOptions(values);
    const { session, chain, token } = await openVaultAsset(values);
    const account = values.account === undefined ? session.signer.address : parseAddress(values.account, "--account");

    const result = await session.wallet(chain).syncBalance({ asset: token.address, account });
    const delivery = await followMessages(session, result.hash, chain.chainId, wait);
    report(values.json, { ...result, chain: chain.name, account, deliveries: delivery?.deliveries }, () => [
      `${chain.name} reported ${account}'s ${token.symbol} to the hub (tx ${result.hash})`,
    ]);
    return 0;
  },
};
