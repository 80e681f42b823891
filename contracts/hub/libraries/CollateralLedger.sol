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

/// @notice A `CollateralEntry` in storage, under its token's number (`EngineState.collateralTokenKeys`,
/// which holds the chain and asset): a report writes the first slot only (unless it clears pending
/// decreases), a health evaluation reads both.
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
    /// The entries' token numbers, 16-bit lanes, 15 entries per word in lanes 1 to 15; lane 0 of word 0
    /// holds the number of entries, so an account's first 15 entries cost one slot here (fresh for the
    /// first) and a health evaluation reads one word for them. The top bit of an entry's lane is set
    /// while it has pending decreases: a health evaluation reads the entry's second slot
    /// (`pendingDecrease`) only then.
    mapping(uint256 index => uint256) numberWords;
    mapping(uint256 tokenNumber => LedgerEntry) entries;
    mapping(uint256 tokenNumber => mapping(uint64 index => PendingDecrease)) pending;
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
    /// @notice Token numbers must stay below this to fit a lane beside its pending flag
    /// (`configureCollateralToken` checks it).
    uint256 internal constant NUMBER_LIMIT = 1 << 15;

    uint256 private constant LANE_BITS = 16;
    uint256 private constant LANES_PER_WORD = 15;
    // The masks are literals: an expression of other constants is evaluated at every use, checked.
    uint256 private constant NUMBER_MASK = 0x7fff;
    uint256 private constant PENDING_FLAG = 1 << 15;
    uint256 private constant COUNT_MASK = 0xffff;

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
        return countIn(self.numberWords[0]);
    }

    /// @notice Number of entries of the account whose first list word (`wordOf(0)`) is `firstWord`.
    function countIn(uint256 firstWord) internal pure returns (uint256) {
        return firstWord & COUNT_MASK;
    }

    /// @notice The word holding the lane of entry `index`; word 0 also holds the entry count.
    function wordOf(AccountCollateral storage self, uint256 index) internal view returns (uint256) {
        return self.numberWords[index / LANES_PER_WORD];
    }

    /// @notice The word holding entry `index`, given `word`, the one holding entry `index - 1` (word 0 for
    /// entry 0): a loop over the entries reads each word once.
    function nextWord(AccountCollateral storage self, uint256 word, uint256 index) internal view returns (uint256) {
        return index % LANES_PER_WORD == 0 && index != 0 ? self.numberWords[index / LANES_PER_WORD] : word;
    }

    /// @notice The lane of entry `index` in its word (`wordOf`): token number and pending flag.
    function laneOf(uint256 word, uint256 index) internal pure returns (uint256) {
        // The shift is at most 240 whatever the index.
        unchecked {
            return (word >> (LANE_BITS * (index % LANES_PER_WORD + 1))) & COUNT_MASK;
        }
    }

    /// @notice Token number of entry `index` (< entryCount).
    function numberAt(AccountCollateral storage self, uint256 index) internal view returns (uint256) {
        return laneOf(wordOf(self, index), index) & NUMBER_MASK;
    }

    /// @notice The entry in `lane` (`laneOf`), its token number and counted amount, reading the entry's
    /// second slot only when decreases are pending.
    function countedIn(AccountCollateral storage self, uint256 lane)
        internal
        view
        returns (uint256 tokenNumber, LedgerEntry storage entry, uint256 amount)
    {
        tokenNumber = lane & NUMBER_MASK;
        entry = self.entries[tokenNumber];
        amount = lane & PENDING_FLAG == 0 ? entry.reportedLocked : counted(entry);
    }

    /// @notice The entry in the form `collateralOf` returns; `entryKey` is its token's key.
    function describe(LedgerEntry storage entry, bytes32 entryKey) internal view returns (CollateralEntry memory) {
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

    /// @notice Locked balance the hub may count: reported minus pending decreases.
    function counted(LedgerEntry storage entry) internal view returns (uint256) {
        uint256 reported = entry.reportedLocked;
        uint256 pendingDecrease = entry.pendingDecrease;
        // Saturates: a spoke that executed less than commanded reports less, never more.
        return reported > pendingDecrease ? reported - pendingDecrease : 0;
    }

    /// @notice Applies a report of the token numbered `tokenNumber` (its chain and asset).
    /// @return applied False when the report is not newer than the last one (or the account has no room).
    function applyReport(
        AccountCollateral storage self,
        uint256 tokenNumber,
        uint128 locked,
        uint32 seq,
        uint64 acknowledgedNonce
    ) internal returns (bool applied) {
        LedgerEntry storage entry = self.entries[tokenNumber];
        uint32 lastSeq = entry.seq;
        if (seq <= lastSeq) return false;
        if (lastSeq == 0 && !_addNumber(self, tokenNumber)) return false;
        entry.reportedLocked = locked;
        entry.seq = seq;
        entry.acknowledgedNonce = acknowledgedNonce;
        entry.reportedAt = uint32(block.timestamp);
        // Decreases are recorded only against counted collateral, so a new entry has none pending.
        if (lastSeq == 0) return true;

        uint64 head = entry.pendingHead;
        uint64 tail = entry.pendingTail;
        if (head == tail) return true;
        mapping(uint64 => PendingDecrease) storage queue = self.pending[tokenNumber];
        uint128 cleared;
        while (head < tail && queue[head].cmdNonce <= acknowledgedNonce) {
            cleared += queue[head].amount;
            delete queue[head];
            ++head;
        }
        entry.pendingHead = head;
        entry.pendingDecrease -= cleared;
        // Every decrease acknowledged: nothing is pending (the queue and the sum move together).
        if (head == tail) _setPendingFlag(self, tokenNumber, false);
        return true;
    }

    /// @notice Records a decrease of the entry of token `tokenNumber` on `chainId` that the hub is about
    /// to command, and returns its nonce.
    /// @dev The caller has checked `amount ≤ counted(entry)`.
    function recordDecrease(AccountCollateral storage self, uint64 chainId, uint256 tokenNumber, uint128 amount)
        internal
        returns (uint64 cmdNonce)
    {
        LedgerEntry storage entry = self.entries[tokenNumber];
        cmdNonce = ++self.lastCommandNonce[chainId];
        uint64 tail = entry.pendingTail;
        self.pending[tokenNumber][tail] = PendingDecrease({cmdNonce: cmdNonce, amount: amount});
        entry.pendingTail = tail + 1;
        entry.pendingDecrease += amount;
        if (tail == entry.pendingHead) _setPendingFlag(self, tokenNumber, true);
    }

    /// @notice Takes the next command nonce for a command that does not lower counted collateral (Lock).
    function nextNonce(AccountCollateral storage self, uint64 chainId) internal returns (uint64) {
        return ++self.lastCommandNonce[chainId];
    }

    /// @dev The entry exists (decreases are recorded and acknowledged only on existing entries).
    function _setPendingFlag(AccountCollateral storage self, uint256 tokenNumber, bool pending) private {
        uint256 wordIndex;
        uint256 word = self.numberWords[0];
        uint256 shift = LANE_BITS;
        // The entry's lane comes before any empty one (whose zero could match token number 0).
        while ((word >> shift) & NUMBER_MASK != tokenNumber) {
            unchecked {
                shift += LANE_BITS;
            }
            if (shift == 256) {
                shift = LANE_BITS;
                word = self.numberWords[++wordIndex];
            }
        }
        uint256 flag = PENDING_FLAG << shift;
        self.numberWords[wordIndex] = pending ? word | flag : word & ~flag;
    }

    /// @return added False when the account already has `MAX_ENTRIES` entries.
    function _addNumber(AccountCollateral storage self, uint256 tokenNumber) private returns (bool added) {
        uint256 first = self.numberWords[0];
        uint256 count = first & COUNT_MASK;
        if (count >= MAX_ENTRIES) return false;
        uint256 lane = tokenNumber << (LANE_BITS * (count % LANES_PER_WORD + 1));
        if (count < LANES_PER_WORD) {
            self.numberWords[0] = (first | lane) + 1;
        } else {
            self.numberWords[count / LANES_PER_WORD] |= lane;
            self.numberWords[0] = first + 1;
        }
        return true;
    }
}
