import { BaseError, decodeErrorResult, type Hex, isHex } from "viem";
import { XmarginError } from "../../../sdk/errors.ts";
import { layerZeroDeliveryErrorsAbi } from "./abi.ts";

/** What went wrong, by delivery step. */
export type LayerZeroErrorKind =
  /** The packet or its options do not parse. */
  | "MalformedPacket"
  /** No chain is configured for an eid or chain id the packet names. */
  | "UnknownChain"
  /** The source chain did not reach the required confirmations in time. */
  | "ConfirmationTimeout"
  /** Fewer valid committee signatures than the DVN's quorum could be collected. */
  | "InsufficientSignatures"
  /** A verification request or a signature answer in JSON does not match its schema. */
  | "MalformedJson"
  /** A signer refused a request: the packet does not match its own view of the source chain. */
  | "SignatureRequestRejected"
  /** The DVN rejected the signatures (`VerifySignaturesFailed`). */
  | "SignaturesRejected"
  /** The DVN accepted the signatures but `ReceiveUln302.verify` failed (`ExecuteFailed`). */
  | "VerifyFailed"
  /** `DVN.execute` changed nothing: expired instruction, other vid, or hash already used. */
  | "VerificationIneffective"
  /** `ReceiveUln302.commitVerification` reverted (e.g. unregistered peer: `LZ_PathNotInitializable`). */
  | "CommitFailed"
  /** `EndpointV2.lzReceive` reverted (the gateway or the application rejected the message). */
  | "ExecutionReverted"
  /** `Executor.execute302` caught a failing `lzReceive` and the endpoint emitted `LzReceiveAlert`. */
  | "ExecutionAlert";

/** A revert reason decoded against the LayerZero, gateway and application errors, or the raw bytes. */
export interface RevertReason {
  errorName?: string;
  args?: readonly unknown[];
  data: Hex;
}

/** A failed LayerZero delivery step; `details` names the packet (guid, nonce, eids) and the transaction. */
export class LayerZeroError extends XmarginError {
  override name = "LayerZeroError";

  constructor(
    readonly kind: LayerZeroErrorKind,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown>; reason?: RevertReason } = {},
  ) {
    super(message, {
      cause: options.cause,
      details: { kind, ...options.details, ...(options.reason ? { reason: options.reason } : {}) },
    });
    this.reason = options.reason;
  }

  readonly reason: RevertReason | undefined;
}

/** Decodes revert data (or an alert's `reason`) into the custom error it encodes, when we know it. */
export function decodeRevertReason(data: Hex): RevertReason {
  try {
    const { errorName, args } = decodeErrorResult({ abi: layerZeroDeliveryErrorsAbi, data });
    return { errorName, args: args ?? [], data };
  } catch {
    return { data };
  }
}

/** The revert data inside a viem error (simulation or estimation failure), if it carries any. */
export function revertDataOf(error: unknown): Hex | undefined {
  if (!(error instanceof BaseError)) return undefined;
  let data: Hex | undefined;
  error.walk((cause) => {
    const candidate = (cause as { data?: unknown }).data;
    if (typeof candidate === "string" && isHex(candidate)) {
      data = candidate;
      return true;
    }
    if (typeof candidate === "object" && candidate !== null) {
      const raw = (candidate as { data?: unknown }).data;
      if (typeof raw === "string" && isHex(raw)) {
        data = raw;
        return true;
      }
    }
    return false;
  });
  return data;
}

/** A readable `Name(arg, …)` for messages. */
export function describeReason(reason: RevertReason | undefined): string {
  if (!reason) return "no revert data";
  if (!reason.errorName) return reason.data === "0x" ? "empty revert data" : `revert data ${reason.data}`;
  return `${reason.errorName}(${(reason.args ?? []).map(String).join(", ")})`;
}
