import type { GetAccountReturnType } from "../../../sdk/actions/getAccount.ts";
import type { LiquidationPrice } from "../../../sdk/portfolio/liquidationPrice.ts";
import { parseCommandArgs } from "../args.ts";
import type { Command } from "../command.ts";
import { formatAmount, formatWadShort, table, toJson } from "../format.ts";
import { SESSION_HELP, sessionOptions } from "../options.ts";
import { parseAddress, Session } from "../wallet.ts";

export const accountCommand: Command = {
  name: "account",
  summary: "show an account: vault balances per chain, the hub ledger, positions, health, liquidation prices",
  usage: `Usage: xmargin account [--account ADDRESS] [options]

Reads every vault and the hub and prints, for the account: per chain the vault balances (total, locked,
free, claimable per asset); the hub's ledger (what each vault reported as locked, what is pending release,
what the hub counts, its price and value); the settle balance; positions with PnL and funding; the health
breakdown (H^init, H^maint, H^LE with equity and requirement) and, per price, the liquidation price with
every other price fixed. Amounts are in token units, values in USD. --json prints the SDK's getAccount
result (base units, WAD values, bigints as strings).

Options:
  --account ADDRESS
                    the account to show (default: the key's account)
${SESSION_HELP}`,

  async run(args) {
    const { values } = parseCommandArgs(args, { ...sessionOptions, account: { type: "string" } });
    const session = await Session.open(values);
    const account = values.account === undefined ? session.signer.address : parseAddress(values.account, "--account");
    const result = await session.hubReader().getAccount({ account });
    console.log(values.json ? toJson(result) : renderAccount(result, session.deployment.network).join("\n"));
    return 0;
  },
};

const usd = (wad: bigint) => formatWadShort(wad, 2);
const price = (wad: bigint) => formatWadShort(wad, 4);

function liquidationPrice(liquidation: LiquidationPrice): string {
  if (liquidation.liquidatableNow) return "now";
  if (liquidation.price === null) return "—";
  return `${price(liquidation.price)} ${liquidation.direction === "down" ? "(below)" : "(above)"}`;
}

/** The account as tables, one block per section. */
export function renderAccount(result: GetAccountReturnType, network: string): string[] {
  const lines = [`account ${result.account} on ${network} (hub block ${result.blockNumber})`, ""];

  for (const chain of result.chains) {
    lines.push(`${chain.name} (chain ${chain.chainId}) vault ${chain.vault}`);
    const held = chain.balances.filter((balance) => balance.total > 0n || balance.claimable > 0n);
    if (held.length === 0) {
      lines.push("  no balances", "");
      continue;
    }
    lines.push(
      ...table(
        ["asset", "total", "locked", "free", "claimable"],
        held.map((balance) => [
          balance.symbol,
          ...[balance.total, balance.locked, balance.free, balance.claimable].map((units) =>
            formatAmount(units, balance.decimals),
          ),
        ]),
      ),
      "",
    );
  }

  lines.push("hub ledger");
  if (result.ledger.length === 0) lines.push("  no collateral reported");
  else {
    lines.push(
      ...table(
        ["chain", "asset", "reported locked", "pending release", "counted", "price", "value USD", "liquidation price"],
        result.ledger.map((entry) => [
          entry.chainName,
          entry.symbol ?? entry.token,
          formatAmount(entry.reportedLocked, entry.decimals),
          formatAmount(entry.pendingDecrease, entry.decimals),
          formatAmount(entry.counted, entry.decimals),
          price(entry.price),
          usd(entry.value),
          liquidationPrice(entry.liquidationPrice),
        ]),
      ),
    );
  }
  lines.push(`  settle balance ${usd(result.settleBalance)} USD${result.settleBalance < 0n ? " (debt)" : ""}`, "");

  lines.push("positions");
  if (result.positions.length === 0) lines.push("  no open positions");
  else {
    lines.push(
      ...table(
        ["market", "size", "entry", "mark", "notional USD", "PnL USD", "funding owed", "liquidation price"],
        result.positions.map((position) => [
          position.market ?? `#${position.marketId}`,
          formatWadShort(position.size, 18),
          price(position.entryPrice),
          price(position.markPrice),
          usd(position.notional),
          usd(position.pnl),
          usd(position.fundingOwed),
          liquidationPrice(position.liquidationPrice),
        ]),
      ),
    );
  }
  lines.push("");

  const { health } = result;
  lines.push(
    "health (USD)",
    ...table(
      ["", "health", "equity", "requirement"],
      [
        ["H^init", usd(health.health.init), usd(health.equity.init), usd(health.requirement.init)],
        ["H^maint", usd(health.health.maint), usd(health.equity.maint), usd(health.requirement.maint)],
        ["H^LE", usd(health.health.liquidationEnd), "", ""],
      ],
    ),
    `  maintenance health ratio ${health.healthRatioMaint === null ? "— (no requirement)" : formatWadShort(health.healthRatioMaint, 3)}; ` +
      `liquidatable: ${health.liquidatable ? "YES" : "no"}; auto-margin: ${result.autoMargin ? "on" : "off"}`,
  );
  return lines;
}
