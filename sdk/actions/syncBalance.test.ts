import { parseUnits } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { UnknownAssetError } from "../errors.ts";
import { ACCOUNT_INDEX, deployFixture, type Fixture } from "../test-utils/fixture.ts";

describe("syncBalance", () => {
  let f: Fixture;
  let trader: ReturnType<Fixture["sdkClient"]>;

  beforeAll(async () => {
    f = await deployFixture({ messagingFee: 10n ** 13n });
    trader = f.sdkClient("spokeA");
    await f.mint("spokeA", "USDC", trader.account.address, parseUnits("100", 6));
    await trader.deposit({ asset: "USDC", amount: parseUnits("100", 6) });
    await f.relay.flush();
  });

  it("anyone re-reports an account's balance, paying the fee; the hub applies it as the next seq", async () => {
    const keeper = f.sdkClient("spokeA", ACCOUNT_INDEX.keeper);
    const result = await keeper.syncBalance({ asset: "USDC", account: trader.account.address });
    expect(result.fee).toBe(10n ** 13n);
    expect(result.messages.map((m) => m.message)).toMatchObject([
      {
        type: "BalanceReport",
        account: trader.account.address,
        total: parseUnits("100", 6),
        locked: parseUnits("100", 6),
        seq: 2n,
      },
    ]);
    const delivered = keeper.waitForDelivery({ hash: result.hash, timeout: 10_000 });
    await f.relay.flush();
    expect((await delivered).deliveries.map((d) => d.outcome)).toEqual(["applied"]);
    expect((await trader.getAccount()).ledger[0]).toMatchObject({ seq: 2, counted: parseUnits("100", 6) });
  });

  it("defaults to the client's own account", async () => {
    const result = await trader.syncBalance({ asset: "USDC" });
    expect(result.messages[0]?.message).toMatchObject({ account: trader.account.address, seq: 3n });
  });

  it("refuses a token the chain does not list", async () => {
    await expect(trader.syncBalance({ asset: "WBTC" })).rejects.toThrow(UnknownAssetError);
  });
});
