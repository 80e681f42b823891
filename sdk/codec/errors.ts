import { XmarginError } from "../errors.ts";

/**
 * Names match the custom errors of contracts/interfaces/IMessageCodecErrors.sol; `InvalidEncoding`
 * (not hex) and `ValueOutOfRange` (encoding a number wider than its field) exist only off-chain.
 */
export type CodecErrorKind =
  | "InvalidEncoding"
  | "UnsupportedVersion"
  | "UnknownMessageType"
  | "MessageTruncated"
  | "MessageTrailingBytes"
  | "ValueOutOfRange";

/** A message that cannot be encoded or decoded. `args` mirror the Solidity error's arguments. */
export class CodecError extends XmarginError {
  override name = "CodecError";

  constructor(
    readonly kind: CodecErrorKind,
    readonly args: readonly bigint[],
    message: string,
  ) {
    super(message, { details: { kind, args } });
  }
}
