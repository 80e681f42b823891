// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {HealthBreakdown} from "../types/RiskTypes.sol";

/// @title IMarginEngine
/// @notice The hub: one balance sheet per account over collateral on every spoke, the settle
/// balance and every perp position; it alone decides releases, locks and liquidations.
interface IMarginEngine {
    /// @notice A spoke chain and its bridge-risk haircut.
    struct SpokeConfig {
        bool registered;
        uint64 haircut;
    }

    /// @notice A collateral asset's risk parameters; the same asset may live on several chains.
    struct AssetConfig {
        bytes32 priceId;
        uint64 weightInit;
        uint64 weightMaint;
        uint64 sizeFactor;
    }

    /// @notice Maps a token on a chain to its risk asset.
    struct CollateralToken {
        bool enabled;
        uint8 decimals;
        uint16 assetId;
    }

    /// @notice A market's open interest per side, funding index and Σ size·entry price, as `marketState`
    /// returns them (the engine keeps them packed tighter).
    struct MarketStatus {
        uint128 longOpenInterest;
        uint128 shortOpenInterest;
        /// Cumulative funding per unit of long size, USD (18 decimals); longs pay when it rises.
        int128 fundingIndex;
        uint64 lastFundingAt;
        int256 sizeTimesEntry;
    }

    /// @notice A signed request to release collateral, submitted by anyone (e.g. a relayer).
    struct ReleaseIntent {
        address account;
        uint64 chainId;
        address asset;
        uint256 amount;
        address to;
        uint256 nonce;
        uint256 deadline;
    }

    // ------------------------------------------------------------------ errors

    error ZeroAmount();
    error UnknownSpoke(uint64 chainId);
    error UnknownCollateral(uint64 chainId, address asset);
    error UnknownMarket(uint256 marketId);
    error UnknownAsset(uint256 assetId);
    error ParameterOutOfBounds(bytes32 parameter, uint256 value);
    error InsufficientCollateral(uint64 chainId, address asset, uint256 counted, uint256 requested);
    error InsufficientSettleCredit(uint256 credit, uint256 requested);
    error InitialHealthViolated(int256 healthInit);
    error StalePrice(bytes32 priceId);
    /// @notice The last report of a counted entry is older than the maximum report age.
    error StaleReport(uint64 chainId, address asset);
    error NotLiquidatable(int256 healthMaint);
    error NothingToLiquidate();
    error NoDebt(address account);
    error NotBankrupt(address account);
    error LotSizeViolated(uint256 marketId, int256 sizeDelta, uint256 lotSize);
    error OpenInterestCapExceeded(uint256 marketId, uint256 openInterest, uint256 cap);
    error PriceLimitExceeded(uint256 price, uint256 limitPrice);
    error IntentExpired(uint256 deadline);
    error InvalidSignature(address account);
    error InsufficientMessagingFee(uint256 required, uint256 paid);
    error AutoMarginNotEnabled(address account);
    error AutoMarginNotNeeded(int256 healthInit);
    error InsufficientPoolLiquidity(int256 poolValue, uint256 requested);
    error InsufficientShares(uint256 shares, uint256 requested);
    error TooManyPositions(address account);
    error RefundFailed(address to);
    /// @notice `refreshPrices` while `maxPriceAge` is zero (the cache is off: every read is live).
    error PriceCacheDisabled();
    /// @notice `refreshPrices` of a price id no asset or market uses (the cache keeps only those).
    error UnusedPriceId(bytes32 priceId);

    // ------------------------------------------------------------------ events

    event SpokeRegistered(uint64 indexed chainId, uint64 haircut);
    event AssetConfigured(uint256 indexed assetId, bytes32 priceId, uint64 weightInit, uint64 weightMaint, uint64 sizeFactor);
    event CollateralTokenConfigured(uint64 indexed chainId, address indexed token, uint16 assetId, uint8 decimals, bool enabled);
    event MarketConfigured(uint256 indexed marketId, bytes32 priceId);
    event RiskParamsSet();
    event OracleSet(address indexed oracle);
    event TreasurySet(address indexed treasury);
    event MaxReportAgeSet(uint32 maxReportAge);
    event MaxPriceAgeSet(uint32 maxPriceAge);
    /// @notice An oracle read entered the engine's price cache (`stale` reads are kept but never used from it).
    event PriceCached(bytes32 indexed priceId, uint256 price, uint256 kInit, uint256 kMaint, bool stale);

    event BalanceReportApplied(
        address indexed account, uint64 indexed chainId, address indexed asset, uint256 locked, uint32 seq, uint64 acknowledgedNonce
    );
    event BalanceReportIgnored(address indexed account, uint64 indexed chainId, address indexed asset, uint32 seq);
    event CommandSent(address indexed account, uint64 indexed chainId, uint64 indexed cmdNonce, uint8 kind, address asset, uint256 amount, address to);

