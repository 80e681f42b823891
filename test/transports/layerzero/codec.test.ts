// The off-chain pieces of the LayerZero transport, checked against LayerZero's own code: packet
// decoding and options against @layerzerolabs/lz-v2-utilities, our ABI fragments against the ABIs of
// the prebuilt artifacts, and the DVN signature rules of MultiSig.verifySignatures.
import { readFileSync } from "node:fs";
import { calculateGuid, Options, PacketV1Codec } from "@layerzerolabs/lz-v2-utilities";
import {
  type Abi,
  type Address,
  concat,
  decodeFunctionData,
  getAbiItem,
  getAddress,
  type Hex,
  keccak256,
  size,
  slice,
  toFunctionSelector,
  toHex,
} from "viem";
import { formatAbiItem } from "viem/utils";
import { describe, expect, it } from "vitest";
import { localDigestSigner } from "../../../relayer/engine/signer.ts";
import { type LayerZeroArtifactName, layerZeroArtifactPath, layerZeroEid } from "../../../relayer/infra/layerzero.ts";
import {
  assembleSignatures,
  decodePacket,
  dvnAbi,
  dvnFeeLibAbi,
  endpointV2Abi,
  executorAbi,
  executorFeeLibAbi,
  LayerZeroError,
  layerZeroGatewayAbi,
  localSignatures,
  lzReceiveOption,
  messagingAppErrorsAbi,
  priceFeedAbi,
  receiveUln302Abi,
  sendUln302Abi,
  type VerificationRequest,
  verificationRequest,
  withMessage,
} from "../../../relayer/transports/layerzero/index.ts";

const samplePacket = () => {
  const header = {
    version: 1,
    nonce: "7",
    srcEid: 40_701,
    sender: toHex(0xabcdefn, { size: 32 }),
    dstEid: 40_700,
    receiver: toHex(0x1234n, { size: 32 }),
  };
  const message = keccak256(toHex("a message"));
  return { ...header, guid: calculateGuid(header), message, payload: "" };
};

describe("LayerZero packets and options", () => {
  it("decodes a PacketV1 exactly as LayerZeroLabs' PacketV1Codec does", () => {
    const packet = samplePacket();
    const encoded = PacketV1Codec.encode(packet) as Hex;
    const theirs = PacketV1Codec.from(encoded);
    const ours = decodePacket(encoded);
    expect(ours.nonce).toBe(BigInt(theirs.nonce()));
    expect(ours.srcEid).toBe(theirs.srcEid());
    expect(ours.dstEid).toBe(theirs.dstEid());
    expect(ours.sender).toBe(theirs.sender().toLowerCase());
    expect(ours.receiver).toBe(getAddress(theirs.receiverAddressB20()));
    expect(ours.guid).toBe(theirs.guid().toLowerCase());
    expect(ours.message).toBe(theirs.message().toLowerCase());
    expect(ours.header).toBe(theirs.header().toLowerCase());
    expect(size(ours.header)).toBe(81);
    expect(ours.payloadHash).toBe(theirs.payloadHash().toLowerCase());
    expect(ours.payloadHash).toBe(keccak256(concat([ours.guid, ours.message])));
  });

  it("a tampered copy keeps the header and changes the payload hash", () => {
    const original = decodePacket(PacketV1Codec.encode(samplePacket()) as Hex);
    const tampered = withMessage(original, "0xdeadbeef");
    expect(tampered.header).toBe(original.header);
    expect(tampered.guid).toBe(original.guid);
    expect(tampered.payloadHash).not.toBe(original.payloadHash);
  });

  it("rejects packets that are too short or of another version", () => {
    const encoded = PacketV1Codec.encode(samplePacket()) as Hex;
    expect(() => decodePacket(slice(encoded, 0, 100))).toThrow(LayerZeroError);
    expect(() => decodePacket(concat(["0x02", slice(encoded, 1)]))).toThrow(/version 2/);
  });

  it("reads the executor lzReceive gas from type-3 options as LayerZeroLabs' Options builds them", () => {
    const gasOnly = Options.newOptions().addExecutorLzReceiveOption(250_000).toHex() as Hex;
    expect(lzReceiveOption(gasOnly)).toEqual({ gas: 250_000n, value: 0n });
    const summed = Options.newOptions()
      .addExecutorLzReceiveOption(100_000, 5)
      .addExecutorNativeDropOption(1, toHex(1n, { size: 32 }))
      .addExecutorLzReceiveOption(50_000)
      .toHex() as Hex;
    expect(lzReceiveOption(summed)).toEqual({ gas: 150_000n, value: 5n });
    expect(lzReceiveOption(Options.newOptions().toHex() as Hex)).toBeUndefined();
    expect(() => lzReceiveOption("0x0001")).toThrow(/type 3/);
    expect(() => lzReceiveOption(concat([gasOnly, "0x01"]))).toThrow(LayerZeroError);
  });

  it("maps devnet chain ids to eids above 40000 and refuses the ones PriceFeed reserves", () => {
    expect(layerZeroEid(70_700)).toBe(40_700);
    expect(layerZeroEid(31_337)).toBe(41_337);
    // 40143 % 30000 = 10143, which PriceFeed prices with the Arbitrum model.
    expect(() => layerZeroEid(143)).toThrow(/reserves/);
    expect(() => layerZeroEid(0)).toThrow(/invalid/);
  });
});

