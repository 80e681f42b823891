import { erc20Abi, parseUnits } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { isContractRevert } from "../contract-errors.ts";
import { deployFixture, type Fixture } from "../test-utils/fixture.ts";

describe("lock and withdrawFree", () => {
  let f: Fixture;
  let spokeB: ReturnType<Fixture["sdkClient"]>;
  const weth = (amount: string) => parseUnits(amount, 18);

  beforeAll(async () => {
    f = await deployFixture();
    spokeB = f.sdkClient("spokeB");
    await f.mint("spokeB", "WETH", spokeB.account.address, weth("5"));
    await spokeB.deposit({ asset: "WETH", amount: weth("5"), lock: false });
    await f.relay.flush();
  });

  it("lock moves free balance to margin; the hub counts it once the report lands", async () => {
    const result = await spokeB.lock({ asset: "WETH", amount: weth("2") });
    expect(result.messages[0]?.message).toMatchObject({
      type: "BalanceReport",
      total: weth("5"),
      locked: weth("2"),
      seq: 2n,
    });
    expect((await spokeB.getAccount()).ledger[0]?.counted).toBe(0n);
    await f.relay.flush();
    const account = await spokeB.getAccount();
    expect(account.ledger[0]).toMatchObject({ symbol: "WETH", counted: weth("2"), seq: 2 });
    expect(account.chains.find((c) => c.name === "spokeB")?.balances.find((b) => b.symbol === "WETH")).toMatchObject({
      total: weth("5"),
      locked: weth("2"),
      free: weth("3"),
    });
  });

  it("withdrawFree pays free balance at once, to another address too", async () => {
    const to = f.address(7);
    const result = await spokeB.withdrawFree({ asset: "WETH", amount: weth("1"), to });
    expect(result.messages[0]?.message).toMatchObject({ total: weth("4"), locked: weth("2") });
    const balance = await f.chains.spokeB.publicClient.readContract({
      address: f.deployment.spokes[1]?.tokens.WETH?.address as `0x${string}`,
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [to],
    });
    expect(balance).toBe(weth("1"));
  });

  it("decodes InsufficientFreeBalance with the free and requested amounts", async () => {
    const error = await spokeB.lock({ asset: "WETH", amount: weth("3") }).catch((e: unknown) => e);
    expect(isContractRevert(error, "InsufficientFreeBalance")).toBe(true);
    if (isContractRevert(error, "InsufficientFreeBalance")) {
      expect(error.args).toEqual([
        spokeB.account.address,
        f.deployment.spokes[1]?.tokens.WETH?.address,
        weth("2"),
        weth("3"),
      ]);
    }
  });
});
