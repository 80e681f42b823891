// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IMarginEngine} from "../interfaces/IMarginEngine.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {RiskParams} from "../types/RiskTypes.sol";
import {AccountCollateral} from "./libraries/CollateralLedger.sol";
import {MarketConfig, MarketState, Position} from "./libraries/PerpMarkets.sol";

/// @notice One account on the hub: settle balance, positions and collateral on every spoke.
struct Account {
    /// USD, 18 decimals; negative is debt to the pool.
    int256 settleBalance;
    bool autoMargin;
    uint256[] openMarkets;
    mapping(uint256 marketId => Position) positions;
    AccountCollateral collateral;
}

/// @notice All of the engine's storage, so the logic libraries (called by DELEGATECALL) can share it.
struct EngineState {
    IERC20 settleToken;
    uint8 settleDecimals;
    IPriceOracle oracle;
    address treasury;
    /// Reports older than this block risk-increasing actions (safety rule 5); zero disables the check.
    uint32 maxReportAge;
    RiskParams riskParams;
    mapping(uint64 chainId => IMarginEngine.SpokeConfig) spokes;
    mapping(uint64 chainId => mapping(address token => IMarginEngine.CollateralToken)) collateralTokens;
    IMarginEngine.AssetConfig[] assets;
    MarketConfig[] marketConfigs;
    MarketState[] marketStates;
    mapping(address account => Account) accounts;
    /// Counterparty pool of the perps, USD (18 decimals).
    int256 poolBalance;
    uint256 totalLiquidityShares;
    mapping(address provider => uint256) liquidityShares;
    uint256 insuranceFund;
    uint256 socializedLoss;
}
