// Forged origin: an envelope that claims another origin chain than the one its transport authenticated.
// Each receiver refuses it with EnvelopeOriginMismatch / OriginMismatch and its books do not move.
import { getAddress } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { connect } from "../helpers/chains.ts";
import { HUB, SPOKE_A, SPOKE_B } from "../helpers/hub.ts";
import { deployVault, type VaultFixture } from "../helpers/vault.ts";
import { deployHyperlaneRejectionWorld, expectTransportError } from "../transports/hyperlane/rejection-kit.ts";
import { deployLayerZeroFixture } from "../transports/layerzero/fixture.ts";
import { layerZeroFailure, layerZeroRejectionKit } from "../transports/layerzero/rejection-kit.ts";

describe("forged origin", () => {
  it("rejects a LayerZero packet whose envelope claims another origin chain", async () => {
    const f = await deployLayerZeroFixture();
    const kit = layerZeroRejectionKit(f);
    const before = await kit.countedOnSpokeA();
    const { sent } = await f.sendThroughGateway("spokeA", HUB, kit.report({ origin: SPOKE_B }));
    const underExecutor = await layerZeroFailure(() => f.delivery().deliver(sent), "ExecutionAlert");
    expect(underExecutor.reason?.errorName).toBe("EnvelopeOriginMismatch");
    expect(underExecutor.reason?.args).toEqual([SPOKE_A, SPOKE_B]);
    // The executor's failed attempt left the packet verified; calling the endpoint directly fails alike.
    const direct = await layerZeroFailure(
      () => f.delivery({ execution: "endpoint" }).deliver(sent),
      "ExecutionReverted",
    );
    expect(direct.reason?.errorName).toBe("EnvelopeOriginMismatch");
    expect(await f.delivery().status(sent)).toBe("committed");
    expect(await kit.countedOnSpokeA()).toBe(before);
  });

  it("rejects a Hyperlane message whose envelope claims another origin chain", async () => {
    const kit = await deployHyperlaneRejectionWorld();
    const dispatched = await kit.sendFromSpokeA(kit.report({ origin: SPOKE_B }));
    await expectTransportError(kit.world.deliverers.spokeA.deliver(dispatched), "ProcessReverted", {
      reason: "EnvelopeOriginMismatch",
      args: [SPOKE_A, SPOKE_B],
    });
    expect(await kit.isDelivered(dispatched.id)).toBe(false);
    expect(await kit.reportedOnSpokeA()).toBe(0n);
  });

  describe("a hub command on the vault", () => {
    let f: VaultFixture;
    beforeAll(async () => {
      f = await deployVault(await connect("spokeA"));
      await f.vault.write.deposit([f.usdc.address, 1_000n, true], f.asTrader);
    });

    it("rejects a command whose envelope origin differs from the chain the transport delivered it from", async () => {
      const forged = f.command({
        type: "Release",
        origin: 999n,
        account: f.trader.account.address,
        asset: f.usdc.address,
        amount: 1_000n,
        to: f.trader.account.address,
        cmdNonce: 1n,
      });
      await f.connection.viem.assertions.revertWithCustomErrorWithArgs(
        f.deliver(forged, HUB),
        f.vault,
        "OriginMismatch",
        [HUB, 999n],
      );
      expect(await f.balanceOf(f.usdc.address)).toEqual({ total: 1_000n, locked: 1_000n, seq: 1 });
      expect(await f.vault.read.lastCommandNonce([getAddress(f.trader.account.address)])).toBe(0n);
    });
  });
});
