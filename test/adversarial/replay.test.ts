// Replay: a message delivered again, by the same transport or as a new transport message with the same
// bytes. Nothing is applied twice: the transports refuse the re-delivery by name, and the applications
// ignore what they have already seen (with an event saying so) without moving their books.
import { getAddress, parseUnits } from "viem";
import { describe, expect, it } from "vitest";
import { messageIdMultisigMetadata } from "../../relayer/transports/hyperlane/index.ts";
import { connect } from "../helpers/chains.ts";
import { deployHub, SPOKE_A } from "../helpers/hub.ts";
import { deployVault } from "../helpers/vault.ts";
import { deployDualWorld, summary } from "../transports/dual/fixture.ts";
import { deployHyperlaneRejectionWorld, expectTransportError } from "../transports/hyperlane/rejection-kit.ts";
import { THRESHOLD } from "../transports/hyperlane/setup.ts";
import { deployLayerZeroFixture } from "../transports/layerzero/fixture.ts";
import { HUB, layerZeroFailure, layerZeroRejectionKit } from "../transports/layerzero/rejection-kit.ts";

describe("replay", () => {
  it("refuses a replayed LayerZero packet: re-delivery is a no-op, re-execution and re-verification revert", async () => {
    const f = await deployLayerZeroFixture();
    const kit = layerZeroRejectionKit(f);
    const { sent } = await f.sendThroughGateway("spokeA", HUB, kit.report({ locked: parseUnits("20", 6) }));
    const delivery = f.delivery();
    expect((await delivery.deliver(sent)).status).toBe("delivered");
    expect(await kit.countedOnSpokeA()).toBe(parseUnits("20", 6));

    // The engine sees it delivered and sends nothing.
    expect(await delivery.deliver(sent)).toMatchObject({ status: "alreadyDelivered", steps: [] });
    // Executing it again: the endpoint cleared its payload hash on delivery.
    const direct = await layerZeroFailure(() => delivery.execute(sent, "endpoint"), "ExecutionReverted");
    expect(direct.reason?.errorName).toBe("LZ_PayloadHashNotFound");
    const viaExecutor = await layerZeroFailure(() => delivery.execute(sent, "executor"), "ExecutionAlert");
    expect(viaExecutor.reason?.errorName).toBe("LZ_PayloadHashNotFound");
    // Verifying it again is harmless at the receive library, but the endpoint will not re-open the nonce:
    // the batched commit is caught by the DVN, and a separate one reverts.
    expect(await kit.verifyWithCommitCaught(sent)).toEqual([{ index: 1n, reason: "LZ_PathNotVerifiable" }]);
    const commit = await layerZeroFailure(() => delivery.commit(sent), "CommitFailed");
    expect(commit.reason?.errorName).toBe("LZ_PathNotVerifiable");
    expect(await kit.countedOnSpokeA()).toBe(parseUnits("20", 6));
  });

  it("refuses a replayed Hyperlane message: the Mailbox delivers it once", async () => {
    const kit = await deployHyperlaneRejectionWorld();
    const dispatched = await kit.sendFromSpokeA(kit.report({ locked: 9_000_000n }));
    const { checkpoint, signatures } = await kit.signaturesFor(dispatched);
    const metadata = messageIdMultisigMetadata(checkpoint, signatures.slice(0, THRESHOLD));
    await kit.processOnHub(metadata, dispatched.raw);
    expect(await kit.isDelivered(dispatched.id)).toBe(true);
    expect(await kit.reportedOnSpokeA()).toBe(9_000_000n);
    await expectTransportError(kit.processOnHub(metadata, dispatched.raw), "ProcessReverted", {
      reason: "Mailbox: already delivered",
    });
    // The deliverer treats a message someone else delivered as done.
    expect((await kit.world.deliverers.spokeA.deliver(dispatched)).status).toBe("already-delivered");
    expect(await kit.reportedOnSpokeA()).toBe(9_000_000n);
  });

  it("ignores an applied dual-mode report resent over both transports: at the transports and at the router", async () => {
    const world = await deployDualWorld();
    const spokeA = world.spokeRecord("spokeA");
    const applied = await world.deposit("spokeA", "5000");
    await world.relay.flush();
    const before = await world.countedCollateral();
    expect(before.map((entry) => entry.counted)).toEqual([parseUnits("5000", 6)]);

    // Another relay over the same logs: every message is already delivered on both transports.
    const replayed = await world.relayFrom(world.ownerWallets).pass();
    expect(replayed.length).toBeGreaterThan(0);
    expect(replayed.every((message) => message.status === "alreadyDelivered")).toBe(true);

    // The applied report's exact bytes, sent again as new transport messages on both transports.
    await world.sendThroughGateway("spokeA", "layerzero", applied);
    await world.sendThroughGateway("spokeA", "hyperlane", applied);
    const relayed = await world.relay.flush();
    expect(summary(relayed)).toEqual([
      "layerzero spokeA→hub BalanceReport delivered",
      "hyperlane spokeA→hub BalanceReport delivered",
    ]);
    const receipts = await world.receiptsOf("hub", relayed);
    expect(world.routerEvents(receipts).map((event) => event.eventName)).toEqual([
      "DualDeliveryIgnored",
      "DualDeliveryIgnored",
    ]);
    expect(world.engineEvents(receipts)).toEqual([]);
    expect(await world.hubRouterState(applied, spokeA.chainId)).toBe(3);
    expect(await world.countedCollateral()).toEqual(before);
  });

  it("the vault ignores a replayed hub command", async () => {
    const f = await deployVault(await connect("spokeA"));
    const trader = f.trader.account.address;
    await f.vault.write.deposit([f.usdc.address, 1_000n, true], f.asTrader);
    const release = f.command({ type: "Release", account: trader, asset: f.usdc.address, amount: 100n, to: trader });
    await f.deliver(release);
    const paid = await f.usdc.read.balanceOf([trader]);
    const replay = await f.deliver(release);
    await f.connection.viem.assertions.emitWithArgs(replay, f.vault, "StaleCommandIgnored", [
      getAddress(trader),
      1n,
      1n,
    ]);
    expect(await f.balanceOf(f.usdc.address)).toMatchObject({ total: 900n, locked: 900n });
    expect(await f.usdc.read.balanceOf([trader])).toBe(paid);
  });

  it("the hub ignores a replayed or reordered balance report: only a newer seq applies", async () => {
    const hub = await deployHub(await connect("hub"));
    const trader = hub.trader.account.address;
    await hub.report(SPOKE_A, "USDC", "100", { seq: 2n });
    const older = await hub.report(SPOKE_A, "USDC", "999", { seq: 1n });
    await hub.connection.viem.assertions.emitWithArgs(older, hub.engine, "BalanceReportIgnored", [
      getAddress(trader),
      SPOKE_A,
      getAddress(hub.spokeToken("USDC", SPOKE_A)),
      1,
    ]);
    const replayed = await hub.report(SPOKE_A, "USDC", "999", { seq: 2n });
    await hub.connection.viem.assertions.emit(replayed, hub.engine, "BalanceReportIgnored");
    const [, counted] = await hub.engine.read.collateralOf([trader]);
    expect(counted).toEqual([parseUnits("100", 6)]);
  });
});
