import { parseUnits } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { isContractRevert } from "../contract-errors.ts";
import { ACCOUNT_INDEX, deployFixture, type Fixture, wad } from "../test-utils/fixture.ts";

describe("depositLiquidity and withdrawLiquidity", () => {
  let f: Fixture;
  let lp: ReturnType<Fixture["sdkClient"]>;

  beforeAll(async () => {
    f = await deployFixture();
    lp = f.sdkClient("hub", ACCOUNT_INDEX.lp);
    await f.mint("hub", "USDC", lp.account.address, parseUnits("50000", 6));
  });

  it("approves the settle token and mints shares one-for-one into an empty pool", async () => {
    const result = await lp.depositLiquidity({ amount: parseUnits("20000", 6) });
    expect(result).toMatchObject({ approval: "approve", shares: wad("20000") });
  });

  it("redeems shares for their part of the pool", async () => {
    const result = await lp.withdrawLiquidity({ shares: wad("5000") });
    expect(result.amount).toBe(parseUnits("5000", 6));
  });

  it("decodes InsufficientShares", async () => {
    const error = await lp.withdrawLiquidity({ shares: wad("20000") }).catch((e: unknown) => e);
    expect(isContractRevert(error, "InsufficientShares")).toBe(true);
    if (isContractRevert(error, "InsufficientShares")) expect(error.args).toEqual([wad("15000"), wad("20000")]);
  });
});
