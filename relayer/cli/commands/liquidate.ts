import { settleToken } from "../../../sdk/actions/internal/engine.ts";
import { getDeploymentMarket, requireContract, tokenSymbol } from "../../../sdk/deployments.ts";
import { parseCommandArgs } from "../args.ts";
import { type Command, UsageError } from "../command.ts";
import { followMessages, parseWaitOptions, WAIT_HELP, waitOptions } from "../delivery.ts";
import { formatAmount, formatWadShort, parseAmount } from "../format.ts";
import { chainOption, report, SESSION_HELP, sessionOptions } from "../options.ts";
import { parseAddress, required, Session } from "../wallet.ts";

export const liquidateCommand: Command = {
  name: "liquidate",
  summary: "liquidate an unhealthy account: close part of a perp position, or repay its debt for collateral",
  usage: `Usage: xmargin liquidate --account ADDRESS --perp MARKET [options]
       xmargin liquidate --account ADDRESS --collateral --chain CHAIN --asset ASSET [--max-repay USD] [options]

For an account with H^maint < 0 (see \`xmargin account --account ADDRESS\`):
  --perp MARKET closes part of its position in MARKET at the oracle price, sized by the risk spec to
    restore H^LE; the liquidator's fee is credited to the liquidator's settle balance on the hub.
  --collateral repays its settle debt with the liquidator's settle tokens on the hub and seizes its ASSET
    on CHAIN with the spec's bonus; the vault pays the liquidator on CHAIN when the Seize command arrives,
    which this waits for (progress on stderr). Pays the commands' messaging fees.
The hub reverts with NotLiquidatable while the account is healthy.

Options:
  --account ADDRESS
                    the account to liquidate
  --perp MARKET     market of the position to reduce (e.g. ETH-PERP)
  --collateral      seize collateral instead
  --chain CHAIN     with --collateral: the chain holding it
  --asset ASSET     with --collateral: token symbol or address on that chain
  --max-repay USD   with --collateral: most settle debt to repay (default: as much as the spec allows)
${WAIT_HELP}
${SESSION_HELP}`,

  async run(args) {
    const { values } = parseCommandArgs(args, {
      ...sessionOptions,
      ...chainOption,
      ...waitOptions,
      account: { type: "string" },
      perp: { type: "string" },
      collateral: { type: "boolean" },
      asset: { type: "string" },
      "max-repay": { type: "string" },
    });
    const wait = parseWaitOptions(values);
    const collateral = values.collateral === true;
    if ((values.perp !== undefined) === collateral)
      throw new UsageError("give exactly one of --perp MARKET or --collateral");
    if (!collateral && (values.chain ?? values.asset ?? values["max-repay"]) !== undefined) {
      throw new UsageError("--chain, --asset and --max-repay go with --collateral");
    }
    const account = parseAddress(required(values.account, "--account"), "--account");
    const session = await Session.open(values);

    if (!collateral) {
      const market = getDeploymentMarket(session.deployment, values.perp as string);
      const marketName = market.name ?? `market ${market.id}`;
      const result = await session.wallet(session.hub).liquidatePerp({ account, market: market.id });
      report(values.json, { ...result, account, market: marketName }, () => [
        `liquidated ${formatWadShort(result.size, 18)} ${marketName} of ${account} at ${formatWadShort(result.price)} (tx ${result.hash})`,
        `fee: ${formatWadShort(result.feeToLiquidator)} USD to you (settle balance), ${formatWadShort(result.feeToInsurance)} USD to insurance`,
      ]);
      return 0;
    }

    const chain = session.chain(values.chain, "vault");
    const token = session.token(chain, values.asset);
    const maxRepay =
      values["max-repay"] === undefined ? undefined : parseAmount(values["max-repay"], 18, "--max-repay", "USD");
    const result = await session
      .wallet(session.hub)
      .liquidateCollateral({ account, chain: chain.chainId, asset: token.address, maxRepay });
    const delivery = await followMessages(session, result.hash, session.hub.chainId, wait);
    const settle = await settleToken(session.reader(session.hub), requireContract(session.hub, "engine"));
    const settleSymbol = tokenSymbol(session.hub, settle.address) ?? "settle tokens";
    const seized = (units: bigint) => `${formatAmount(units, token.decimals)} ${token.symbol}`;
    report(values.json, { ...result, account, chain: chain.name, deliveries: delivery?.deliveries }, () => [
      `repaid ${formatAmount(result.repaid, settle.decimals)} ${settleSymbol} of ${account}'s debt (tx ${result.hash})`,
      `seized on ${chain.name}: ${seized(result.seizedToLiquidator)} to you, ${seized(result.seizedToProtocol)} to the treasury${delivery === undefined ? " (paid when the Seize commands arrive)" : ", paid"}`,
    ]);
    return 0;
  },
};
