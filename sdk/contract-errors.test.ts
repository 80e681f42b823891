import {
  BaseError,
  ContractFunctionExecutionError,
  ContractFunctionRevertedError,
  encodeErrorResult,
  HttpRequestError,
  parseAbi,
} from "viem";
import { describe, expect, it } from "vitest";
import { xmarginErrorsAbi } from "./abi/generated.ts";
import { decodeContractRevert, isContractRevert, toXmarginError } from "./contract-errors.ts";
import { ContractRevertError, RpcRequestError, XmarginError } from "./errors.ts";

/** A revert as viem reports it from a call made with `abi` (which need not know the error). */
function reverted(data: `0x${string}`, abi = parseAbi(["function f()"])) {
  const cause = new ContractFunctionRevertedError({ abi, data, functionName: "f" });
  return new ContractFunctionExecutionError(cause, {
    abi,
    functionName: "f",
    contractAddress: "0x0000000000000000000000000000000000000001",
  });
}

describe("contract errors", () => {
  it("decodes any xmargin custom error with its arguments, whatever ABI the call used", () => {
    const data = encodeErrorResult({
      abi: xmarginErrorsAbi,
      errorName: "InsufficientCollateral",
      args: [70701n, "0x0000000000000000000000000000000000000002", 5n, 9n],
    });
    const error = decodeContractRevert(reverted(data), { chainId: 70700, functionName: "requestRelease" });
    expect(error).toBeInstanceOf(ContractRevertError);
    expect(error).toBeInstanceOf(XmarginError);
    expect(isContractRevert(error, "InsufficientCollateral")).toBe(true);
    expect(error?.args).toEqual([70701n, "0x0000000000000000000000000000000000000002", 5n, 9n]);
    expect(error?.message).toBe(
      "requestRelease on chain 70700 reverted with InsufficientCollateral(70701, 0x0000000000000000000000000000000000000002, 5, 9)",
    );
    expect(error?.details).toMatchObject({ errorName: "InsufficientCollateral", chainId: 70700 });
  });

  it("keeps reason strings and panics, and the raw data of unknown errors", () => {
    const reason = encodeErrorResult({ abi: parseAbi(["error Error(string)"]), errorName: "Error", args: ["nope"] });
    expect(decodeContractRevert(reverted(reason))).toMatchObject({ errorName: "Error", args: ["nope"] });
    const unknown = encodeErrorResult({ abi: parseAbi(["error Mystery(uint256)"]), errorName: "Mystery", args: [1n] });
    expect(decodeContractRevert(reverted(unknown))).toMatchObject({ errorName: undefined, data: unknown });
  });

  it("wraps transport failures as RpcRequestError and passes SDK errors through", () => {
    const http = new HttpRequestError({ url: "http://127.0.0.1:8545", status: 502, body: { method: "eth_call" } });
    const wrapped = toXmarginError(http, "reading the ledger", { chainId: 70700 });
    expect(wrapped).toBeInstanceOf(RpcRequestError);
    expect(wrapped.message).toMatch(/^reading the ledger on chain 70700 failed: HTTP request failed/);
    expect(wrapped.cause).toBe(http);
    const own = new XmarginError("mine");
    expect(toXmarginError(own, "x")).toBe(own);
    expect(decodeContractRevert(new BaseError("not a revert"))).toBeUndefined();
  });
});
