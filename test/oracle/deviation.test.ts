// The deviation bound's owner path and pace; the jumps it stops are in the adversarial catalogue
// (test/adversarial/oracle-deviation.test.ts).
import { beforeEach, describe, expect, it } from "vitest";
import { AcceptReason, deployEthOracle, ETH, type EthOracleFixture, usd8, usd18 } from "./fixtures.ts";

/** ln(1.25) = 0.22314355131420975576…, rounded toward zero. */
const LN_1_25 = 223_143_551_314_209_755n;

describe("XmarginOracle: deviation bound", () => {
  let f: EthOracleFixture;
  beforeEach(async () => {
    f = await deployEthOracle();
  });

  it("lets the owner confirm a jump at once, and only the owner", async () => {
    await f.feed.write.setAnswer([usd8(2_500n)]);
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.oracle.write.confirmPrice([ETH], { account: f.stranger.account }),
      f.oracle,
      "OwnableUnauthorizedAccount",
      [f.stranger.account.address],
    );
    await f.viem.assertions.emitWithArgs(f.oracle.write.confirmPrice([ETH]), f.oracle, "PriceAccepted", [
      ETH,
      usd18(2_500n),
      LN_1_25,
      AcceptReason.OwnerConfirmed,
    ]);
    expect(await f.stale()).toBe(false);
  });

  it("accepts at most one observation per minInterval", async () => {
    await f.feed.write.setAnswer([usd8(2_010n)]);
    await f.oracle.write.poke([ETH]);
    const { acceptedAt } = await f.oracle.read.observation([ETH]);
    await f.feed.write.setAnswer([usd8(2_020n)]);
    await f.networkHelpers.time.setNextBlockTimestamp(acceptedAt + 59n);
    await f.oracle.write.poke([ETH]);
    expect((await f.oracle.read.observation([ETH])).price).toBe(usd18(2_010n));
    await f.networkHelpers.time.increase(1);
    expect((await f.oracle.simulate.poke([ETH])).result).toBe(true);
  });
});
