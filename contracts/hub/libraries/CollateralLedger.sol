// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice One spoke balance as the hub knows it: what the vault last reported as locked, and what
/// the hub has since commanded away (releases, seizures) without an acknowledgement yet. The form
/// `collateralOf` returns; the ledger stores it as a `LedgerEntry` under its key.
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

/// @notice A `CollateralEntry` in storage, whose chain and asset are its key: a report writes the first
/// slot only (unless it clears pending decreases), a health evaluation reads both.
struct LedgerEntry {
    uint128 reportedLocked;
    /// Zero until the first report applies: an entry exists once `seq` is nonzero.
    uint32 seq;
    uint32 reportedAt;
    uint64 acknowledgedNonce;
    uint128 pendingDecrease;
    uint64 pendingHead;
    uint64 pendingTail;
}

/// @notice A command that lowers an entry, waiting for the spoke's acknowledgement.
struct PendingDecrease {
    uint64 cmdNonce;
    uint128 amount;
}

/// @notice The hub's view of one account's collateral on every spoke.
struct AccountCollateral {
    /// The entries' keys, one per word; word 0 also holds the number of entries above its key's 224 bits,
    /// so an account's first entry costs one fresh slot here rather than an array's length and element.
    /// The top bit of word i is set while entry i has pending decreases: a health evaluation reads the
    /// entry's second slot (`pendingDecrease`) only then.
    mapping(uint256 index => uint256) keyWords;
    mapping(bytes32 key => LedgerEntry) entries;
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

    uint256 private constant KEY_BITS = 224;
    uint256 private constant KEY_MASK = (1 << KEY_BITS) - 1;
    uint256 private constant PENDING_FLAG = 1 << 255;
    /// Entry counts stay far below the flag bit (MAX_ENTRIES), so adding to the count never reaches it.
    uint256 private constant COUNT_MASK = (1 << (255 - KEY_BITS)) - 1;

    function key(uint64 chainId, address asset) internal pure returns (bytes32) {
        return bytes32((uint256(chainId) << 160) | uint160(asset));
    }

    function chainOf(bytes32 entryKey) internal pure returns (uint64) {
        return uint64(uint256(entryKey) >> 160);
    }

    function assetOf(bytes32 entryKey) internal pure returns (address) {
        return address(uint160(uint256(entryKey)));
    }

    /// @notice Number of entries of the account.
    function entryCount(AccountCollateral storage self) internal view returns (uint256) {
        return (self.keyWords[0] >> KEY_BITS) & COUNT_MASK;
    }

    /// @notice Key of entry `index` (< entryCount).
    function keyAt(AccountCollateral storage self, uint256 index) internal view returns (bytes32) {
        return bytes32(self.keyWords[index] & KEY_MASK);
    }

    /// @notice The entry under `entryKey` in the form `collateralOf` returns.
    function describe(AccountCollateral storage self, bytes32 entryKey) internal view returns (CollateralEntry memory) {
        LedgerEntry storage entry = self.entries[entryKey];
        return CollateralEntry({
            chainId: chainOf(entryKey),
            asset: assetOf(entryKey),
            reportedLocked: entry.reportedLocked,
            pendingDecrease: entry.pendingDecrease,
            seq: entry.seq,
            acknowledgedNonce: entry.acknowledgedNonce,
            pendingHead: entry.pendingHead,
            pendingTail: entry.pendingTail,
            reportedAt: entry.reportedAt
        });
    }

    /// @notice Key of entry `index` (< entryCount) and its counted amount, reading the entry's second slot
    /// only when decreases are pending.
    function countedAt(AccountCollateral storage self, uint256 index)
        internal
        view
        returns (bytes32 entryKey, LedgerEntry storage entry, uint256 amount)
    {
        uint256 word = self.keyWords[index];
        entryKey = bytes32(word & KEY_MASK);
        entry = self.entries[entryKey];
        amount = word & PENDING_FLAG == 0 ? entry.reportedLocked : counted(entry);
    }

    /// @notice Locked balance the hub may count: reported minus pending decreases.
    function counted(LedgerEntry storage entry) internal view returns (uint256) {
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
        LedgerEntry storage entry = self.entries[entryKey];
        uint32 lastSeq = entry.seq;
        if (seq <= lastSeq) return false;
        if (lastSeq == 0 && !_addKey(self, entryKey)) return false;
        entry.reportedLocked = locked;
        entry.seq = seq;
        entry.acknowledgedNonce = acknowledgedNonce;
        entry.reportedAt = uint32(block.timestamp);
        // Decreases are recorded only against counted collateral, so a new entry has none pending.
        if (lastSeq == 0) return true;

        uint64 head = entry.pendingHead;
        uint64 tail = entry.pendingTail;
        if (head == tail) return true;
        mapping(uint64 => PendingDecrease) storage queue = self.pending[entryKey];
        uint128 cleared;
        while (head < tail && queue[head].cmdNonce <= acknowledgedNonce) {
            cleared += queue[head].amount;
            delete queue[head];
            ++head;
        }
        entry.pendingHead = head;
        entry.pendingDecrease -= cleared;
        // Every decrease acknowledged: nothing is pending (the queue and the sum move together).
        if (head == tail) _setPendingFlag(self, entryKey, false);
        return true;
    }

    /// @notice Records a decrease the hub is about to command and returns its nonce.
    /// @dev The caller has checked `amount ≤ counted(entry)`.
    function recordDecrease(AccountCollateral storage self, uint64 chainId, address asset, uint128 amount)
        internal
        returns (uint64 cmdNonce)
    {
        bytes32 entryKey = key(chainId, asset);
        LedgerEntry storage entry = self.entries[entryKey];
        cmdNonce = ++self.lastCommandNonce[chainId];
        uint64 tail = entry.pendingTail;
        self.pending[entryKey][tail] = PendingDecrease({cmdNonce: cmdNonce, amount: amount});
        entry.pendingTail = tail + 1;
        entry.pendingDecrease += amount;
        if (tail == entry.pendingHead) _setPendingFlag(self, entryKey, true);
    }

    /// @notice Takes the next command nonce for a command that does not lower counted collateral (Lock).
    function nextNonce(AccountCollateral storage self, uint64 chainId) internal returns (uint64) {
        return ++self.lastCommandNonce[chainId];
    }

    /// @dev The entry exists (decreases are recorded and acknowledged only on existing entries).
    function _setPendingFlag(AccountCollateral storage self, bytes32 entryKey, bool pending) private {
        uint256 index;
        while (self.keyWords[index] & KEY_MASK != uint256(entryKey)) ++index;
        uint256 word = self.keyWords[index];
        self.keyWords[index] = pending ? word | PENDING_FLAG : word & ~PENDING_FLAG;
    }

    /// @return added False when the account already has `MAX_ENTRIES` entries.
    function _addKey(AccountCollateral storage self, bytes32 entryKey) private returns (bool added) {
        uint256 first = self.keyWords[0];
        uint256 count = (first >> KEY_BITS) & COUNT_MASK;
        if (count >= MAX_ENTRIES) return false;
        if (count == 0) {
            self.keyWords[0] = (1 << KEY_BITS) | uint256(entryKey);
        } else {
            self.keyWords[count] = uint256(entryKey);
            self.keyWords[0] = first + (1 << KEY_BITS);
        }
        return true;
    }
}
