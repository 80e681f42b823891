// Wrong peer: a message from a sender the receiver never registered (another gateway, an account
// dispatching to the Mailbox itself, a chain that is not the hub or not a spoke). Each is refused by
// name and the receiver's books do not move.
import { describe, expect, it } from "vitest";
import { addressToBytes32, mailboxAbi } from "../../relayer/transports/hyperlane/index.ts";
import { addressToBytes32 as lzAddressToBytes32 } from "../../relayer/transports/layerzero/packet.ts";
import { CHAIN_IDS } from "../../sdk/chains.ts";
import { connect } from "../helpers/chains.ts";
import { deployHub, HUB, SPOKE_A } from "../helpers/hub.ts";
import { deployVault } from "../helpers/vault.ts";
import { deployHyperlaneRejectionWorld, expectTransportError } from "../transports/hyperlane/rejection-kit.ts";
import { deployLayerZeroFixture } from "../transports/layerzero/fixture.ts";
import { layerZeroFailure, layerZeroRejectionKit } from "../transports/layerzero/rejection-kit.ts";

describe("wrong peer", () => {
  it("rejects a LayerZero packet from a gateway the hub never registered: the endpoint will not open the path", async () => {
    const f = await deployLayerZeroFixture();
    const kit = layerZeroRejectionKit(f);
    const { viem } = f.spokeA.connection;
    const [, , , , , rogue] = await viem.getWalletClients();
    if (!rogue) throw new Error("accounts");
    // A second OApp on spoke A, on the same endpoint, that the hub gateway never registered.
    const rogueGateway = await viem.deployContract("LayerZeroGateway", [
      f.layerZero.spokeA.endpoint,
      rogue.account.address,
    ]);
    const asRogue = { account: rogue.account };
    await rogueGateway.write.setRoute([HUB, f.layerZero.hub.eid], asRogue);
    await rogueGateway.write.setPeer([f.layerZero.hub.eid, lzAddressToBytes32(f.layerZero.hub.gateway)], asRogue);
    await rogueGateway.write.setDestinationGas([1, 300_000n], asRogue);
    await rogueGateway.write.setSender([rogue.account.address], asRogue);
    const message = kit.report();
    const fee = await rogueGateway.read.quote([HUB, message]);
    const hash = await rogueGateway.write.send([HUB, message, rogue.account.address], { ...asRogue, value: fee });
    const receipt = await (await viem.getPublicClient()).waitForTransactionReceipt({ hash });
    const delivery = f.delivery();
    const [sent] = delivery.sentPacketsInReceipt(CHAIN_IDS.spokeA, receipt);
    if (!sent) throw new Error("no packet");

    // The DVN catches the batched commit's failure; the engine reads it from the events, verifies
    // only, and its own commit then surfaces the endpoint's reason.
    expect(await kit.verifyWithCommitCaught(sent)).toEqual([{ index: 1n, reason: "LZ_PathNotInitializable" }]);
    const error = await layerZeroFailure(() => delivery.deliver(sent), "CommitFailed");
    expect(error.reason?.errorName).toBe("LZ_PathNotInitializable");
    expect(await delivery.status(sent)).toBe("verifiable");
    expect(await kit.countedOnSpokeA()).toBe(0n);
  });

  describe("Hyperlane", () => {
    it("rejects a message from a gateway that is not the hub's registered peer", async () => {
      const kit = await deployHyperlaneRejectionWorld();
      const { spokeAChain, hubChain, spokeApp } = kit;
      const rogue = await spokeAChain.connection.viem.deployContract("HyperlaneGateway", [
        spokeAChain.deployment.mailbox,
        spokeApp,
      ]);
      await rogue.write.setRoute([HUB, hubChain.deployment.domain]);
      await rogue.write.setPeer([hubChain.deployment.domain, addressToBytes32(hubChain.deployment.gateway)]);
      await rogue.write.setDestinationGas([1, 200_000n]);
      await rogue.write.setSender([spokeApp]);

      const dispatched = await kit.sendFromSpokeA(kit.report(), { gateway: rogue.address });
      // A genuine Hyperlane message, signed by the validators: only the peer check stops it.
      await expectTransportError(kit.world.deliverers.spokeA.deliver(dispatched), "ProcessReverted", {
        reason: "UnknownPeer",
        args: [spokeAChain.deployment.domain, addressToBytes32(rogue.address)],
      });
      expect(await kit.isDelivered(dispatched.id)).toBe(false);

      // An account that dispatches straight to the Mailbox is no registered peer either.
      const [, , , , , , intruder] = await spokeAChain.connection.viem.getWalletClients();
      if (!intruder) throw new Error("no account");
      const args = [hubChain.deployment.domain, addressToBytes32(hubChain.deployment.gateway), kit.report()] as const;
      const mailbox = { address: spokeAChain.deployment.mailbox, abi: mailboxAbi } as const;
      const fee = await spokeAChain.config.publicClient.readContract({
        ...mailbox,
        functionName: "quoteDispatch",
        args,
      });
      const hash = await intruder.writeContract({ ...mailbox, functionName: "dispatch", args, value: fee });
      const { dispatched: direct } = await kit.dispatchedIn(hash);
      await expectTransportError(kit.world.deliverers.spokeA.deliver(direct), "ProcessReverted", {
        reason: "UnknownPeer",
        args: [spokeAChain.deployment.domain, addressToBytes32(intruder.account.address)],
      });
      expect(await kit.isDelivered(direct.id)).toBe(false);
      expect(await kit.reportedOnSpokeA()).toBe(0n);
    });
  });

  it("the vault rejects a command from a chain that is not the hub", async () => {
    const f = await deployVault(await connect("spokeA"));
    await f.vault.write.deposit([f.usdc.address, 1_000n, true], f.asTrader);
    const trader = f.trader.account.address;
    const fromSpoke = f.command({
      type: "Release",
      origin: SPOKE_A,
      account: trader,
      asset: f.usdc.address,
      amount: 1_000n,
      to: trader,
      cmdNonce: 1n,
    });
    await f.connection.viem.assertions.revertWithCustomErrorWithArgs(
      f.deliver(fromSpoke, SPOKE_A),
      f.vault,
      "UnknownPeerChain",
      [SPOKE_A],
    );
    expect(await f.balanceOf(f.usdc.address)).toMatchObject({ total: 1_000n, locked: 1_000n });
    expect(await f.vault.read.lastCommandNonce([trader])).toBe(0n);
  });

  it("the hub rejects a balance report from a chain it never registered as a spoke", async () => {
    const hub = await deployHub(await connect("hub"));
    const trader = hub.trader.account.address;
    await hub.connection.viem.assertions.revertWithCustomErrorWithArgs(
      hub.report(999n, "USDC", "1"),
      hub.engine,
      "UnknownPeerChain",
      [999n],
    );
    const [entries] = await hub.engine.read.collateralOf([trader]);
    expect(entries).toEqual([]);
    expect((await hub.engine.read.healthOf([trader])).collateralValueInit).toBe(0n);
  });
});
