import type { Address, ContractErrorArgs, ContractErrorName, Hex } from "viem";
import type { xmarginErrorsAbi } from "./abi/generated.ts";

/** Base class of every error the xmargin SDK throws, so callers can catch them all with one `instanceof`. */
export class XmarginError extends Error {
  override name = "XmarginError";
  /** Structured context (the offending values) for logs and programmatic handling. */
  readonly details: Readonly<Record<string, unknown>>;
  constructor(message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.details = options.details ?? {};
  }
}

/** Name of any custom error an xmargin contract (or the ERC-20/ERC-2612 token it calls) can revert with. */
export type XmarginContractErrorName = ContractErrorName<typeof xmarginErrorsAbi>;
/** The decoded arguments of the custom error `name`. */
export type XmarginContractErrorArgs<name extends XmarginContractErrorName> = ContractErrorArgs<
  typeof xmarginErrorsAbi,
  name
>;

/** Where a failing call went: for messages and for `details`. */
export interface CallContext {
  chainId?: number | undefined;
  contract?: Address | undefined;
  functionName?: string | undefined;
}

/**
 * A contract call reverted. `errorName` and `args` are the decoded custom error (e.g.
 * `InsufficientFreeBalance` with `[account, asset, free, requested]`), `"Error"` with the reason string,
 * `"Panic"` with the panic code, or `undefined` when the revert data matches no known error (`data` then
 * holds it raw). Narrow with `isContractRevert(error, "InsufficientFreeBalance")`.
 */
export class ContractRevertError extends XmarginError {
  override name = "ContractRevertError";
  constructor(
    readonly errorName: XmarginContractErrorName | "Error" | "Panic" | undefined,
    readonly args: readonly unknown[],
    readonly data: Hex | undefined,
    readonly call: CallContext,
    cause?: unknown,
  ) {
    const where = [call.functionName, call.chainId === undefined ? undefined : `on chain ${call.chainId}`]
      .filter(Boolean)
      .join(" ");
    const what =
      errorName === undefined
        ? `an unknown error${data === undefined ? "" : ` (data ${data.slice(0, 10)})`}`
        : `${errorName}(${args.map(String).join(", ")})`;
    super(`${where === "" ? "call" : where} reverted with ${what}`, {
      cause,
      details: { errorName, args, data, ...call },
    });
  }
}

/** A JSON-RPC request failed for a reason other than a revert: the node is unreachable, timed out, refused it. */
export class RpcRequestError extends XmarginError {
  override name = "RpcRequestError";
  constructor(
    readonly operation: string,
    readonly call: CallContext,
    cause: unknown,
  ) {
    const chain = call.chainId === undefined ? "" : ` on chain ${call.chainId}`;
    const reason =
      cause instanceof Error ? ((cause as { shortMessage?: string }).shortMessage ?? cause.message) : String(cause);
    super(`${operation}${chain} failed: ${reason}`, { cause, details: { operation, ...call } });
  }
}

/** A relayer's HTTP endpoint failed or answered with an error status. */
export class RelayerRequestError extends XmarginError {
  override name = "RelayerRequestError";
  constructor(
    readonly url: string,
    readonly status: number | undefined,
    readonly body: string | undefined,
    cause?: unknown,
  ) {
    const outcome = status === undefined ? "could not be reached" : `answered ${status}`;
    super(`relayer ${url} ${outcome}${body ? `: ${body.slice(0, 200)}` : ""}`, {
      cause,
      details: { url, status, body },
    });
  }
}

/** A cross-chain message was not applied on its destination within the timeout. */
export class DeliveryTimeoutError extends XmarginError {
  override name = "DeliveryTimeoutError";
}

/** A deployments file that does not match the schema, or lacks a contract an action needs. */
export class DeploymentError extends XmarginError {
  override name = "DeploymentError";
}

/** A chain (by id or name) that the deployment does not list. */
export class UnknownChainError extends XmarginError {
  override name = "UnknownChainError";
}

/** A token (by symbol or address) that the deployment does not list on that chain. */
export class UnknownAssetError extends XmarginError {
  override name = "UnknownAssetError";
}

/** A perp market (by name or id) that the deployment does not list. */
export class UnknownMarketError extends XmarginError {
  override name = "UnknownMarketError";
}

/** An action ran with a client on the wrong chain (e.g. `trade` on a spoke), or without an account. */
export class ClientError extends XmarginError {
  override name = "ClientError";
}

/** A parameter the SDK can reject before sending anything (wrong lot size, zero amount, …). */
export class InvalidParameterError extends XmarginError {
  override name = "InvalidParameterError";
}
