import type { ContractRevertError } from "../../sdk/errors.ts";
import { formatWadShort } from "./format.ts";

const usd = (value: unknown) => `${formatWadShort(value as bigint, 2)} USD`;

/** Reverts a user meets in normal use, said in USD instead of raw WAD arguments. */
const EXPLANATIONS: Partial<Record<string, (args: readonly unknown[]) => string>> = {
  InitialHealthViolated: ([health]) => `initial health would be ${usd(health)}; add margin or trade less`,
  NotLiquidatable: ([health]) => `the account is healthy (maintenance health ${usd(health)})`,
  InsufficientSettleCredit: ([credit, requested]) =>
    `settle credit is ${usd(credit)}, cannot withdraw ${usd(requested)}`,
  PriceLimitExceeded: ([price, limit]) => `oracle price ${usd(price)} is beyond the limit ${usd(limit)}`,
  NoDebt: () => "the account has no settle debt to repay",
  StalePrice: () => "an oracle price is stale: its feed has not been updated recently enough",
};

/** The revert's message, with a plain explanation first when it is a common one. */
export function describeRevert(error: ContractRevertError): string {
  const explain = error.errorName === undefined ? undefined : EXPLANATIONS[error.errorName];
  return explain === undefined ? error.message : `${explain(error.args)} (${error.errorName})`;
}