describe("ABI fragments", () => {
  const artifactAbi = (path: string): Abi => JSON.parse(readFileSync(path, "utf8")).abi;
  const signatures = (abi: Abi) =>
    new Set(
      abi
        .filter((item) => item.type === "function" || item.type === "event" || item.type === "error")
        .map((item) => formatAbiItem(item)),
    );
  const fragments = (abi: Abi) => abi.filter((item) => item.type !== "constructor").map((item) => formatAbiItem(item));
  const constructorOf = (abi: Abi) =>
    abi.find((item) => item.type === "constructor")?.inputs.map((input) => input.type) ?? [];

  const layerZero: [string, Abi, LayerZeroArtifactName][] = [
    ["EndpointV2", endpointV2Abi, "EndpointV2"],
    ["SendUln302", sendUln302Abi, "SendUln302"],
    ["ReceiveUln302", receiveUln302Abi, "ReceiveUln302"],
    ["PriceFeed", priceFeedAbi, "PriceFeed"],
    ["DVN", dvnAbi, "DVN"],
    ["DVNFeeLib", dvnFeeLibAbi, "DVNFeeLib"],
    ["Executor", executorAbi, "Executor"],
    ["ExecutorFeeLib", executorFeeLibAbi, "ExecutorFeeLib"],
  ];
  it.each(layerZero)("%s fragments exist in the prebuilt artifact", (_, ours, artifact) => {
    const theirs = artifactAbi(layerZeroArtifactPath(artifact));
    const known = signatures(theirs);
    for (const fragment of fragments(ours)) expect(known, fragment).toContain(fragment);
    expect(constructorOf(ours)).toEqual(constructorOf(theirs));
  });

  it("LayerZeroGateway fragments exist in the compiled contract", () => {
    const theirs = artifactAbi(
      new URL(
        "../../../artifacts/contracts/messaging/layerzero/LayerZeroGateway.sol/LayerZeroGateway.json",
        import.meta.url,
      ).pathname,
    );
    const known = signatures(theirs);
    for (const fragment of fragments(layerZeroGatewayAbi)) expect(known, fragment).toContain(fragment);
    expect(constructorOf(layerZeroGatewayAbi)).toEqual(constructorOf(theirs));
  });

  it("the application errors exist in the compiled vault", () => {
    const vault = artifactAbi(
      new URL("../../../artifacts/contracts/spoke/CollateralVault.sol/CollateralVault.json", import.meta.url).pathname,
    );
    const known = signatures(vault);
    for (const fragment of fragments(messagingAppErrorsAbi)) expect(known, fragment).toContain(fragment);
  });

  it("the DVN verifies through ReceiveUln302.verify (selector 0x0223536e, exempt from replay hashing)", () => {
    const verify = getAbiItem({ abi: receiveUln302Abi, name: "verify" });
    expect(toFunctionSelector(verify)).toBe("0x0223536e");
  });
});

