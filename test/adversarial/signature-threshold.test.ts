// Signature below threshold: fewer than M valid signatures of the verifier set, or M of them out of the
// order the verifier contract wants. The relayer refuses to submit, the DVN / ISM refuses on chain, and
// the message stays unverified until an honest quorum signs.
import { concat, type Hex, parseUnits } from "viem";
import { describe, expect, it } from "vitest";
import { messageIdMultisigMetadata } from "../../relayer/transports/hyperlane/index.ts";
import { localSignatures } from "../../relayer/transports/layerzero/index.ts";
import { deployHyperlaneRejectionWorld, expectTransportError } from "../transports/hyperlane/rejection-kit.ts";
import { THRESHOLD } from "../transports/hyperlane/setup.ts";
import { DVN_QUORUM, deployLayerZeroFixture, dvnSigners } from "../transports/layerzero/fixture.ts";
import {
  HUB,
  layerZeroFailure,
  layerZeroRejectionKit,
  verifySignaturesBySigner,
} from "../transports/layerzero/rejection-kit.ts";

describe("signature below threshold", () => {
  it("refuses a LayerZero packet with M − 1 DVN signatures, or M out of order: off chain and by the DVN", async () => {
    const f = await deployLayerZeroFixture();
    const kit = layerZeroRejectionKit(f);
    const { sent } = await f.sendThroughGateway("spokeA", HUB, kit.report());
    const alone = f.delivery({ signatures: localSignatures(dvnSigners.slice(0, DVN_QUORUM - 1)) });
    const error = await layerZeroFailure(() => alone.deliver(sent), "InsufficientSignatures");
    expect(error.details).toMatchObject({ valid: [dvnSigners[0]?.address] });

    const request = await alone.verificationRequest(sent);
    const valid = await verifySignaturesBySigner(dvnSigners, request);
    const oneShort = concat(valid.slice(0, DVN_QUORUM - 1).map((signature) => signature.signature));
    await layerZeroFailure(() => alone.submitVerification(sent, request, { verify: oneShort }), "SignaturesRejected");
    const descending = concat(
      valid
        .slice(0, DVN_QUORUM)
        .reverse()
        .map((signature) => signature.signature),
    );
    await layerZeroFailure(() => alone.submitVerification(sent, request, { verify: descending }), "SignaturesRejected");
    expect(await alone.status(sent)).toBe("unverified");
    expect(await kit.countedOnSpokeA()).toBe(0n);
    // An honest quorum still verifies it: the refusals left nothing behind.
    await kit.verifyAndCommit(sent);
    expect((await f.delivery().deliver(sent)).status).toBe("delivered");
    expect(await kit.countedOnSpokeA()).toBe(parseUnits("1000000", 6));
  });

  it("refuses a Hyperlane message with M − 1 validator signatures, or M out of the ISM's order", async () => {
    const kit = await deployHyperlaneRejectionWorld();
    const dispatched = await kit.sendFromSpokeA(kit.report({ locked: 9_000_000n }));
    const { checkpoint, signatures } = await kit.signaturesFor(dispatched);
    // The ISM reads signature M past the end of the metadata: a revert without a reason.
    await expectTransportError(
      kit.processOnHub(messageIdMultisigMetadata(checkpoint, signatures.slice(0, THRESHOLD - 1)), dispatched.raw),
      "ProcessReverted",
    );
    await expectTransportError(
      kit.processOnHub(
        messageIdMultisigMetadata(checkpoint, [signatures[1] as Hex, signatures[0] as Hex]),
        dispatched.raw,
      ),
      "ProcessReverted",
      { reason: "!threshold" },
    );
    expect(await kit.isDelivered(dispatched.id)).toBe(false);
    expect(await kit.reportedOnSpokeA()).toBe(0n);
  });
});
