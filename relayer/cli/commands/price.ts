import { parseUnits } from "viem";
import { readContract } from "viem/actions";
import { marginEngineAbi, xmarginOracleAbi } from "../../../sdk/abi/index.ts";
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
positions). Then it pokes the oracle (so that its deviation anchor follows) and refreshes the engine's
price cache, which health views read (two more transactions), so health and liquidation prices move
with it at once. Devnet only.

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
    // The oracle's anchor follows the feed; health views read the engine's price cache when it is on.
    const wallet = session.wallet(session.hub);
    const engine = requireContract(session.deployment.hub, "engine");
    const priceId = feed.priceId as `0x${string}`;
    const oracle = await readContract(wallet, { address: engine, abi: marginEngineAbi, functionName: "oracle" });
    const poke = await sendContractTransaction(wallet, {
      address: oracle,
      abi: xmarginOracleAbi,
      functionName: "poke",
      args: [priceId],
    });
    const cacheOn =
      (await readContract(wallet, { address: engine, abi: marginEngineAbi, functionName: "maxPriceAge" })) > 0;
    const refresh = cacheOn
      ? await sendContractTransaction(wallet, {
          address: engine,
          abi: marginEngineAbi,
          functionName: "refreshPrices",
          args: [[priceId]],
        })
      : undefined;
    const transactions = { poke: poke.hash, ...(refresh ? { refreshPrices: refresh.hash } : {}) };
    report(values.json, { ...result, feed: name, price: parseUnits(rawPrice, 18), transactions }, () => [
      `${name} price set to ${rawPrice} USD (tx ${result.hash})`,
    ]);
    return 0;
  },
};
