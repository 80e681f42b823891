export * from "./abi.ts";
export type { LayerZeroChain, LayerZeroEndpointContracts } from "./chain.ts";
export {
  createLayerZeroDelivery,
  type DeliveredPacket,
  type DeliveryOutcome,
  type DeliveryStep,
  deliveredPacketsFromLogs,
  type ExecutionMode,
  type LayerZeroDelivery,
  type LayerZeroDeliveryOptions,
  PACKET_DELIVERED,
  PACKET_SENT,
  type PacketStatus,
  type SentPacket,
  type StepReceipt,
  sentPacketsFromLogs,
} from "./delivery.ts";
export {
  decodeRevertReason,
  describeReason,
  LayerZeroError,
  type LayerZeroErrorKind,
  type RevertReason,
  revertDataOf,
} from "./errors.ts";
export {
  fromVerificationAnswerJson,
  fromVerificationRequestJson,
  toVerificationAnswerJson,
  toVerificationRequestJson,
  type VerificationAnswerJson,
  type VerificationRequestJson,
  verificationAnswerJson,
  verificationRequestJson,
} from "./json.ts";
export {
  addressToBytes32,
  decodePacket,
  type ExecutorLzReceiveOption,
  lzReceiveOption,
  PACKET_HEADER_LENGTH,
  type Packet,
  packetOrigin,
  withMessage,
} from "./packet.ts";
export {
  assembleSignatures,
  type DvnInstruction,
  type DvnInstructionName,
  type DvnSignature,
  dvnInstructionDigest,
  instructionsOf,
  localSignatures,
  type PeerSignatureRequester,
  type QuorumOptions,
  type QuorumSignatures,
  type SignatureSource,
  signaturesFromLocalAndPeers,
  type VerificationAnswer,
  type VerificationRequest,
  type VerificationTarget,
  verificationRequest,
} from "./signatures.ts";
export { answerVerificationRequest, type RecordedSentPacket, type VerifierView } from "./verifier.ts";
