// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Test token with open minting and configurable decimals.
contract TestToken is ERC20 {
    uint8 private immutable _decimals;

    constructor(string memory name_, string memory symbol_, uint8 decimals_) ERC20(name_, symbol_) {
        _decimals = decimals_;
    }

    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}

/// @notice Test token that burns `feeBps` of every transfer, like fee-on-transfer tokens in the wild.
contract FeeOnTransferToken is TestToken {
    uint256 public immutable feeBps;

    constructor(uint256 feeBps_) TestToken("Fee Token", "FEE", 18) {
        feeBps = feeBps_;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) return super._update(from, to, value);
        uint256 burned = value * feeBps / 10_000;
        super._update(from, address(0), burned);
        super._update(from, to, value - burned);
    }
}

/// @notice Test token whose transfers to blacklisted addresses revert, like USDC's blacklist.
contract BlacklistToken is TestToken {
    error Blacklisted(address account);

    mapping(address account => bool) public blacklisted;

    constructor() TestToken("Blacklist USD", "BUSD", 6) {}

    function setBlacklisted(address account, bool value) external {
        blacklisted[account] = value;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blacklisted[to]) revert Blacklisted(to);
        super._update(from, to, value);
    }
}

/// @notice Test token that calls back into a target during transfers, to prove reentrancy guards hold.
contract ReentrantToken is TestToken {
    address public target;
    bytes public callbackData;
    bool public lastCallbackSucceeded;
    bytes public lastCallbackResult;

    constructor() TestToken("Reentrant", "RE", 18) {}

    function arm(address target_, bytes calldata data) external {
        target = target_;
        callbackData = data;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        address armed = target;
        if (armed != address(0) && from != address(0)) {
            target = address(0);
            (lastCallbackSucceeded, lastCallbackResult) = armed.call(callbackData);
        }
    }
}
