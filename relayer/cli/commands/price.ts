import { parseUnits } from "viem";
import { readContract } from "viem/actions";
import { marginEngineAbi } from "../../../sdk/abi/index.ts";
import { sendContractTransaction } from "../../../sdk/actions/internal/transaction.ts";
import { requireContract } from "../../../sdk/deployments.ts";
import { readDevnetDeployment } from "../../devnet/deployment.ts";
import { devnetPriceFeedAbi } from "../../infra/protocol-abi.ts";
import { parseCommandArgs } from "../args.ts";
import { type Command, UsageError } from "../command.ts";
import { parseAmount } from "../format.ts";
import { report, SESSION_HELP, sessionOptions } from "../options.ts";
import { DEFAULT_DEPLOYMENT, Session } from "../wallet.ts";

export const priceCommand: Command = {
  name: "price",
  summary: "set a devnet price feed (an asset such as WETH, or a market's mark such as ETH-PERP)",
  usage: `Usage: xmargin price FEED PRICE [options]

Sets the answer of one of the devnet's price feeds (writable mock Chainlink feeds) to PRICE in USD:
an asset's (USDC, WETH, WBTC: prices collateral) or a market's mark (ETH-PERP, BTC-PERP: prices
positions). The oracle reads it at once; the engine's price cache (which health views read) is
refreshed in the same step, so health and liquidation prices move with it. Devnet only.

Options:
${SESSION_HELP}`,

  async run(args) {
    const { values, positionals } = parseCommandArgs(args, sessionOptions, true);
    const [feedName, rawPrice, ...extra] = positionals;
    if (feedName === undefined || rawPrice === undefined)
      throw new UsageError("expected FEED PRICE, e.g. ETH-PERP 2750");
    if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(" ")}`);
    const session = await Session.open(values);
    if (session.deployment.network !== "devnet") {
      throw new UsageError(`price sets devnet feeds; ${session.deployment.network} is not a devnet`);
    }
    const feeds = (await readDevnetDeployment(values.deployment ?? DEFAULT_DEPLOYMENT)).hub.priceFeeds ?? {};
    const [name, feed] = Object.entries(feeds).find(([name]) => name.toLowerCase() === feedName.toLowerCase()) ?? [];
    if (name === undefined || feed === undefined) {
      throw new UsageError(`unknown feed "${feedName}"; the devnet has ${Object.keys(feeds).join(", ") || "none"}`);
    }
    const price = parseAmount(rawPrice, feed.decimals, "PRICE", `${name}'s feed`);
    const result = await sendContractTransaction(session.wallet(session.hub), {
      address: feed.address,
      abi: devnetPriceFeedAbi,
      functionName: "setAnswer",
      args: [price],
    });
    // Health views read the engine's price cache when it is on: refresh it so the new price shows at once.
    const engine = requireContract(session.deployment.hub, "engine");
    const reader = session.wallet(session.hub);
    const cacheOn =
      (await readContract(reader, { address: engine, abi: marginEngineAbi, functionName: "maxPriceAge" })) > 0;
    if (cacheOn) {
      await sendContractTransaction(reader, {
        address: engine,
        abi: marginEngineAbi,
        functionName: "refreshPrices",
        args: [[feed.priceId as `0x${string}`]],
      });
    }
    report(values.json, { ...result, feed: name, price: parseUnits(rawPrice, 18) }, () => [
      `${name} price set to ${rawPrice} USD (tx ${result.hash})`,
    ]);
    return 0;
  },
};
