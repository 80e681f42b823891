// Wrong validator set: signatures by keys outside the verifier set the destination trusts (the DVN's
// committee, the ISM's validators), alone or beside genuine ones. The relayer discards them, the DVN /
// ISM rejects them on chain, and nothing is applied.
import { concat, type Hex } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { beforeAll, describe, expect, it } from "vitest";
import { localDigestSigner } from "../../relayer/engine/signer.ts";
import {
  type Checkpoint,
  collectQuorum,
  type DispatchedMessage,
  messageIdMultisigMetadata,
  resolveMultisigIsm,
  type SignedCheckpoint,
  signCheckpoint,
  validatorSignatureSource,
} from "../../relayer/transports/hyperlane/index.ts";
import { localSignatures } from "../../relayer/transports/layerzero/index.ts";
import {
  deployHyperlaneRejectionWorld,
  expectTransportError,
  type HyperlaneRejectionWorld,
} from "../transports/hyperlane/rejection-kit.ts";
import { THRESHOLD } from "../transports/hyperlane/setup.ts";
import { deployLayerZeroFixture } from "../transports/layerzero/fixture.ts";
import {
  HUB,
  layerZeroFailure,
  layerZeroRejectionKit,
  verifySignaturesBySigner,
} from "../transports/layerzero/rejection-kit.ts";

describe("wrong validator set", () => {
  it("refuses a LayerZero packet signed by a quorum of keys outside the DVN committee", async () => {
    const f = await deployLayerZeroFixture();
    const kit = layerZeroRejectionKit(f);
    const { sent } = await f.sendThroughGateway("spokeA", HUB, kit.report());
    const forgers = [1, 2].map((index) => localDigestSigner(`0x${index.toString(16).padStart(64, "a")}` as Hex));
    const forged = f.delivery({ signatures: localSignatures(forgers) });
    await layerZeroFailure(() => forged.deliver(sent), "InsufficientSignatures");

    const request = await forged.verificationRequest(sent);
    const rawSignatures = (await verifySignaturesBySigner(forgers, request)).map((signature) => signature.signature);
    await layerZeroFailure(
      () => forged.submitVerification(sent, request, { verify: concat(rawSignatures) }),
      "SignaturesRejected",
    );
    expect(await forged.status(sent)).toBe("unverified");
    expect(await kit.countedOnSpokeA()).toBe(0n);
  });

  describe("Hyperlane", () => {
    const outsiders = [localDigestSigner(generatePrivateKey()), localDigestSigner(generatePrivateKey())];
    let kit: HyperlaneRejectionWorld;
    let dispatched: DispatchedMessage;
    let checkpoint: Checkpoint;
    let signatures: Hex[];

    beforeAll(async () => {
      kit = await deployHyperlaneRejectionWorld();
      dispatched = await kit.sendFromSpokeA(kit.report({ locked: 9_000_000n }));
      ({ checkpoint, signatures } = await kit.signaturesFor(dispatched));
    });

    it("refuses a Hyperlane message signed by a quorum of keys outside the ISM's validator set", async () => {
      const forged = await Promise.all(outsiders.map((outsider) => signCheckpoint(outsider, checkpoint)));
      await expectTransportError(
        kit.processOnHub(
          messageIdMultisigMetadata(
            checkpoint,
            forged.map((entry) => entry.signature),
          ),
          dispatched.raw,
        ),
        "ProcessReverted",
        { reason: "!threshold" },
      );
      expect(await kit.isDelivered(dispatched.id)).toBe(false);
    });

    it("refuses a Hyperlane message co-signed by one key outside the ISM's validator set", async () => {
      const [outsider] = outsiders;
      if (!outsider) throw new Error("outsider");
      const forged = await signCheckpoint(outsider, checkpoint);
      await expectTransportError(
        kit.processOnHub(
          messageIdMultisigMetadata(checkpoint, [signatures[0] as Hex, forged.signature]),
          dispatched.raw,
        ),
        "ProcessReverted",
        { reason: "!threshold" },
      );
      expect(await kit.isDelivered(dispatched.id)).toBe(false);
      expect(await kit.reportedOnSpokeA()).toBe(0n);
    });

    it("the Hyperlane signature collector drops signatures from outside the ISM's validator set", async () => {
      const request = {
        origin: kit.spokeAChain.deployment.domain,
        merkleTreeHook: kit.spokeAChain.deployment.merkleTreeHook,
        messageId: dispatched.id,
        index: dispatched.index,
        ...(await resolveMultisigIsm(kit.hubChain.destination, dispatched.raw)),
      };
      const [ownValidator, peerValidator] = kit.world.validators.spokeA;
      const [outsider] = outsiders;
      if (!ownValidator || !peerValidator || !outsider) throw new Error("validators");
      // A peer that answers with a signature under another validator's name and one from outside the set.
      const dishonestPeer = async (): Promise<SignedCheckpoint[]> => [
        { ...(await signCheckpoint(outsider, checkpoint)), validator: peerValidator.address },
        await signCheckpoint(outsider, checkpoint),
      ];
      const failure = await expectTransportError(
        collectQuorum(request, [validatorSignatureSource(ownValidator), dishonestPeer]),
        "QuorumNotReached",
        { threshold: THRESHOLD, candidates: 3 },
      );
      expect((failure.details.rejected as { reason: string }[]).map((entry) => entry.reason)).toEqual([
        `signature recovers to ${outsider.address}`,
        "not a validator of the ISM",
      ]);

      const quorum = await collectQuorum(request, [
        validatorSignatureSource(ownValidator),
        dishonestPeer,
        validatorSignatureSource(peerValidator),
      ]);
      expect(quorum.signers).toEqual([ownValidator.address, peerValidator.address]);
    });
  });
});