    event SettleDeposited(address indexed account, address indexed from, uint256 amount);
    event SettleWithdrawn(address indexed account, address indexed to, uint256 amount);
    event PositionChanged(
        address indexed account, uint256 indexed marketId, int256 sizeDelta, int256 newSize, uint256 price, int256 realizedPnl, int256 fundingPaid, uint256 fee
    );
    event ReleaseRequested(address indexed account, uint64 indexed chainId, address indexed asset, uint256 amount, address to, uint64 cmdNonce);
    event PerpLiquidated(
        address indexed account, uint256 indexed marketId, address indexed liquidator, uint256 size, uint256 price, uint256 feeToLiquidator, uint256 feeToInsurance
    );
    event CollateralLiquidated(
        address indexed account, uint64 indexed chainId, address indexed liquidator, address asset, uint256 repay, uint256 seizedToLiquidator, uint256 seizedToProtocol
    );
    event BadDebtResolved(address indexed account, uint256 debt, uint256 coveredByInsurance, uint256 socialized);
    event AutoMarginSet(address indexed account, bool enabled);
    event LiquidityDeposited(address indexed provider, uint256 amount, uint256 shares);
    event LiquidityWithdrawn(address indexed provider, address indexed to, uint256 amount, uint256 shares);
    event InsuranceFunded(address indexed from, uint256 amount);

    // ------------------------------------------------------------------ trader actions

    /// @notice Credits `amount` settle tokens to `account`'s settle balance (repays debt first by construction).
    function depositSettle(address account, uint256 amount) external;

    /// @notice Withdraws settle credit to `to`; allowed only if `H^init ≥ 0` after.
    function withdrawSettle(uint256 amount, address to) external;

    /// @notice Opens, increases, reduces, closes or flips the caller's position at the oracle price.
    /// @param sizeDelta Signed base size (18 decimals), a multiple of the market's lot size.
    /// @param limitPrice Worst acceptable price (upper bound when buying, lower when selling); 0 for none.
    function trade(uint256 marketId, int256 sizeDelta, uint256 limitPrice) external;

    /// @notice Releases `amount` of locked collateral on `chainId` to `to` (zero `to`: make it free on the spoke).
    /// @dev Allowed only if `H^init ≥ 0` without it; the decrease is pending at once. `msg.value` pays the message.
    function requestRelease(uint64 chainId, address asset, uint256 amount, address to) external payable;

    /// @notice `requestRelease` authorised by the account's EIP-712 signature; anyone may submit it.
    function requestReleaseWithSig(ReleaseIntent calldata intent, bytes calldata signature) external payable;

    /// @notice Opts in or out of auto-margin (keepers may lock free spoke balance near maintenance).
    function setAutoMargin(bool enabled) external;

    // ------------------------------------------------------------------ keepers

    /// @notice Closes part of a position of an account with `H^maint < 0`, sized by the spec.
    function liquidatePerp(address account, uint256 marketId) external returns (uint256 size);

    /// @notice Repays an unhealthy account's settle debt and seizes its collateral on `chainId` in return.
    /// @dev The liquidator pays settle tokens here and receives collateral on the spoke by `Seize`.
    function liquidateCollateral(address account, uint64 chainId, address asset, uint256 maxRepay)
        external
        payable
        returns (uint256 repaid);

    /// @notice Writes off the debt of an account with nothing left: insurance first, the rest socialised.
    function resolveBadDebt(address account) external;

    /// @notice Sends a `Lock` of up to `amount` of `account`'s free balance on `chainId` when it opted in
    /// and its initial health is negative.
    function autoMarginLock(address account, uint64 chainId, address asset, uint256 amount) external payable;

    // ------------------------------------------------------------------ liquidity pool

    function depositLiquidity(uint256 amount) external returns (uint256 shares);

    function withdrawLiquidity(uint256 shares, address to) external returns (uint256 amount);

    function fundInsurance(uint256 amount) external;

    // ------------------------------------------------------------------ price cache

    /// @notice Reads `priceIds` from the oracle into the engine's price cache, which `healthOf` reads.
    /// Each must be the price id of a configured asset or market.
    function refreshPrices(bytes32[] calldata priceIds) external;

    // ------------------------------------------------------------------ views

    /// @notice The whole risk breakdown of `account` (SPEC.md) at the cached price of each id read at most
    /// `maxPriceAge` seconds ago, and at the oracle's current price otherwise (always, while `maxPriceAge` is 0).
    function healthOf(address account) external view returns (HealthBreakdown memory);
}
