import { marginEngineAbi } from "../../../sdk/abi/generated.ts";
import { read } from "../../../sdk/actions/internal/transaction.ts";
import type { TradeReturnType } from "../../../sdk/actions/trade.ts";
import { getDeploymentMarket, requireContract } from "../../../sdk/deployments.ts";
import { parseCommandArgs, parseIntegerOption } from "../args.ts";
import { type Command, UsageError } from "../command.ts";
import { formatWadShort, parseAmount } from "../format.ts";
import { report, SESSION_HELP, sessionOptions } from "../options.ts";
import { required, Session } from "../wallet.ts";

const DEFAULT_SLIPPAGE_BPS = 50;

export const tradeCommand: Command = {
  name: "trade",
  summary: "buy, sell or close a perp position on the hub at the oracle price",
  usage: `Usage: xmargin trade --market MARKET (--buy SIZE | --sell SIZE | --close) [options]

Trades on the hub at the oracle price: --buy adds SIZE long, --sell adds SIZE short (either may reduce,
close or flip a position), --close closes the whole position. The hub refuses a trade that would leave
initial health negative (InitialHealthViolated) or exceed the price limit.

Options:
  --market MARKET   market name, e.g. ETH-PERP
  --buy SIZE        base size to buy, a multiple of the market's lot size (e.g. 0.5)
  --sell SIZE       base size to sell
  --close           close the whole position
  --slippage BPS    worst price as a tolerance around the oracle price, in basis points (default ${DEFAULT_SLIPPAGE_BPS})
  --limit PRICE     worst price instead (USD): the most paid when buying, the least taken when selling
${SESSION_HELP}`,

  async run(args) {
    const { values } = parseCommandArgs(args, {
      ...sessionOptions,
      market: { type: "string" },
      buy: { type: "string" },
      sell: { type: "string" },
      close: { type: "boolean" },
      slippage: { type: "string" },
      limit: { type: "string" },
    });
    const sides = [values.buy !== undefined, values.sell !== undefined, values.close === true].filter(Boolean);
    if (sides.length !== 1) throw new UsageError("give exactly one of --buy SIZE, --sell SIZE or --close");
    if (values.slippage !== undefined && values.limit !== undefined) {
      throw new UsageError("--slippage and --limit exclude each other");
    }
    const session = await Session.open(values);
    const market = getDeploymentMarket(session.deployment, required(values.market, "--market"));
    const marketName = market.name ?? `market ${market.id}`;
    const limitPrice = values.limit === undefined ? undefined : parseAmount(values.limit, 18, "--limit", "a price");
    const slippageBps =
      limitPrice === undefined
        ? parseIntegerOption("slippage", values.slippage, DEFAULT_SLIPPAGE_BPS, 0, 10_000)
        : undefined;
    const sideOption = values.buy !== undefined ? "--buy" : "--sell";
    const size =
      values.close === true ? 0n : parseAmount((values.buy ?? values.sell) as string, 18, sideOption, "a size");
    const signer = session.signer;
    const hub = session.wallet(session.hub);

    let result: TradeReturnType;
    if (values.close === true) {
      result = await hub.closePosition({ market: market.id, limitPrice, slippageBps });
    } else {
      const { lotSize } = await read(session.reader(session.hub), {
        address: requireContract(session.hub, "engine"),
        abi: marginEngineAbi,
        functionName: "marketConfig",
        args: [market.id],
      });
      if (size % lotSize !== 0n) {
        throw new UsageError(
          `${sideOption} ${formatWadShort(size, 18)} is not a multiple of ${marketName}'s lot size ${formatWadShort(lotSize, 18)}`,
        );
      }
      const signed = values.buy !== undefined ? size : -size;
      result = await hub.trade({ market: market.id, size: signed, limitPrice, slippageBps });
    }
    const magnitude = (value: bigint) => formatWadShort(value < 0n ? -value : value, 18);
    const position =
      result.newSize === 0n ? "no position" : `${result.newSize > 0n ? "long" : "short"} ${magnitude(result.newSize)}`;
    const done =
      values.close === true ? "closed" : `${values.buy !== undefined ? "bought" : "sold"} ${magnitude(size)}`;
    report(values.json, { ...result, market: marketName, account: signer.address }, () => [
      `${done} ${marketName} at ${formatWadShort(result.price)} (fee ${formatWadShort(result.fee)} USD, realized PnL ${formatWadShort(result.realizedPnl)} USD; tx ${result.hash})`,
      `position now: ${position}`,
    ]);
    return 0;
  },
};
