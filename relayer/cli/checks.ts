// Checks made before sending, so that a transaction that would revert on an obvious shortfall fails
// with one line in the user's units instead of a decoded revert in base units.
import { type Address, erc20Abi } from "viem";
import { collateralVaultAbi, marginEngineAbi } from "../../sdk/abi/generated.ts";
import { read } from "../../sdk/actions/internal/transaction.ts";
import { type DeploymentChain, type DeploymentToken, requireContract } from "../../sdk/deployments.ts";
import { XmarginError } from "../../sdk/errors.ts";
import { toWadDown } from "../../sdk/portfolio/state.ts";
import { formatAmount } from "./format.ts";
import type { Session } from "./wallet.ts";

/** The account lacks what the command would spend. */
export class InsufficientFundsError extends XmarginError {
  override name = "InsufficientFundsError";
}

type Token = DeploymentToken & { symbol: string };

const shortfall = (where: string, what: string, has: string, verb: string, wanted: string) =>
  new InsufficientFundsError(`${where}: ${what} is ${has}, cannot ${verb} ${wanted}`);

/** The wallet holds at least `amount` of `token` on `chain`. */
export async function requireWalletBalance(
  session: Session,
  chain: DeploymentChain,
  token: Token,
  owner: Address,
  amount: bigint,
  verb: string,
): Promise<void> {
  const balance = await read(session.reader(chain), {
    address: token.address,
    abi: erc20Abi,
    functionName: "balanceOf",
    args: [owner],
  });
  if (balance < amount) {
    const format = (units: bigint) => formatAmount(units, token.decimals);
    throw shortfall(chain.name, `the wallet's ${token.symbol}`, format(balance), verb, format(amount));
  }
}

/** The account's free (unlocked) vault balance covers `amount`. */
export async function requireFreeBalance(
  session: Session,
  chain: DeploymentChain,
  token: Token,
  account: Address,
  amount: bigint,
  verb: string,
): Promise<void> {
  const balance = await read(session.reader(chain), {
    address: requireContract(chain, "vault"),
    abi: collateralVaultAbi,
    functionName: "balanceOf",
    args: [account, token.address],
  });
  const free = balance.total - balance.locked;
  if (free < amount) {
    const format = (units: bigint) => formatAmount(units, token.decimals);
    throw shortfall(chain.name, `free ${token.symbol}`, format(free), verb, format(amount));
  }
}

/** The hub counts at least `amount` of the account's `token` on `chain` (what a release may take). */
export async function requireCounted(
  session: Session,
  chain: DeploymentChain,
  token: Token,
  account: Address,
  amount: bigint,
): Promise<void> {
  const [entries, counted] = await read(session.reader(session.hub), {
    address: requireContract(session.hub, "engine"),
    abi: marginEngineAbi,
    functionName: "collateralOf",
    args: [account],
  });
  const index = entries.findIndex(
    (entry) => Number(entry.chainId) === chain.chainId && entry.asset.toLowerCase() === token.address.toLowerCase(),
  );
  const available = index < 0 ? 0n : (counted[index] ?? 0n);
  if (available < amount) {
    const format = (units: bigint) => formatAmount(units, token.decimals);
    throw shortfall(
      session.hub.name,
      `the counted ${token.symbol} margin on ${chain.name}`,
      format(available),
      "release",
      format(amount),
    );
  }
}

/** The account's positive settle balance covers `amount` (settle-token units). */
export async function requireSettleCredit(
  session: Session,
  account: Address,
  amount: bigint,
  settleDecimals: number,
): Promise<void> {
  const balance = await read(session.reader(session.hub), {
    address: requireContract(session.hub, "engine"),
    abi: marginEngineAbi,
    functionName: "settleBalanceOf",
    args: [account],
  });
  const credit = balance > 0n ? balance : 0n;
  // The engine debits the amount converted to WAD; compare in WAD.
  const wanted = toWadDown(amount, settleDecimals);
  if (credit < wanted) {
    throw shortfall(
      session.hub.name,
      "the settle credit",
      `${formatAmount(credit, 18)} USD`,
      "withdraw",
      formatAmount(wanted, 18),
    );
  }
}

/** The vault owes the account something in `token`. */
export async function requireClaimable(
  session: Session,
  chain: DeploymentChain,
  token: Token,
  account: Address,
): Promise<bigint> {
  const claimable = await read(session.reader(chain), {
    address: requireContract(chain, "vault"),
    abi: collateralVaultAbi,
    functionName: "claimable",
    args: [account, token.address],
  });
  if (claimable === 0n) {
    throw new InsufficientFundsError(`${chain.name}: nothing claimable in ${token.symbol} for ${account}`);
  }
  return claimable;
}
