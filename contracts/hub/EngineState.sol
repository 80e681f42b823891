// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IMarginEngine} from "../interfaces/IMarginEngine.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {AccountCollateral} from "./libraries/CollateralLedger.sol";
import {MarketConfig, MarketState, Position} from "./libraries/PerpMarkets.sol";

/// @notice One account on the hub: settle balance, positions and collateral on every spoke.
struct Account {
    /// USD, 18 decimals; negative is debt to the pool.
    int256 settleBalance;
    bool autoMargin;
    /// Markets with an open position, packed by `OpenMarkets` (one word for up to 20 ids).
    uint256 openMarkets;
    mapping(uint256 marketId => Position) positions;
    AccountCollateral collateral;
}

/// @notice All of the engine's storage, so the logic libraries (called by DELEGATECALL) can share it.
struct EngineState {
    IERC20 settleToken;
    uint8 settleDecimals;
    IPriceOracle oracle;
    address treasury;
    /// What every health evaluation reads of the settings, in one slot.
    HealthSettings settings;
    /// The rest of `RiskParams`, which liquidations read.
    LiquidationParams liquidationParams;
    mapping(uint64 chainId => IMarginEngine.SpokeConfig) spokes;
    mapping(uint64 chainId => mapping(address token => CollateralTokenSlot)) collateralTokens;
    /// Numbers of every token ever configured on a chain, so `registerSpoke` can update the haircut copies.
    mapping(uint64 chainId => uint256[]) chainTokens;
    /// Numbers of the tokens configured with each asset now, so `configureAsset` can update their copies of its terms.
    mapping(uint256 assetId => uint256[]) assetTokens;
    IMarginEngine.AssetConfig[] assets;
    MarketConfig[] marketConfigs;
    /// Keyed by market id like `marketConfigs`, whose length bounds the ids (a mapping: the health
    /// evaluation's reads of known market ids skip an array's length check). Each holds a copy of what valuing
    /// a position needs of its market's config beside the funding index (`PerpMarkets.riskTerms`).
    mapping(uint256 marketId => MarketState) marketStates;
    mapping(address account => Account) accounts;
    /// Counterparty pool of the perps, USD (18 decimals).
    int256 poolBalance;
    uint256 totalLiquidityShares;
    mapping(address provider => uint256) liquidityShares;
    uint256 insuranceFund;
    uint256 socializedLoss;
    /// Price ids of the assets and markets in the order they were first configured: the risk slots and
    /// the price cache refer to a price id by its number here, 16 bits instead of a word of its own.
    bytes32[] priceIds;
    mapping(bytes32 priceId => uint256 numberPlusOne) priceNumbers;
    /// The last oracle read of each numbered price id made by a state-changing path or `refreshPrices`.
    mapping(uint256 priceNumber => CachedPrice) prices;
    /// Key (CollateralLedger.key: chain and address) of every collateral token in the order it was first
    /// configured: accounts keep their entries by a token's number here, 16 bits instead of a word.
    bytes32[] collateralTokenKeys;
    /// What a health evaluation needs of each numbered collateral token, one slot each.
    mapping(uint256 tokenNumber => TokenRiskSlot) tokenRisk;
}

/// @notice Where a report or command finds a (chain, token): whether it is enabled and its number
/// (`collateralTokenKeys`); the rest of `IMarginEngine.CollateralToken` is in its `TokenRiskSlot`.
struct CollateralTokenSlot {
    bool enabled;
    /// Set once the token is numbered (and in `chainTokens`).
    bool listed;
    uint16 number;
}

/// @notice A numbered collateral token's decimals and asset, with copies of its chain's haircut and of its
/// asset's terms: a health evaluation reads each entry's token anyway, so neither the chain nor the asset
/// costs a slot of its own.
struct TokenRiskSlot {
    uint8 decimals;
    uint16 assetId;
    /// δ_c of the token's chain (`spokes`), kept equal to it by `registerSpoke`.
    uint64 haircut;
    /// The asset's weights and price number (`assets`), kept equal to them by `configureAsset`.
    uint64 weightInit;
    uint64 weightMaint;
    uint16 priceNumber;
    /// Whether the asset's size factor is nonzero: only then does an evaluation read it (`assets`), as the
    /// factor does not fit this slot beside the rest.
    bool sizeDiscount;
}

/// @notice The two `RiskParams` a health evaluation takes and the ages it checks, in one slot. Every
/// risk parameter is bounded by 1e18 (`setRiskParams`), so 64 bits hold it.
struct HealthSettings {
    uint64 pnlWeightInit;
    uint64 liquidationBuffer;
    /// Reports older than this block risk-increasing actions (safety rule 5); zero disables the check.
    uint32 maxReportAge;
    /// Cached prices younger than this value `healthOf`; zero disables the cache (every read is live).
    uint32 maxPriceAge;
}

/// @notice The other four `RiskParams`, in one slot (each bounded by 1e18 like those of `HealthSettings`).
struct LiquidationParams {
    uint64 liquidationFee;
    uint64 liquidationFeeInsuranceShare;
    uint64 collateralBonus;
    uint64 collateralBonusProtocolShare;
}

/// @notice One oracle read kept on the engine: price and volatility multipliers in one slot.
/// @dev The risk domain bounds prices below 2^96 and multipliers below 2^64 (types/RiskTypes.sol).
struct CachedPrice {
    uint96 price;
    uint64 kInit;
    uint64 kMaint;
    /// When the read was made; zero when the oracle flagged it stale (such a read is never used from the cache).
    uint32 readAt;
}
