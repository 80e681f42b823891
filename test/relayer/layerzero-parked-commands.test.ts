// LayerZeroLane.deliver on a command whose execution also runs commands parked before it (anvil devnet: hub and
// spokeA over LayerZero, one operator, DVN quorum 1). LayerZero executes a packet once every earlier nonce of its
// path is verified, not executed: the first Release is verified and committed (not executed), then the four after
// it are delivered and wait parked in the spoke's CollateralVault. Executing the first then drains the parked ones,
// more than the one command's lzReceive gas the hub paid for, so the exact-gas `lzReceive` through the delivery
// queue runs out. The transport must then send it once more through the queue with the top-up the lane asks for
// (room for the vault's MAX_COMMANDS_PER_DELIVERY commands): its gas steps show the failed attempt and the one that
// went through, every command is executed in order and paid, and the spoke got no eth_estimateGas. Without that
// retry the transport executes through the endpoint on an estimate (at least one eth_estimateGas to the spoke), so
// this test fails on the code before it.
import { LayerZeroLane, sentPacketOf } from "../../relayer/engine/layerzero-lane.ts";
import { localDigestSigner } from "../../relayer/engine/signer.ts";
import { assembleSignatures, localSignatures } from "../../relayer/transports/layerzero/index.ts";
import { describeParkedCommands } from "./parked-commands-fixture.ts";

describeParkedCommands(
  "LayerZeroLane: a command that runs parked commands goes once more through the queue, not on an estimate",
  {
    route: "layerzero",
    // Quorum 1: this operator's own DVN key signs every instruction, the peers have nothing to add.
    lane: (network, operatorKey) =>
      new LayerZeroLane(network, { signer: localDigestSigner(operatorKey), peers: async () => [], threshold: 1 }),
    // Verified and committed, not executed: its successors may execute before it (and park).
    beforeLater: async (lane, first, operatorKey) => {
      const sent = sentPacketOf(first);
      const request = await lane.delivery.verificationRequest(sent);
      const signer = localDigestSigner(operatorKey);
      const signatures = await assembleSignatures(request, await localSignatures([signer])(request), {
        quorum: 1,
        committee: [signer.address],
      });
      await lane.delivery.submitVerification(sent, request, signatures);
      if ((await lane.delivery.status(sent)) !== "committed") throw new Error("the first Release is not committed");
    },
    // Not its first attempt: the lane reads its status (committed) and only executes it.
    deliverFirst: (lane, first, progress) => lane.deliver({ ...first, attempts: 1 }, progress),
    // The code before the retry reported only the estimated execution through the endpoint.
    steps: ["execute (failed)", "execute"],
  },
);
