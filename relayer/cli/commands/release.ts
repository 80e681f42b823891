import { zeroAddress } from "viem";
import { parseCommandArgs } from "../args.ts";
import { requireCounted } from "../checks.ts";
import { type Command, UsageError } from "../command.ts";
import { followMessages, parseWaitOptions, WAIT_HELP, waitOptions } from "../delivery.ts";
import { formatAmount } from "../format.ts";
import { openVaultAsset, parseTokenAmount, report, SESSION_HELP, vaultAssetOptions } from "../options.ts";
import { parseAddress } from "../wallet.ts";

export const releaseCommand: Command = {
  name: "release",
  summary: "ask the hub to release locked margin on a chain and wait until the vault pays it",
  usage: `Usage: xmargin release --chain CHAIN --asset ASSET --amount N [--to ADDRESS | --unlock] [options]

Asks the hub to release N of the account's locked ASSET on CHAIN. The hub allows it when the account's
initial health stays non-negative without it, counts it as pending at once and sends a Release command to
the vault, which pays it; this waits for that (progress on stderr) and pays the command's messaging fee.

Options:
  --chain CHAIN     chain holding the collateral (spokeA, …, or a chain id)
  --asset ASSET     token symbol or address on that chain
  --amount N        decimal amount, at most what the hub counts for it
  --to ADDRESS      recipient on CHAIN (default: the account)
  --unlock          pay nobody: the amount becomes free balance in the vault
${WAIT_HELP}
${SESSION_HELP}`,

  async run(args) {
    const { values } = parseCommandArgs(args, {
      ...vaultAssetOptions,
      ...waitOptions,
      amount: { type: "string" },
      to: { type: "string" },
      unlock: { type: "boolean" },
    });
    const wait = parseWaitOptions(values);
    if (values.unlock && values.to !== undefined) throw new UsageError("--to and --unlock exclude each other");
    const { session, chain, token } = await openVaultAsset(values);
    const amount = parseTokenAmount(values.amount, token);
    const account = session.signer.address;
    const to = values.unlock ? zeroAddress : values.to === undefined ? account : parseAddress(values.to, "--to");

    await requireCounted(session, chain, token, account, amount);
    const result = await session
      .wallet(session.hub)
      .requestRelease({ chain: chain.chainId, asset: token.address, amount, to });
    const delivery = await followMessages(session, result.hash, session.hub.chainId, wait);
    const what = `${formatAmount(amount, token.decimals)} ${token.symbol} on ${chain.name}`;
    const destination = to === zeroAddress ? "free balance" : to;
    report(values.json, { ...result, chain: chain.name, to, deliveries: delivery?.deliveries }, () => [
      `release of ${what} to ${destination} requested: command #${result.cmdNonce} (tx ${result.hash})`,
      delivery === undefined
        ? `the ${chain.name} vault pays it once the command arrives`
        : `the ${chain.name} vault executed it`,
    ]);
    return 0;
  },
};
