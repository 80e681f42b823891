// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @notice Test-only vault asset with open minting and configurable decimals.
contract MockERC4626Asset is ERC20 {
    uint8 private immutable _decimals;

    constructor(uint8 decimals_) ERC20("Mock Asset", "MA") {
        _decimals = decimals_;
    }

    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}

/// @notice Test-only ERC-4626 vault; the share rate rises when assets are minted straight to it (yield or a
/// donation) and falls with `loseAssets` (a loss or slashing).
contract MockERC4626 is ERC4626 {
    address private constant SINK = address(0xdead);
    uint8 private immutable _offset;

    constructor(IERC20 asset_, uint8 decimalsOffset) ERC20("Mock Vault", "MV") ERC4626(asset_) {
        _offset = decimalsOffset;
    }

    function loseAssets(uint256 assets) external {
        SafeERC20.safeTransfer(IERC20(asset()), SINK, assets);
    }

    function _decimalsOffset() internal view override returns (uint8) {
        return _offset;
    }
}
