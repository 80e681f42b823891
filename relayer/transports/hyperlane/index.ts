export {
  hyperlaneGatewayAbi,
  ISM_MODULE_TYPE,
  interchainGasPaymasterAbi,
  interchainSecurityModuleAbi,
  mailboxAbi,
  merkleTreeHookAbi,
  messagingAppErrorsAbi,
  validatorAnnounceAbi,
} from "./abi.ts";
export {
  type Checkpoint,
  checkpointDigest,
  checkpointDomainHash,
  isValidCheckpointSignature,
  messageIdMultisigMetadata,
  recoverCheckpointSigner,
  SIGNATURE_LENGTH,
  type SignedCheckpoint,
  signCheckpoint,
} from "./checkpoint.ts";
export {
  type DeliveryOutcome,
  DISPATCH_EVENTS,
  type DispatchedMessage,
  dispatchedMessagesFromLogs,
  findDispatchedMessages,
  HyperlaneDeliverer,
  type HyperlaneDelivererOptions,
  type HyperlaneDestination,
  type HyperlaneOrigin,
  PROCESS_ID_EVENT,
  processedMessagesFromLogs,
  processHyperlaneMessage,
  resolveMultisigIsm,
  revertReason,
} from "./deliverer.ts";
export { HyperlaneTransportError, type HyperlaneTransportErrorKind } from "./errors.ts";
export { IncrementalMerkleTree, MERKLE_TREE_DEPTH } from "./merkle.ts";
export {
  addressToBytes32,
  bytes32ToAddress,
  formatHyperlaneMessage,
  HYPERLANE_MESSAGE_HEADER_LENGTH,
  HYPERLANE_MESSAGE_VERSION,
  type HyperlaneMessage,
  hyperlaneMessageId,
  isHyperlaneDomain,
  parseHyperlaneMessage,
} from "./message.ts";
export {
  type CheckpointRequest,
  type CheckpointSignatureSource,
  collectQuorum,
  type Quorum,
  type RejectedSignature,
  selectQuorum,
  validatorSignatureSource,
} from "./signatures.ts";
export { DEFAULT_MAX_RETAINED_CHECKPOINTS, HyperlaneValidator, type HyperlaneValidatorOptions } from "./validator.ts";
