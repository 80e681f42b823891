// Packets of one path delivered out of order on the real LayerZero v2 stack: the later packet's execution waits
// until its predecessor is verified, learning of it from this instance's own verification rather than from a
// read of the endpoint for every verification landed meanwhile.
import type { Hex } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { createLayerZeroDelivery } from "../../../relayer/transports/layerzero/index.ts";
import { CHAIN_IDS } from "../../../sdk/chains.ts";
import { encodeMessage } from "../../../sdk/codec/index.ts";
import { SPOKE_A } from "../../helpers/hub.ts";
import { deployLayerZeroFixture, type LayerZeroFixture } from "./fixture.ts";

const HUB = BigInt(CHAIN_IDS.hub);

describe("LayerZero delivery of one path's packets out of order", () => {
  let f: LayerZeroFixture;
  beforeAll(async () => {
    f = await deployLayerZeroFixture();
  });

  it("executes the later packet once the earlier one is verified, reading the endpoint's nonce once", async () => {
    const account = f.hub.trader.account.address;
    const report = (seq: bigint): Hex =>
      encodeMessage({
        type: "BalanceReport",
        origin: SPOKE_A,
        destination: HUB,
        account,
        asset: f.spokeA.usdc.address,
        total: 0n,
        locked: 0n,
        seq,
        lastCommandNonce: 0n,
      });
    const first = await f.sendThroughGateway("spokeA", HUB, report(1n));
    const second = await f.sendThroughGateway("spokeA", HUB, report(2n));
    expect(second.sent.packet.nonce).toBe(first.sent.packet.nonce + 1n);

    let nonceReads = 0;
    const chains = f.chains.map((chain) => ({
      ...chain,
      publicClient: new Proxy(chain.publicClient, {
        get: (target, property, receiver) =>
          property === "readContract"
            ? (args: Parameters<typeof target.readContract>[0]) => {
                if (args.functionName === "inboundNonce") nonceReads += 1;
                return target.readContract(args);
              }
            : Reflect.get(target, property, receiver),
      }),
    }));
    const delivery = createLayerZeroDelivery({ chains, signatures: f.signatures, execution: "executor" });

    const later = delivery.deliver(second.sent);
    // The earlier packet comes while the later one waits for it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const earlier = delivery.deliver(first.sent);
    const [laterOutcome, earlierOutcome] = await Promise.all([later, earlier]);
    expect([laterOutcome.status, earlierOutcome.status]).toEqual(["delivered", "delivered"]);
    // The later packet asked the endpoint once, before the earlier one was verified; that verification, landed
    // by this instance, told it the rest.
    expect(nonceReads).toBe(1);
    for (const outcome of [laterOutcome, earlierOutcome]) {
      expect(outcome.steps.map((step) => step.step)).toContain("execute");
    }
  });
});
