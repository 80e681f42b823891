// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title XmarginTimelock
/// @notice The intended owner of the margin engine and the vaults: every parameter change is
/// scheduled in public and waits at least `getMinDelay()` before it runs; the contracts themselves
/// bound each value. Together: changes are bounded and delayed.
contract XmarginTimelock is TimelockController {
    /// @notice No deployment may run with a shorter delay than this.
    uint256 public constant MIN_DELAY_FLOOR = 1 hours;

    error DelayBelowFloor(uint256 minDelay, uint256 floor);

    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors, address admin)
        TimelockController(minDelay, proposers, executors, admin)
    {
        if (minDelay < MIN_DELAY_FLOOR) revert DelayBelowFloor(minDelay, MIN_DELAY_FLOOR);
    }
}
