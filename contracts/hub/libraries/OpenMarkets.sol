// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title OpenMarkets
/// @notice An account's open markets in one word: the count in the low 8 bits, then up to 20 market ids
/// of 12 bits each (248 bits in all), so a health evaluation reads one slot for the whole list.
library OpenMarkets {
    /// @notice Positions per account, bounding the gas of every health evaluation.
    uint256 internal constant MAX = 20;
    /// @notice Market ids must stay below this to fit their 12 bits (`configureMarket` checks it); ids are
    /// assigned in order from 0, so this caps the engine at 4096 markets.
    uint256 internal constant ID_LIMIT = 1 << 12;

    uint256 private constant COUNT_BITS = 8;
    uint256 private constant ID_BITS = 12;
    // A literal: an expression of other constants is evaluated at every use, checked.
    uint256 private constant ID_MASK = 0xfff;

    function count(uint256 list) internal pure returns (uint256) {
        return list & 0xff;
    }

    /// @notice Market id at `index` (< count).
    function at(uint256 list, uint256 index) internal pure returns (uint256) {
        // index < count ≤ 20: the shift is at most 236.
        unchecked {
            return (list >> (COUNT_BITS + index * ID_BITS)) & ID_MASK;
        }
    }

    /// @dev The caller has checked `count(list) < MAX` and `marketId < ID_LIMIT`.
    function push(uint256 list, uint256 marketId) internal pure returns (uint256) {
        return (list | (marketId << (COUNT_BITS + count(list) * ID_BITS))) + 1;
    }

    /// @notice Removes `marketId` (which the list holds), moving the last id into its place.
    function remove(uint256 list, uint256 marketId) internal pure returns (uint256) {
        uint256 last = count(list) - 1;
        uint256 index;
        while (at(list, index) != marketId) ++index;
        uint256 lastShift = COUNT_BITS + last * ID_BITS;
        uint256 lastId = (list >> lastShift) & ID_MASK;
        list &= ~(ID_MASK << lastShift);
        if (index != last) {
            uint256 shift = COUNT_BITS + index * ID_BITS;
            list = (list & ~(ID_MASK << shift)) | (lastId << shift);
        }
        return list - 1;
    }

    /// @notice The list as an array, in order.
    function toArray(uint256 list) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](count(list));
        for (uint256 i; i < ids.length; ++i) {
            ids[i] = at(list, i);
        }
    }
}
