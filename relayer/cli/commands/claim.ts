import { parseCommandArgs } from "../args.ts";
import { requireClaimable } from "../checks.ts";
import type { Command } from "../command.ts";
import { formatAmount } from "../format.ts";
import { openVaultAsset, report, SESSION_HELP, vaultAssetOptions } from "../options.ts";
import { parseAddress } from "../wallet.ts";

export const claimCommand: Command = {
  name: "claim",
  summary: "collect funds a vault could not pay out on a hub command (shown as claimable)",
  usage: `Usage: xmargin claim --chain CHAIN --asset ASSET [--to ADDRESS] [options]

When a vault cannot pay a Release or Seize (the token refused the transfer, e.g. a blacklisted
recipient), it executes the command anyway and keeps the funds claimable by the recipient, so later
commands are not blocked. This pays everything claimable by the account in ASSET on CHAIN.

Options:
  --chain CHAIN     chain of the vault (spokeA, …, or a chain id)
  --asset ASSET     token symbol or address
  --to ADDRESS      where to send it (default: the account)
${SESSION_HELP}`,

  async run(args) {
    const { values } = parseCommandArgs(args, {
      ...vaultAssetOptions,
      to: { type: "string" },
    });
    const { session, chain, token } = await openVaultAsset(values);
    const to = values.to === undefined ? undefined : parseAddress(values.to, "--to");
    const account = session.signer.address;

    await requireClaimable(session, chain, token, account);
    const result = await session.wallet(chain).claim({ asset: token.address, to });
    report(values.json, { ...result, chain: chain.name }, () => [
      `claimed ${formatAmount(result.amount, token.decimals)} ${token.symbol} on ${chain.name} to ${result.to} (tx ${result.hash})`,
    ]);
    return 0;
  },
};
