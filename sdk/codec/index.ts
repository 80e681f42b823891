export { decodeMessage, encodeMessage, HEADER_LENGTH, messageLength } from "./codec.ts";
export { CodecError, type CodecErrorKind } from "./errors.ts";
export * from "./types.ts";