describe("DVN signatures", () => {
  const committee = [1, 2, 3].map((index) => localDigestSigner(keccak256(toHex(`committee ${index}`))));
  const outsider = localDigestSigner(keccak256(toHex("outsider")));
  const packet = decodePacket(PacketV1Codec.encode(samplePacket()) as Hex);
  const target = {
    sourceChainId: 70_701,
    destinationChainId: 70_700,
    transactionHash: keccak256("0x01"),
    dvn: "0x00000000000000000000000000000000000000d1",
    vid: 1,
    receiveUln302: "0x00000000000000000000000000000000000000e2",
    confirmations: 1n,
    expiration: 1_000n,
    commit: true,
  } as const;
  const request: VerificationRequest = verificationRequest(packet, target);
  const sign = async (signer: (typeof committee)[number], digest = request.verify.digest) => ({
    signer: signer.address,
    digest,
    signature: await signer.signDigest(digest),
  });
  const members: Address[] = committee.map((signer) => signer.address);
  const ascending = <entry extends { signer: Address }>(entries: entry[]) =>
    entries.toSorted((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : 1));

  it("builds verify then commitVerification on the receive library, each with the DVN's digest", () => {
    expect(decodeFunctionData({ abi: receiveUln302Abi, data: request.verify.callData })).toEqual({
      functionName: "verify",
      args: [packet.header, packet.payloadHash, 1n],
    });
    expect(decodeFunctionData({ abi: receiveUln302Abi, data: request.commit?.callData ?? "0x" })).toEqual({
      functionName: "commitVerification",
      args: [packet.header, packet.payloadHash],
    });
    for (const instruction of [request.verify, request.commit]) {
      expect(instruction?.target).toBe(target.receiveUln302);
      expect(instruction?.digest).toBe(
        keccak256(
          concat([
            toHex(1, { size: 4 }),
            target.receiveUln302,
            toHex(1_000n, { size: 32 }),
            instruction?.callData ?? "0x",
          ]),
        ),
      );
    }
    expect(verificationRequest(packet, { ...target, commit: false }).commit).toBeUndefined();
  });

  it("signs every instruction with every local key", async () => {
    const signatures = await localSignatures(committee.slice(0, 2))(request);
    expect(signatures.map(({ signer, digest }) => [signer, digest])).toEqual([
      [committee[0]?.address, request.verify.digest],
      [committee[0]?.address, request.commit?.digest],
      [committee[1]?.address, request.verify.digest],
      [committee[1]?.address, request.commit?.digest],
    ]);
  });

  it("takes exactly the quorum per instruction, in ascending signer order", async () => {
    const verify = await Promise.all(committee.map((signer) => sign(signer)));
    const commit = await Promise.all(committee.map((signer) => sign(signer, request.commit?.digest)));
    const assembled = await assembleSignatures(request, [...commit, ...verify].toReversed(), {
      committee: members,
      quorum: 2,
    });
    expect(assembled).toEqual({
      verify: concat(
        ascending(verify)
          .slice(0, 2)
          .map((entry) => entry.signature),
      ),
      commit: concat(
        ascending(commit)
          .slice(0, 2)
          .map((entry) => entry.signature),
      ),
    });
  });

  it("leaves the commit instruction out when fewer than the quorum signed it", async () => {
    const verify = await Promise.all(committee.map((signer) => sign(signer)));
    const commit = await sign(committee[0] as (typeof committee)[number], request.commit?.digest);
    const assembled = await assembleSignatures(request, [...verify, commit], { committee: members, quorum: 2 });
    expect(assembled.commit).toBeUndefined();
    expect(assembled.verify).toBe(
      concat(
        ascending(verify)
          .slice(0, 2)
          .map((entry) => entry.signature),
      ),
    );
  });

  it("discards outsiders, duplicates, signatures of another digest and false signer or digest claims", async () => {
    const [first, second] = committee as [(typeof committee)[number], (typeof committee)[number]];
    const offered = [
      await sign(first),
      await sign(first),
      await sign(outsider),
      await sign(second, keccak256("0x02")),
      { ...(await sign(second, keccak256("0x02"))), digest: request.verify.digest },
      { ...(await sign(second, request.commit?.digest)), digest: request.verify.digest },
      { signer: second.address, digest: request.verify.digest, signature: (await sign(first)).signature },
    ];
    const error = await assembleSignatures(request, offered, { committee: members, quorum: 2 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(LayerZeroError);
    expect(error).toMatchObject({ kind: "InsufficientSignatures", details: { valid: [first.address] } });
  });
});
