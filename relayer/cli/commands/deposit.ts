import { parseCommandArgs } from "../args.ts";
import { requireWalletBalance } from "../checks.ts";
import type { Command } from "../command.ts";
import { followMessages, parseWaitOptions, WAIT_HELP, waitOptions } from "../delivery.ts";
import { formatAmount } from "../format.ts";
import { openVaultAsset, parseTokenAmount, report, SESSION_HELP, vaultAssetOptions } from "../options.ts";

export const depositCommand: Command = {
  name: "deposit",
  summary: "deposit collateral into a vault (locked as margin) and wait until the hub counts it",
  usage: `Usage: xmargin deposit --chain CHAIN --asset ASSET --amount N [options]

Deposits N of ASSET from the wallet into the vault on CHAIN, locked as margin unless --no-lock. Grants
the vault its allowance first (an ERC-2612 permit where the token supports it, else an approve), pays the
balance report's messaging fee, then waits until the hub has applied the report (progress on stderr).

Options:
  --chain CHAIN     chain of the vault: a name from the deployment (spokeA, …) or a chain id
  --asset ASSET     token symbol (USDC) or address
  --amount N        decimal amount, e.g. 250.5 (no more decimals than the token has)
  --no-lock         keep the deposit free: withdrawable at once, not counted as margin
${WAIT_HELP}
${SESSION_HELP}`,

  async run(args) {
    const { values } = parseCommandArgs(args, {
      ...vaultAssetOptions,
      ...waitOptions,
      amount: { type: "string" },
      "no-lock": { type: "boolean" },
    });
    const wait = parseWaitOptions(values);
    const { session, chain, token } = await openVaultAsset(values);
    const amount = parseTokenAmount(values.amount, token);
    const lock = values["no-lock"] !== true;
    const account = session.signer.address;

    await requireWalletBalance(session, chain, token, account, amount, "deposit");
    const result = await session.wallet(chain).deposit({ asset: token.address, amount, lock });
    const delivery = await followMessages(session, result.hash, chain.chainId, wait);
    report(values.json, { ...result, chain: chain.name, deliveries: delivery?.deliveries }, () => [
      `deposited ${formatAmount(result.received, token.decimals)} ${token.symbol} into the ${chain.name} vault${lock ? ", locked as margin" : ", free"} (tx ${result.hash})`,
      delivery === undefined ? "the hub counts it once the balance report arrives" : "the hub has applied the report",
    ]);
    return 0;
  },
};
