// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAggregatorV3} from "../interfaces/IAggregatorV3.sol";

/// @notice Test-only Chainlink-style feed whose rounds the test writes directly.
contract MockAggregatorV3 is IAggregatorV3 {
    struct Round {
        int256 answer;
        uint256 startedAt;
        uint256 updatedAt;
        uint80 answeredInRound;
    }

    uint8 public immutable decimals;
    uint80 public latestRound;
    mapping(uint80 roundId => Round) private _rounds;

    constructor(uint8 decimals_, int256 initialAnswer) {
        decimals = decimals_;
        setAnswer(initialAnswer);
    }

    /// @notice Publishes `answer` in a new, complete round updated now.
    function setAnswer(int256 answer) public {
        uint80 roundId = latestRound + 1;
        setRound(roundId, answer, block.timestamp, block.timestamp, roundId);
    }

    /// @notice Writes any round and makes it the latest, for staleness and malformed-round cases.
    function setRound(uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
        public
    {
        latestRound = roundId;
        _rounds[roundId] = Round(answer, startedAt, updatedAt, answeredInRound);
    }

    function description() external pure returns (string memory) {
        return "MOCK / USD";
    }

    function version() external pure returns (uint256) {
        return 4;
    }

    function getRoundData(uint80 round)
        public
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        Round storage data = _rounds[round];
        return (round, data.answer, data.startedAt, data.updatedAt, data.answeredInRound);
    }

    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        return getRoundData(latestRound);
    }
}
