// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice The read side of a Chainlink-style price feed (the `AggregatorV3Interface` ABI).
interface IAggregatorV3 {
    /// @notice Number of decimals in `answer`.
    function decimals() external view returns (uint8);

    /// @notice Human-readable pair name, e.g. "ETH / USD".
    function description() external view returns (string memory);

    /// @notice Version of the aggregator implementation.
    function version() external view returns (uint256);

    /// @notice Data of round `round`.
    /// @return roundId Equals `round`.
    /// @return answer The price, `decimals()` decimals.
    /// @return startedAt When the round started.
    /// @return updatedAt When `answer` was last written; 0 while the round is incomplete.
    /// @return answeredInRound The round that computed `answer` (deprecated; equals `roundId` on current feeds).
    function getRoundData(uint80 round)
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);

    /// @notice Data of the latest round, with the same fields as `getRoundData`.
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
}
