import hre from "hardhat";
import { BaseError, ContractFunctionRevertedError, type Hex } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { MESSAGE_TYPE } from "../../sdk/codec/index.ts";
import { type CodecVectors, loadVectors } from "../vectors/index.ts";

const vectors = loadVectors<CodecVectors>("codec.json");

async function deployHarness() {
  const connection = await hre.network.connect({ network: "hub" });
  return connection.viem.deployContract("MessageCodecHarness");
}

type Harness = Awaited<ReturnType<typeof deployHarness>>;

const n = (value: string | number | undefined) => BigInt(value ?? 0);
const isCommand = (type: unknown) => type !== "BalanceReport";

function commandStruct(message: Record<string, string | number>) {
  return {
    kind: MESSAGE_TYPE[message.type as keyof typeof MESSAGE_TYPE],
    account: message.account as Hex,
    asset: message.asset as Hex,
    amount: n(message.amount),
    to: (message.to ?? "0x0000000000000000000000000000000000000000") as Hex,
    cmdNonce: n(message.cmdNonce),
  };
}

function reportStruct(message: Record<string, string | number>) {
  return {
    account: message.account as Hex,
    asset: message.asset as Hex,
    total: n(message.total),
    locked: n(message.locked),
    seq: n(message.seq),
    lastCommandNonce: n(message.lastCommandNonce),
  };
}

async function revertOf(call: Promise<unknown>) {
  try {
    await call;
  } catch (error) {
    const revert = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : null;
    if (revert instanceof ContractFunctionRevertedError) return revert.data;
    throw error;
  }
  throw new Error("call did not revert");
}

describe("MessageCodec.sol against the shared vectors", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await deployHarness();
  });

  it.each(vectors.valid)("encodes $name", async ({ hex, message }) => {
    const origin = n(message.origin);
    const destination = n(message.destination);
    const encoded = isCommand(message.type)
      ? await harness.read.encodeCommand([origin, destination, commandStruct(message)])
      : await harness.read.encodeBalanceReport([origin, destination, reportStruct(message)]);
    expect(encoded).toBe(hex);
  });

  it.each(vectors.valid)("decodes $name", async ({ hex, message }) => {
    const [envelope, body] = isCommand(message.type)
      ? await harness.read.decodeCommand([hex])
      : await harness.read.decodeBalanceReport([hex]);
    expect(envelope).toEqual({
      version: 1,
      kind: MESSAGE_TYPE[message.type as keyof typeof MESSAGE_TYPE],
      origin: n(message.origin),
      destination: n(message.destination),
    });
    expect(body).toEqual(isCommand(message.type) ? commandStruct(message) : reportStruct(message));
  });

  it.each(vectors.malformed)("rejects $name with $error", async ({ hex, error, args }) => {
    const data = await revertOf(harness.read.decodeCommand([hex]));
    expect(data?.errorName).toBe(error);
    expect(data?.args?.map((arg) => BigInt(arg as number | bigint))).toEqual(args.map(BigInt));
  });

  it("refuses to decode a balance report as a command and vice versa", async () => {
    const report = vectors.valid.find((v) => v.message.type === "BalanceReport");
    const release = vectors.valid.find((v) => v.message.type === "Release");
    if (!report || !release) throw new Error("vectors lack a report or a release");
    const asCommand = await revertOf(harness.read.decodeCommand([report.hex]));
    expect(asCommand?.errorName).toBe("UnexpectedMessageType");
    const asReport = await revertOf(harness.read.decodeBalanceReport([release.hex]));
    expect(asReport?.errorName).toBe("UnexpectedMessageType");
    expect(asReport?.args).toEqual([MESSAGE_TYPE.BalanceReport, MESSAGE_TYPE.Release]);
  });
});
