import { sendContractTransaction } from "../../../sdk/actions/internal/transaction.ts";
import { testTokenAbi } from "../../infra/protocol-abi.ts";
import { parseCommandArgs } from "../args.ts";
import { type Command, UsageError } from "../command.ts";
import { formatAmount, parseAmount } from "../format.ts";
import { chainOption, report, SESSION_HELP, sessionOptions } from "../options.ts";
import { parseAddress, required, Session } from "../wallet.ts";

export const faucetCommand: Command = {
  name: "faucet",
  summary: "mint devnet test tokens (USDC, WETH, WBTC) to an account, on a devnet only",
  usage: `Usage: xmargin faucet --chain CHAIN --asset ASSET --amount N [--to ADDRESS] [options]

The devnet's tokens are open-mint test tokens without value; this mints N of ASSET on CHAIN to the
account (or --to), e.g. before a deposit. Refused on any deployment that is not a devnet.

Options:
  --chain CHAIN     chain of the token (hub, spokeA, …)
  --asset ASSET     token symbol or address
  --amount N        decimal amount
  --to ADDRESS      recipient (default: the key's account)
${SESSION_HELP}`,

  async run(args) {
    const { values } = parseCommandArgs(args, {
      ...sessionOptions,
      ...chainOption,
      asset: { type: "string" },
      amount: { type: "string" },
      to: { type: "string" },
    });
    const session = await Session.open(values);
    if (session.deployment.network !== "devnet") {
      throw new UsageError(`faucet mints devnet test tokens; ${session.deployment.network} is not a devnet`);
    }
    const chain = session.chain(values.chain);
    const token = session.token(chain, values.asset);
    const amount = parseAmount(required(values.amount, "--amount"), token.decimals, "--amount", token.symbol);
    const to = values.to === undefined ? session.signer.address : parseAddress(values.to, "--to");

    const result = await sendContractTransaction(session.wallet(chain), {
      address: token.address,
      abi: testTokenAbi,
      functionName: "mint",
      args: [to, amount],
    });
    report(values.json, { ...result, chain: chain.name, asset: token.symbol, amount, to }, () => [
      `minted ${formatAmount(amount, token.decimals)} ${token.symbol} on ${chain.name} to ${to} (tx ${result.hash})`,
    ]);
    return 0;
  },
};
