import { erc20Abi, parseUnits } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { isContractRevert } from "../contract-errors.ts";
import { ClientError, InvalidParameterError } from "../errors.ts";
import { deployFixture, type Fixture, wad } from "../test-utils/fixture.ts";

const usdc = (amount: string) => parseUnits(amount, 6);

describe("depositSettle and withdrawSettle", () => {
  let f: Fixture;
  let hub: ReturnType<Fixture["sdkClient"]>;

  beforeAll(async () => {
    f = await deployFixture();
    hub = f.sdkClient("hub");
    await f.mint("hub", "USDC", hub.account.address, usdc("2000"));
  });

  it("approves the settle token and credits the settle balance in WAD", async () => {
    const result = await hub.depositSettle({ amount: usdc("1000") });
    expect(result).toMatchObject({
      approval: "approve",
      account: hub.account.address,
      amount: usdc("1000"),
      settleBalance: wad("1000"),
    });
    expect((await hub.getAccount()).settleBalance).toBe(wad("1000"));
  });

  it("credits another account when asked", async () => {
    const other = f.address(7);
    const result = await hub.depositSettle({ amount: usdc("10"), account: other });
    expect(result).toMatchObject({ account: other, settleBalance: wad("10") });
    expect((await hub.getAccount()).settleBalance).toBe(wad("1000"));
  });

  it("pays settle credit out to another address", async () => {
    const to = f.address(8);
    const result = await hub.withdrawSettle({ amount: usdc("400"), to });
    expect(result).toMatchObject({ amount: usdc("400"), to, settleBalance: wad("600") });
    const usdcAddress = f.deployment.hub.tokens.USDC?.address as `0x${string}`;
    const paid = await f.chains.hub.publicClient.readContract({
      address: usdcAddress,
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [to],
    });
    expect(paid).toBe(usdc("400"));
  });

  it("decodes InsufficientSettleCredit beyond the credit", async () => {
    const error = await hub.withdrawSettle({ amount: usdc("601") }).catch((e: unknown) => e);
    expect(isContractRevert(error, "InsufficientSettleCredit")).toBe(true);
    if (isContractRevert(error, "InsufficientSettleCredit")) expect(error.args).toEqual([wad("600"), wad("601")]);
  });

  it("refuses a withdrawal that the open position needs: InitialHealthViolated", async () => {
    // 3 ETH at 3000 needs 450 of initial margin out of the 600 of settle credit.
    await hub.trade({ market: "ETH-PERP", size: wad("3") });
    const error = await hub.withdrawSettle({ amount: usdc("500") }).catch((e: unknown) => e);
    expect(isContractRevert(error, "InitialHealthViolated")).toBe(true);
  });

  it("refuses non-positive amounts and clients off the hub before sending", async () => {
    await expect(hub.depositSettle({ amount: 0n })).rejects.toThrow(InvalidParameterError);
    await expect(hub.withdrawSettle({ amount: 0n })).rejects.toThrow(InvalidParameterError);
    await expect(f.sdkClient("spokeA").depositSettle({ amount: 1n })).rejects.toThrow(ClientError);
  });
});
