// HyperlaneLane.deliver on a command whose delivery also runs commands parked before it (anvil devnet: hub and
// spokeA over Hyperlane, one operator, threshold 1). A trader's Releases delivered out of order wait parked in the
// spoke's CollateralVault; delivering the first one then executes it and drains the parked ones, more than the
// one command's destination gas the hub paid for, so the exact-gas `process` through the delivery queue runs out.
// The lane must then send it once more through the queue with room for the vault's MAX_COMMANDS_PER_DELIVERY
// commands: its gas steps show the failed attempt and the one that went through, every command is executed and
// paid, and the spoke got no eth_estimateGas. Without that retry the lane falls back to processHyperlaneMessage,
// which estimates (at least one eth_estimateGas to the spoke), so this test fails on the code before it.
import { HyperlaneLane } from "../../relayer/engine/hyperlane-lane.ts";
import { localDigestSigner } from "../../relayer/engine/signer.ts";
import { describeParkedCommands } from "./parked-commands-fixture.ts";

describeParkedCommands(
  "HyperlaneLane: a command that runs parked commands goes once more through the queue, not on an estimate",
  {
    route: "hyperlane",
    // Threshold 1: this operator's own validator signs every checkpoint, the peers have nothing to add.
    lane: (network, operatorKey) =>
      new HyperlaneLane(network, { signer: localDigestSigner(operatorKey), peers: async () => [] }),
    steps: ["process (failed)", "process"],
  },
);
