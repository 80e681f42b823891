import { BaseError, ContractFunctionRevertedError, decodeErrorResult, type Hex, isHex } from "viem";
import { xmarginErrorsAbi } from "./abi/generated.ts";
import {
  type CallContext,
  ContractRevertError,
  RpcRequestError,
  type XmarginContractErrorArgs,
  type XmarginContractErrorName,
  XmarginError,
} from "./errors.ts";

/** A ContractRevertError known to carry the custom error `name`, with its arguments typed. */
export type NamedContractRevertError<name extends XmarginContractErrorName> = ContractRevertError & {
  errorName: name;
  args: XmarginContractErrorArgs<name>;
};

/** True when `error` is a revert with the custom error `name`; narrows `args` to its types. */
export function isContractRevert<name extends XmarginContractErrorName>(
  error: unknown,
  name: name,
): error is NamedContractRevertError<name> {
  return error instanceof ContractRevertError && error.errorName === name;
}

/** The revert in a viem error's cause chain, and its data wherever the node put it. */
function findRevert(error: BaseError): { reverted?: ContractFunctionRevertedError; data?: Hex } {
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  const withData = error.walk((e) => isHex((e as { data?: unknown }).data));
  const data = (reverted as ContractFunctionRevertedError | null)?.raw ?? (withData as { data?: Hex } | null)?.data;
  return {
    ...(reverted instanceof ContractFunctionRevertedError ? { reverted } : {}),
    ...(data === undefined ? {} : { data }),
  };
}

/**
 * Decodes a failed call into a ContractRevertError against every error xmargin's contracts can raise,
 * whatever ABI the call itself was made with. Returns undefined when `error` is not a revert.
 */
export function decodeContractRevert(error: unknown, call: CallContext = {}): ContractRevertError | undefined {
  if (error instanceof ContractRevertError) return error;
  if (!(error instanceof BaseError)) return undefined;
  const { reverted, data } = findRevert(error);
  if (reverted === undefined && data === undefined) return undefined;
  if (data !== undefined && data !== "0x") {
    try {
      // viem adds Error(string) and Panic(uint256) to the ABI it decodes against.
      const decoded = decodeErrorResult({ abi: xmarginErrorsAbi, data });
      return new ContractRevertError(decoded.errorName, decoded.args ?? [], data, call, error);
    } catch {
      // An error none of xmargin's contracts declares: kept raw in `data`.
    }
  }
  return new ContractRevertError(undefined, [], data, call, error);
}

/**
 * Every failure of a chain operation as an XmarginError: SDK errors pass through, reverts become
 * ContractRevertError, anything else (transport, node, timeout) RpcRequestError naming the operation.
 */
export function toXmarginError(error: unknown, operation: string, call: CallContext = {}): XmarginError {
  if (error instanceof XmarginError) return error;
  return decodeContractRevert(error, call) ?? new RpcRequestError(operation, call, error);
}
