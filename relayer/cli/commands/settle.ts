import { settleToken } from "../../../sdk/actions/internal/engine.ts";
import { requireContract, tokenSymbol } from "../../../sdk/deployments.ts";
import { parseCommandArgs } from "../args.ts";
import { requireSettleCredit, requireWalletBalance } from "../checks.ts";
import { type Command, UsageError } from "../command.ts";
import { formatAmount, formatWadShort, parseAmount } from "../format.ts";
import { report, SESSION_HELP, sessionOptions } from "../options.ts";
import { parseAddress, required, Session } from "../wallet.ts";

export const settleCommand: Command = {
  name: "settle",
  summary: "deposit settle tokens into the hub's settle balance (repaying debt) or withdraw settle credit",
  usage: `Usage: xmargin settle deposit --amount N [--for ADDRESS] [options]
       xmargin settle withdraw --amount N [--to ADDRESS] [options]

The settle balance on the hub, in the engine's settle token (USDC on the devnet), takes realized PnL, fees
and funding; negative is debt. deposit pays settle tokens from the wallet into it (repaying debt first),
for the account or for --for ADDRESS; withdraw pays positive settle credit out, as long as initial health
stays non-negative.

Options:
  --amount N        decimal amount of the settle token
  --for ADDRESS     deposit: whose settle balance to credit (default: the account)
  --to ADDRESS      withdraw: recipient on the hub (default: the account)
${SESSION_HELP}`,

  async run(args) {
    const { values, positionals } = parseCommandArgs(
      args,
      { ...sessionOptions, amount: { type: "string" }, for: { type: "string" }, to: { type: "string" } },
      true,
    );
    const [direction, ...extra] = positionals;
    if (direction !== "deposit" && direction !== "withdraw") {
      throw new UsageError(
        `expected \`settle deposit\` or \`settle withdraw\`${direction ? `, got "${direction}"` : ""}`,
      );
    }
    if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(" ")}`);
    if (direction === "deposit" && values.to !== undefined) throw new UsageError("--to goes with settle withdraw");
    if (direction === "withdraw" && values.for !== undefined) throw new UsageError("--for goes with settle deposit");
    const rawAmount = required(values.amount, "--amount");
    const session = await Session.open(values);
    const hub = session.hub;
    const account = session.signer.address;
    const beneficiary = values.for === undefined ? undefined : parseAddress(values.for, "--for");
    const to = values.to === undefined ? undefined : parseAddress(values.to, "--to");
    const settle = await settleToken(session.reader(hub), requireContract(hub, "engine"));
    const symbol = tokenSymbol(hub, settle.address) ?? "settle token";
    const amount = parseAmount(rawAmount, settle.decimals, "--amount", symbol);
    const token = { ...settle, symbol };

    if (direction === "deposit") {
      await requireWalletBalance(session, hub, token, account, amount, "deposit");
      const result = await session.wallet(hub).depositSettle({ amount, account: beneficiary });
      report(values.json, result, () => [
        `deposited ${formatAmount(amount, settle.decimals)} ${symbol} into the settle balance of ${result.account} (tx ${result.hash})`,
        `settle balance now ${formatWadShort(result.settleBalance, 6)} USD`,
      ]);
      return 0;
    }
    await requireSettleCredit(session, account, amount, settle.decimals);
    const result = await session.wallet(hub).withdrawSettle({ amount, to });
    report(values.json, result, () => [
      `withdrew ${formatAmount(amount, settle.decimals)} ${symbol} of settle credit to ${result.to} (tx ${result.hash})`,
      `settle balance now ${formatWadShort(result.settleBalance, 6)} USD`,
    ]);
    return 0;
  },
};
