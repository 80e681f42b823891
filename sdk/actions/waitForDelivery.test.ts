import { parseUnits } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { DeliveryTimeoutError, InvalidParameterError } from "../errors.ts";
import { deployFixture, type Fixture, wad } from "../test-utils/fixture.ts";
import type { DeliveryProgress } from "./waitForDelivery.ts";

const usdc = (amount: string) => parseUnits(amount, 6);
const later = (ms: number, run: () => Promise<unknown>) => new Promise((resolve) => setTimeout(resolve, ms)).then(run);

describe("waitForDelivery", () => {
  let f: Fixture;
  let spokeA: ReturnType<Fixture["sdkClient"]>;
  let hub: ReturnType<Fixture["sdkClient"]>;

  beforeAll(async () => {
    f = await deployFixture();
    spokeA = f.sdkClient("spokeA");
    hub = f.sdkClient("hub");
    await f.mint("spokeA", "USDC", spokeA.account.address, usdc("1000"));
  });

  it("follows a deposit's report to the hub, reporting progress until it is applied", async () => {
    const { hash } = await spokeA.deposit({ asset: "USDC", amount: usdc("600") });
    const progress: DeliveryProgress["status"][] = [];
    const [result] = await Promise.all([
      spokeA.waitForDelivery({ hash, onProgress: (p) => progress.push(p.status) }),
      later(100, () => f.relay.flush()),
    ]);
    expect(result.deliveries).toMatchObject([
      { outcome: "applied", destinationChainId: f.chains.hub.chainId, message: { type: "BalanceReport", seq: 1n } },
    ]);
    expect(progress[0]).toBe("sent");
    expect(progress).toContain("waiting");
    expect(progress.at(-1)).toBe("delivered");
  });

  it("finds a delivery that already happened, from a client on another chain", async () => {
    const deposit = await spokeA.deposit({ asset: "USDC", amount: usdc("100"), lock: false });
    await f.relay.flush();
    const { deliveries } = await hub.waitForDelivery({ hash: deposit.hash, chain: "spokeA" });
    expect(deliveries[0]?.outcome).toBe("applied");
  });

  it("reports `ignored` when the hub drops the report (an asset it does not price)", async () => {
    const token = f.deployment.spokes[0]?.tokens.USDC?.address as `0x${string}`;
    await f.engine.write.configureCollateralToken([BigInt(f.chains.spokeA.chainId), token, 0, 6, false]);
    const { hash } = await spokeA.deposit({ asset: "USDC", amount: usdc("1") });
    await f.relay.flush();
    expect((await spokeA.waitForDelivery({ hash, timeout: 10_000 })).deliveries[0]?.outcome).toBe("ignored");
    await f.engine.write.configureCollateralToken([BigInt(f.chains.spokeA.chainId), token, 0, 6, true]);
    await spokeA.lock({ asset: "USDC", amount: 1n });
    await f.relay.flush();
  });

  it("follows a command that arrives out of order: parked, then executed after its predecessor", async () => {
    const first = await hub.requestRelease({ chain: "spokeA", asset: "USDC", amount: usdc("10") });
    const second = await hub.requestRelease({ chain: "spokeA", asset: "USDC", amount: usdc("20") });
    // Deliver the second command before the first, as a transport may.
    const messenger = await f.chains.spokeA.connection.viem.getContractAt("TestMessenger", f.chains.spokeA.messenger);
    await messenger.write.deliver([
      f.chains.spokeA.receiver,
      BigInt(f.chains.hub.chainId),
      second.messages[0]?.raw as `0x${string}`,
    ]);
    const progress: DeliveryProgress[] = [];
    const [result] = await Promise.all([
      hub.waitForDelivery({ hash: second.hash, onProgress: (p) => progress.push(p) }),
      later(150, () => f.relay.flush()),
    ]);
    expect(progress.some((p) => p.status === "parked")).toBe(true);
    expect(result.deliveries).toMatchObject([{ outcome: "executed", applied: usdc("20"), message: { cmdNonce: 2n } }]);
    expect((await hub.waitForDelivery({ hash: first.hash })).deliveries[0]?.outcome).toBe("executed");
  });

  it("times out with DeliveryTimeoutError when nothing carries the message", async () => {
    const { hash } = await spokeA.withdrawFree({ asset: "USDC", amount: usdc("1") });
    const error = await spokeA.waitForDelivery({ hash, timeout: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryTimeoutError);
    await f.relay.flush();
  });

  it("refuses a transaction that sent no xmargin message", async () => {
    const { hash } = await hub.trade({ market: "ETH-PERP", size: wad("0.01") });
    await expect(hub.waitForDelivery({ hash })).rejects.toThrow(InvalidParameterError);
  });
});
