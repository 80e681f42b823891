import { type Hex, keccak256, parseEther, recoverAddress, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount, sign } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { operatorAccount, recoverHashSigner, secp256k1Backend, signHash } from "./secp256k1.ts";

const keys = Array.from({ length: 8 }, () => generatePrivateKey());
const hashes = Array.from({ length: 8 }, (_, index) => keccak256(toHex(`message ${index}`)));

describe("secp256k1", () => {
  it("uses the prebuilt libsecp256k1 where the package ships one (linux x64 here)", () => {
    if (process.platform === "linux" && process.arch === "x64") expect(secp256k1Backend).toBe("libsecp256k1");
  });

  it("signs exactly as viem does (RFC 6979, low s, v = 27/28)", async () => {
    for (const privateKey of keys) {
      for (const hash of hashes) {
        expect(await signHash(hash, privateKey)).toBe(await sign({ hash, privateKey, to: "hex" }));
      }
    }
  });

  it("recovers the signer as viem does, with v as 27/28 or 0/1", async () => {
    for (const privateKey of keys) {
      const { address } = privateKeyToAccount(privateKey);
      for (const hash of hashes) {
        const signature = await signHash(hash, privateKey);
        expect(await recoverHashSigner(hash, signature)).toBe(address);
        const yParity = Number.parseInt(signature.slice(-2), 16) - 27;
        const compactV = `${signature.slice(0, -2)}0${yParity}` as Hex;
        expect(await recoverHashSigner(hash, compactV)).toBe(address);
      }
    }
  });

  it("a tampered signature or hash recovers someone else, as it does in viem", async () => {
    const [privateKey] = keys as [Hex];
    const [hash, other] = hashes as [Hex, Hex];
    const { address } = privateKeyToAccount(privateKey);
    const signature = await signHash(hash, privateKey);
    // A changed s always leaves a recoverable signature (a changed r may name no curve point).
    const at = 2 + 64 + 10;
    const tampered = `${signature.slice(0, at)}${signature[at] === "0" ? "1" : "0"}${signature.slice(at + 1)}` as Hex;
    const recovered = await recoverHashSigner(hash, tampered);
    expect(recovered).not.toBe(address);
    expect(recovered).toBe(await recoverAddress({ hash, signature: tampered }));
    expect(await recoverHashSigner(other, signature)).not.toBe(address);
  });

  it("throws for a malformed signature, as viem does", async () => {
    const [hash] = hashes as [Hex];
    const zeroR = `0x${"00".repeat(64)}1b` as Hex;
    await expect(recoverHashSigner(hash, zeroR)).rejects.toThrow();
    await expect(recoverAddress({ hash, signature: zeroR })).rejects.toThrow();
    await expect(recoverHashSigner(hash, "0x1234")).rejects.toThrow();
  });

  it("the operator account signs transactions and messages byte for byte as viem's account", async () => {
    const [privateKey] = keys as [Hex];
    const ours = operatorAccount(privateKey);
    const viems = privateKeyToAccount(privateKey);
    expect(ours.address).toBe(viems.address);
    const transactions = [
      {
        type: "eip1559",
        chainId: 70_700,
        nonce: 7,
        to: viems.address,
        data: "0xdeadbeef",
        gas: 210_000n,
        maxFeePerGas: 2_000_000_000n,
        maxPriorityFeePerGas: 1n,
        value: parseEther("1.5"),
      },
      { type: "legacy", chainId: 1, nonce: 0, to: viems.address, gas: 21_000n, gasPrice: 1_000_000_000n },
    ] as const;
    for (const transaction of transactions) {
      expect(await ours.signTransaction(transaction)).toBe(await viems.signTransaction(transaction));
    }
    const message = { raw: hashes[0] as Hex };
    expect(await ours.signMessage({ message })).toBe(await viems.signMessage({ message }));
    expect(await ours.sign?.({ hash: hashes[1] as Hex })).toBe(await viems.sign({ hash: hashes[1] as Hex }));
  });
});
