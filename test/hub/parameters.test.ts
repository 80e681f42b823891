import { encodeFunctionData, getAddress, type Hex, parseUnits, zeroHash } from "viem";
import { beforeEach, describe, expect, it } from "vitest";
import { connect } from "../helpers/chains.ts";
import { deployHub, type Hub, SPEC_RISK_PARAMS, SPOKE_A, wad } from "../helpers/hub.ts";

const DELAY = 3600n;

describe("parameter changes are bounded and delayed", () => {
  let hub: Hub;

  beforeEach(async () => {
    hub = await deployHub(await connect("hub"));
  });

  it("rejects values out of bounds, by name", async () => {
    await hub.connection.viem.assertions.revertWithCustomErrorWithArgs(
      hub.engine.write.setRiskParams([{ ...SPEC_RISK_PARAMS, liquidationFee: wad("0.2") }]),
      hub.engine,
      "ParameterOutOfBounds",
      [`0x${Buffer.from("liquidationFee").toString("hex").padEnd(64, "0")}`, wad("0.2")],
    );
    await hub.connection.viem.assertions.revertWithCustomError(
      hub.engine.write.registerSpoke([99n, wad("0.6")]),
      hub.engine,
      "ParameterOutOfBounds",
    );
    await hub.connection.viem.assertions.revertWithCustomError(
      hub.engine.write.setMaxReportAge([60]),
      hub.engine,
      "ParameterOutOfBounds",
    );
    // Market states keep open interest in 112 bits.
    const tooLarge = 2n ** 112n;
    await hub.connection.viem.assertions.revertWithCustomErrorWithArgs(
      hub.engine.write.configureMarket([
        0n,
        { ...(await hub.engine.read.marketConfig([0n])), openInterestCap: tooLarge },
      ]),
      hub.engine,
      "ParameterOutOfBounds",
      [`0x${Buffer.from("openInterestCap").toString("hex").padEnd(64, "0")}`, tooLarge],
    );
  });

  it("once a timelock owns the engine, a change runs only after the delay", async () => {
    const { viem, networkHelpers } = hub.connection;
    const admin = hub.owner.account.address;
    const timelock = await viem.deployContract("XmarginTimelock", [DELAY, [admin], [admin], admin]);
    await hub.connection.viem.assertions.revertWithCustomError(
      viem.deployContract("XmarginTimelock", [60n, [admin], [admin], admin]),
      timelock,
      "DelayBelowFloor",
    );
    const viaTimelock = async (data: Hex, salt: Hex = zeroHash) => {
      await timelock.write.schedule([hub.engine.address, 0n, data, zeroHash, salt, DELAY]);
      return () => timelock.write.execute([hub.engine.address, 0n, data, zeroHash, salt]);
    };

    await hub.engine.write.transferOwnership([timelock.address]);
    const accept = await viaTimelock(encodeFunctionData({ abi: hub.engine.abi, functionName: "acceptOwnership" }));
    await hub.connection.viem.assertions.revertWithCustomError(accept(), timelock, "TimelockUnexpectedOperationState");
    await networkHelpers.time.increase(DELAY);
    await accept();
    expect(await hub.engine.read.owner()).toBe(getAddress(timelock.address));

    await hub.connection.viem.assertions.revertWithCustomErrorWithArgs(
      hub.engine.write.setMaxReportAge([7200]),
      hub.engine,
      "OwnableUnauthorizedAccount",
      [getAddress(admin)],
    );
    const change = await viaTimelock(
      encodeFunctionData({ abi: hub.engine.abi, functionName: "setMaxReportAge", args: [7200] }),
    );
    await networkHelpers.time.increase(DELAY - 5n);
    await hub.connection.viem.assertions.revertWithCustomError(change(), timelock, "TimelockUnexpectedOperationState");
    await networkHelpers.time.increase(5n);
    await change();
    expect(await hub.engine.read.maxReportAge()).toBe(7200);
  });
});

describe("stale reports (safety rule 5)", () => {
  it("an old report blocks risk-increasing actions, never closing or liquidating", async () => {
    const hub = await deployHub(await connect("hub"));
    const trader = hub.trader.account;
    await hub.engine.write.setMaxReportAge([3600]);
    await hub.report(SPOKE_A, "USDC", "1000");
    await hub.engine.write.trade([0n, wad("3"), 0n], { account: trader });
    await hub.connection.networkHelpers.time.increase(3601);
    // Prices stay fresh; only the report is old.
    await hub.setPrice("USDC", "1");
    await hub.setPrice("WETH", "3000");

    const token = getAddress(hub.spokeToken("USDC", SPOKE_A));
    await hub.connection.viem.assertions.revertWithCustomErrorWithArgs(
      hub.engine.write.trade([0n, wad("1"), 0n], { account: trader }),
      hub.engine,
      "StaleReport",
      [SPOKE_A, token],
    );
    await hub.connection.viem.assertions.revertWithCustomErrorWithArgs(
      hub.engine.write.requestRelease([SPOKE_A, token, parseUnits("1", 6), trader.address], { account: trader }),
      hub.engine,
      "StaleReport",
      [SPOKE_A, token],
    );
    await hub.engine.write.trade([0n, wad("-1"), 0n], { account: trader });

    await hub.setPrice("WETH", "2550");
    await hub.engine.write.liquidatePerp([trader.address, 0n], { account: hub.liquidator.account });

    // A fresh report lifts the block (the position is closed, so the release is healthy).
    const { size } = await hub.engine.read.positionOf([trader.address, 0n]);
    await hub.engine.write.trade([0n, -size, 0n], { account: trader });
    await hub.report(SPOKE_A, "USDC", "1000");
    await hub.engine.write.requestRelease([SPOKE_A, token, parseUnits("1", 6), trader.address], { account: trader });
  });
});
