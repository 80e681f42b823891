// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IMarginEngine} from "../../interfaces/IMarginEngine.sol";

/// @title ReleaseIntents
/// @notice EIP-712 release intents (EOA and ERC-1271 signers), linked rather than inlined to keep the
/// engine under the contract size limit.
library ReleaseIntents {
    bytes32 internal constant RELEASE_INTENT_TYPEHASH = keccak256(
        "ReleaseIntent(address account,uint64 chainId,address asset,uint256 amount,address to,uint256 nonce,uint256 deadline)"
    );

    /// @notice Reverts unless `signature` is the account's signature of `intent` under `domainSeparator`.
    function verify(bytes32 domainSeparator, IMarginEngine.ReleaseIntent calldata intent, bytes calldata signature)
        public
        view
    {
        if (block.timestamp > intent.deadline) revert IMarginEngine.IntentExpired(intent.deadline);
        bytes32 structHash = keccak256(
            abi.encode(
                RELEASE_INTENT_TYPEHASH,
                intent.account,
                intent.chainId,
                intent.asset,
                intent.amount,
                intent.to,
                intent.nonce,
                intent.deadline
            )
        );
        bytes32 digest = MessageHashUtils.toTypedDataHash(domainSeparator, structHash);
        if (!SignatureChecker.isValidSignatureNow(intent.account, digest, signature)) {
            revert IMarginEngine.InvalidSignature(intent.account);
        }
    }
}
