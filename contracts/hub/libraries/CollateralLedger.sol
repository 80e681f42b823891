// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice One spoke balance as the hub knows it: what the vault last reported as locked, and what
/// the hub has since commanded away (releases, seizures) without an acknowledgement yet.
struct CollateralEntry {
    uint64 chainId;
    address asset;
    uint128 reportedLocked;
    uint128 pendingDecrease;
    uint32 seq;
    uint64 acknowledgedNonce;
    uint64 pendingHead;
    uint64 pendingTail;
    /// When the last applied report arrived; old reports block risk-increasing actions.
    uint32 reportedAt;
}

/// @notice A command that lowers an entry, waiting for the spoke's acknowledgement.
struct PendingDecrease {
    uint64 cmdNonce;
    uint128 amount;
}

/// @notice The hub's view of one account's collateral on every spoke.
struct AccountCollateral {
    bytes32[] keys;
    mapping(bytes32 key => CollateralEntry) entries;
    mapping(bytes32 key => mapping(uint64 index => PendingDecrease)) pending;
    /// Last command nonce issued to each spoke for this account; commands are sequential per (spoke, account).
    mapping(uint64 chainId => uint64) lastCommandNonce;
}

/// @title CollateralLedger
/// @notice Safety rule 2: the hub counts only reported collateral and subtracts what it has commanded
/// away before the acknowledgement arrives. A report of (chain, asset) with `lastCommandNonce = L`
/// reflects every command up to L on that asset, so it clears exactly that asset's pending decreases
/// with nonces ≤ L. Reports apply only when their `seq` is newer, so duplicates and reordering are harmless.
library CollateralLedger {
    /// @notice Entries per account, bounding the gas of every health evaluation.
    uint256 internal constant MAX_ENTRIES = 32;

    function key(uint64 chainId, address asset) internal pure returns (bytes32) {
        return bytes32((uint256(chainId) << 160) | uint160(asset));
    }

    /// @notice Locked balance the hub may count: reported minus pending decreases.
    function counted(CollateralEntry storage entry) internal view returns (uint256) {
        uint256 reported = entry.reportedLocked;
        uint256 pendingDecrease = entry.pendingDecrease;
        // Saturates: a spoke that executed less than commanded reports less, never more.
        return reported > pendingDecrease ? reported - pendingDecrease : 0;
    }

    /// @return applied False when the report is not newer than the last one (or the account has no room).
    function applyReport(
        AccountCollateral storage self,
        uint64 chainId,
        address asset,
        uint128 locked,
        uint32 seq,
        uint64 acknowledgedNonce
    ) internal returns (bool applied) {
        bytes32 entryKey = key(chainId, asset);
        CollateralEntry storage entry = self.entries[entryKey];
        if (entry.chainId == 0) {
            if (self.keys.length >= MAX_ENTRIES) return false;
            entry.chainId = chainId;
            entry.asset = asset;
            self.keys.push(entryKey);
        }
        if (seq <= entry.seq) return false;
        entry.reportedLocked = locked;
        entry.seq = seq;
        entry.acknowledgedNonce = acknowledgedNonce;
        entry.reportedAt = uint32(block.timestamp);

        mapping(uint64 => PendingDecrease) storage queue = self.pending[entryKey];
        uint64 head = entry.pendingHead;
        uint64 tail = entry.pendingTail;
        uint128 cleared;
        while (head < tail && queue[head].cmdNonce <= acknowledgedNonce) {
            cleared += queue[head].amount;
            delete queue[head];
            ++head;
        }
        entry.pendingHead = head;
        entry.pendingDecrease -= cleared;
        return true;
    }

    /// @notice Records a decrease the hub is about to command and returns its nonce.
    /// @dev The caller has checked `amount ≤ counted(entry)`.
    function recordDecrease(AccountCollateral storage self, uint64 chainId, address asset, uint128 amount)
        internal
        returns (uint64 cmdNonce)
    {
        bytes32 entryKey = key(chainId, asset);
        CollateralEntry storage entry = self.entries[entryKey];
        cmdNonce = ++self.lastCommandNonce[chainId];
        self.pending[entryKey][entry.pendingTail++] = PendingDecrease({cmdNonce: cmdNonce, amount: amount});
        entry.pendingDecrease += amount;
    }

    /// @notice Takes the next command nonce for a command that does not lower counted collateral (Lock).
    function nextNonce(AccountCollateral storage self, uint64 chainId) internal returns (uint64) {
        return ++self.lastCommandNonce[chainId];
    }
}
