// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20, SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IMarginEngine} from "../interfaces/IMarginEngine.sol";
import {IMessenger} from "../interfaces/IMessenger.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {MessageCodec} from "../messaging/MessageCodec.sol";
import {MessagingApp} from "../messaging/MessagingApp.sol";
import {BalanceReport, Command, Envelope, MessageType} from "../types/Messages.sol";
import {HealthBreakdown, RiskParams} from "../types/RiskTypes.sol";
import {
    Account, CachedPrice, CollateralTokenSlot, EngineState, LiquidationParams, TokenRiskSlot
} from "./EngineState.sol";
import {AccountRisk} from "./libraries/AccountRisk.sol";
import {AccountCollateral, CollateralEntry, CollateralLedger, LedgerEntry} from "./libraries/CollateralLedger.sol";
import {FixedPoint} from "../libraries/FixedPoint.sol";
import {MarketConfig, MarketState, PerpMarkets, Position} from "./libraries/PerpMarkets.sol";
import {OpenMarkets} from "./libraries/OpenMarkets.sol";
import {ReleaseIntents} from "./libraries/ReleaseIntents.sol";
import {CollateralLiquidationPlan, LiquidationLogic} from "./logic/LiquidationLogic.sol";
import {RiskViews} from "./logic/RiskViews.sol";
import {TradingLogic} from "./logic/TradingLogic.sol";

/// @title MarginEngine
/// @notice The hub of xmargin (see IMarginEngine): the controller of every spoke vault. A small core
/// over `EngineState`: messaging, the collateral ledger, settle balances, releases and commands; the
/// perp venue, liquidations and risk views run in linked libraries on the same storage.
/// Parameter setters are bounded; the owner is meant to be a timelock, so changes are also delayed.
contract MarginEngine is IMarginEngine, MessagingApp, Ownable2Step, EIP712, Nonces, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using FixedPoint for uint256;
    using CollateralLedger for AccountCollateral;
    using CollateralLedger for LedgerEntry;

    EngineState internal s;

    constructor(address owner_, IERC20 settleToken_, uint8 settleDecimals_, IPriceOracle oracle_, IMessenger messenger_)
        Ownable(owner_)
        EIP712("xmargin MarginEngine", "1")
    {
        s.settleToken = settleToken_;
        s.settleDecimals = settleDecimals_;
        s.oracle = oracle_;
        s.treasury = owner_;
        _setMessenger(messenger_);
        // The hub chain holds collateral too (through a same-chain vault), without a bridge haircut.
        s.spokes[localChainId] = SpokeConfig({registered: true, haircut: 0});
    }

    // ================================================================== owner (bounded)

    function setMessenger(IMessenger newMessenger) external onlyOwner {
        _setMessenger(newMessenger);
    }

    function setOracle(IPriceOracle newOracle) external onlyOwner {
        s.oracle = newOracle;
        emit OracleSet(address(newOracle));
    }

    function setTreasury(address newTreasury) external onlyOwner {
        s.treasury = newTreasury;
        emit TreasurySet(newTreasury);
    }

    /// @notice Reports older than `maxReportAge` block risk-increasing actions; 0 disables the check.
    function setMaxReportAge(uint32 age) external onlyOwner {
        if (age != 0 && (age < 1 hours || age > 365 days)) {
            revert ParameterOutOfBounds("maxReportAge", age);
        }
        s.settings.maxReportAge = age;
        emit MaxReportAgeSet(age);
    }

    /// @notice `healthOf` reads cached prices up to `maxPriceAge` seconds old; 0 turns the cache off.
    /// State-changing paths always read the oracle live (and refill the cache).
    function setMaxPriceAge(uint32 age) external onlyOwner {
        if (age > 1 hours) revert ParameterOutOfBounds("maxPriceAge", age);
        s.settings.maxPriceAge = age;
        emit MaxPriceAgeSet(age);
    }

    function setRiskParams(RiskParams calldata params) external onlyOwner {
        _bounded("pnlWeightInit", params.pnlWeightInit, 1e18);
        _bounded("liquidationBuffer", params.liquidationBuffer, 0.2e18);
        _bounded("liquidationFee", params.liquidationFee, 0.1e18);
        _bounded("liquidationFeeInsuranceShare", params.liquidationFeeInsuranceShare, 1e18);
        _bounded("collateralBonus", params.collateralBonus, 0.25e18);
        _bounded("collateralBonusProtocolShare", params.collateralBonusProtocolShare, 1e18);
        // Each bound above is at most 1e18, so every parameter fits its 64 bits.
        s.settings.pnlWeightInit = uint64(params.pnlWeightInit);
        s.settings.liquidationBuffer = uint64(params.liquidationBuffer);
        s.liquidationParams = LiquidationParams({
            liquidationFee: uint64(params.liquidationFee),
            liquidationFeeInsuranceShare: uint64(params.liquidationFeeInsuranceShare),
            collateralBonus: uint64(params.collateralBonus),
            collateralBonusProtocolShare: uint64(params.collateralBonusProtocolShare)
        });
        emit RiskParamsSet();
    }

    /// @dev Also updates the haircut copy of every token configured on the chain (owner-bounded list).
    function registerSpoke(uint64 chainId, uint64 haircut) external onlyOwner {
        _bounded("haircut", haircut, 0.5e18);
        s.spokes[chainId] = SpokeConfig({registered: true, haircut: haircut});
        uint256[] storage numbers = s.chainTokens[chainId];
        for (uint256 i; i < numbers.length; ++i) {
            s.tokenRisk[numbers[i]].haircut = haircut;
        }
        emit SpokeRegistered(chainId, haircut);
    }

    /// @notice Adds (assetId = count) or updates a collateral asset.
    /// @dev Also updates the copy of its terms in every token of the asset (owner-bounded list).
    function configureAsset(uint256 assetId, AssetConfig calldata config) external onlyOwner {
        _bounded("weightInit", config.weightInit, config.weightMaint);
        _bounded("weightMaint", config.weightMaint, 1e18);
        _bounded("assetSizeFactor", config.sizeFactor, 0.1e18);
        if (assetId == s.assets.length) s.assets.push(config);
        else if (assetId < s.assets.length) s.assets[assetId] = config;
        else revert UnknownAsset(assetId);
        uint16 priceNumber = AccountRisk.priceNumber(s, config.priceId);
        bool sizeDiscount = config.sizeFactor != 0;
        uint256[] storage numbers = s.assetTokens[assetId];
        for (uint256 i; i < numbers.length; ++i) {
            TokenRiskSlot storage risk = s.tokenRisk[numbers[i]];
            (risk.weightInit, risk.weightMaint, risk.priceNumber, risk.sizeDiscount) =
                (config.weightInit, config.weightMaint, priceNumber, sizeDiscount);
        }
        emit AssetConfigured(assetId, config.priceId, config.weightInit, config.weightMaint, config.sizeFactor);
    }

    function configureCollateralToken(uint64 chainId, address token, uint16 assetId, uint8 decimals, bool enabled)
        external
        onlyOwner
    {
        if (!s.spokes[chainId].registered) revert UnknownSpoke(chainId);
        if (assetId >= s.assets.length) revert UnknownAsset(assetId);
        CollateralTokenSlot storage slot = s.collateralTokens[chainId][token];
        uint256 number = slot.number;
        if (!slot.listed) {
            number = s.collateralTokenKeys.length;
            // Account ledgers keep token numbers in 15 bits.
            _bounded("collateralTokens", number, CollateralLedger.NUMBER_LIMIT - 1);
            s.collateralTokenKeys.push(CollateralLedger.key(chainId, token));
            s.chainTokens[chainId].push(number);
            s.assetTokens[assetId].push(number);
        } else {
            uint256 previousAsset = s.tokenRisk[number].assetId;
            if (previousAsset != assetId) _moveToken(number, previousAsset, assetId);
        }
        s.collateralTokens[chainId][token] =
            CollateralTokenSlot({enabled: enabled, listed: true, number: uint16(number)});
        AssetConfig storage asset = s.assets[assetId];
        s.tokenRisk[number] = TokenRiskSlot({
            decimals: decimals,
            assetId: assetId,
            haircut: s.spokes[chainId].haircut,
            weightInit: asset.weightInit,
            weightMaint: asset.weightMaint,
            priceNumber: AccountRisk.priceNumber(s, asset.priceId),
            sizeDiscount: asset.sizeFactor != 0
        });
        emit CollateralTokenConfigured(chainId, token, assetId, decimals, enabled);
    }

    /// @notice Adds (marketId = count) or updates a perp market; funding accrues under the old parameters first.
    function configureMarket(uint256 marketId, MarketConfig calldata config) external onlyOwner {
        TradingLogic.configureMarket(s, marketId, config);
    }

    // ================================================================== settle balance

    /// @inheritdoc IMarginEngine
    function depositSettle(address account, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        s.accounts[account].settleBalance += int256(amount.toWadDown(s.settleDecimals));
        emit SettleDeposited(account, msg.sender, amount);
        s.settleToken.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IMarginEngine
    function withdrawSettle(uint256 amount, address to) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Account storage account = s.accounts[msg.sender];
        uint256 debit = amount.toWadDown(s.settleDecimals);
        uint256 credit = account.settleBalance > 0 ? uint256(account.settleBalance) : 0;
        if (debit > credit) revert InsufficientSettleCredit(credit, debit);
        account.settleBalance -= int256(debit);
        RiskViews.requireInitialHealth(s, msg.sender);
        emit SettleWithdrawn(msg.sender, to, amount);
        s.settleToken.safeTransfer(to, amount);
    }

    // ================================================================== trading and liquidity

    /// @inheritdoc IMarginEngine
    function trade(uint256 marketId, int256 sizeDelta, uint256 limitPrice) external nonReentrant {
        TradingLogic.trade(s, msg.sender, marketId, sizeDelta, limitPrice);
    }

    /// @inheritdoc IMarginEngine
    function depositLiquidity(uint256 amount) external nonReentrant returns (uint256) {
        return TradingLogic.depositLiquidity(s, msg.sender, amount);
    }

    /// @inheritdoc IMarginEngine
    function withdrawLiquidity(uint256 shares, address to) external nonReentrant returns (uint256) {
        return TradingLogic.withdrawLiquidity(s, msg.sender, shares, to);
    }

    /// @inheritdoc IMarginEngine
    function fundInsurance(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        s.insuranceFund += amount.toWadDown(s.settleDecimals);
        emit InsuranceFunded(msg.sender, amount);
        s.settleToken.safeTransferFrom(msg.sender, address(this), amount);
    }

    // ================================================================== collateral release

    /// @inheritdoc IMarginEngine
    function requestRelease(uint64 chainId, address asset, uint256 amount, address to) external payable nonReentrant {
        _release(msg.sender, chainId, asset, amount, to);
    }

    /// @inheritdoc IMarginEngine
    function requestReleaseWithSig(ReleaseIntent calldata intent, bytes calldata signature)
        external
        payable
        nonReentrant
    {
        ReleaseIntents.verify(_domainSeparatorV4(), intent, signature);
        _useCheckedNonce(intent.account, intent.nonce);
        _release(intent.account, intent.chainId, intent.asset, intent.amount, intent.to);
    }

    function _release(address account, uint64 chainId, address asset, uint256 amount, address to) internal {
        if (amount == 0) revert ZeroAmount();
        CollateralTokenSlot memory token = s.collateralTokens[chainId][asset];
        if (!token.enabled) revert UnknownCollateral(chainId, asset);
        AccountCollateral storage collateral = s.accounts[account].collateral;
        uint256 counted = collateral.entries[token.number].counted();
        if (amount > counted) revert InsufficientCollateral(chainId, asset, counted, amount);

        // The decrease is pending before the health check, so the check sees the account without it.
        uint64 cmdNonce = collateral.recordDecrease(chainId, token.number, uint128(amount));
        RiskViews.requireInitialHealth(s, account);
        emit ReleaseRequested(account, chainId, asset, amount, to, cmdNonce);
        uint256 spent = _sendCommand(account, chainId, MessageType.Release, asset, amount, to, cmdNonce, msg.value);
        _refund(msg.value - spent);
    }

    // ================================================================== auto-margin

    /// @inheritdoc IMarginEngine
    function setAutoMargin(bool enabled) external {
        s.accounts[msg.sender].autoMargin = enabled;
        emit AutoMarginSet(msg.sender, enabled);
    }

    /// @inheritdoc IMarginEngine
    function autoMarginLock(address account, uint64 chainId, address asset, uint256 amount)
        external
        payable
        nonReentrant
    {
        Account storage state = s.accounts[account];
        if (!state.autoMargin) revert AutoMarginNotEnabled(account);
        if (!s.collateralTokens[chainId][asset].enabled) revert UnknownCollateral(chainId, asset);
        if (amount == 0) revert ZeroAmount();
        RiskViews.requireAutoMarginNeeded(s, account);
        uint64 cmdNonce = state.collateral.nextNonce(chainId);
        uint256 spent = _sendCommand(account, chainId, MessageType.Lock, asset, amount, address(0), cmdNonce, msg.value);
        _refund(msg.value - spent);
    }

    // ================================================================== liquidation

    /// @inheritdoc IMarginEngine
    function liquidatePerp(address account, uint256 marketId) external nonReentrant returns (uint256) {
        return LiquidationLogic.liquidatePerp(s, msg.sender, account, marketId);
    }

    /// @inheritdoc IMarginEngine
    function liquidateCollateral(address account, uint64 chainId, address asset, uint256 maxRepay)
        external
        payable
        nonReentrant
        returns (uint256)
    {
        CollateralLiquidationPlan memory plan =
            LiquidationLogic.planCollateralLiquidation(s, account, chainId, asset, maxRepay);

        AccountCollateral storage collateral = s.accounts[account].collateral;
        s.accounts[account].settleBalance += int256(plan.payTokens.toWadDown(s.settleDecimals));
        uint64 liquidatorNonce = collateral.recordDecrease(chainId, plan.tokenNumber, uint128(plan.toLiquidator));
        uint64 protocolNonce =
            plan.toProtocol == 0 ? 0 : collateral.recordDecrease(chainId, plan.tokenNumber, uint128(plan.toProtocol));
        emit CollateralLiquidated(account, chainId, msg.sender, asset, plan.payTokens, plan.toLiquidator, plan.toProtocol);

        s.settleToken.safeTransferFrom(msg.sender, address(this), plan.payTokens);
        uint256 spent = _sendCommand(
            account, chainId, MessageType.Seize, asset, plan.toLiquidator, msg.sender, liquidatorNonce, msg.value
        );
        if (protocolNonce != 0) {
            spent += _sendCommand(
                account, chainId, MessageType.Seize, asset, plan.toProtocol, s.treasury, protocolNonce, msg.value - spent
            );
        }
        _refund(msg.value - spent);
        return plan.payTokens;
    }

    /// @inheritdoc IMarginEngine
    function resolveBadDebt(address account) external nonReentrant {
        LiquidationLogic.resolveBadDebt(s, account);
    }

    // ================================================================== price cache

    /// @inheritdoc IMarginEngine
    function refreshPrices(bytes32[] calldata priceIds) external {
        RiskViews.refreshPrices(s, priceIds);
    }

    // ================================================================== views

    /// @inheritdoc IMarginEngine
    function healthOf(address account) external view returns (HealthBreakdown memory) {
        RiskViews.healthOf(s, account);
        // RiskViews returned the breakdown ABI-encoded (it declares no return values): passed on as it is.
        assembly ("memory-safe") {
            let data := mload(0x40)
            returndatacopy(data, 0, returndatasize())
            return(data, returndatasize())
        }
    }

    function poolValue() external view returns (int256) {
        return TradingLogic.poolValue(s);
    }

    function settleToken() external view returns (IERC20) {
        return s.settleToken;
    }

    function oracle() external view returns (IPriceOracle) {
        return s.oracle;
    }

    function treasury() external view returns (address) {
        return s.treasury;
    }

    function maxReportAge() external view returns (uint32) {
        return s.settings.maxReportAge;
    }

    function maxPriceAge() external view returns (uint32) {
        return s.settings.maxPriceAge;
    }

    /// @notice The cache entry of `priceId`, empty for an id no asset or market uses.
    function cachedPrice(bytes32 priceId) external view returns (CachedPrice memory cached) {
        uint256 numberPlusOne = s.priceNumbers[priceId];
        if (numberPlusOne != 0) cached = s.prices[numberPlusOne - 1];
    }

    function riskParams() external view returns (RiskParams memory) {
        return AccountRisk.riskParams(s);
    }

    function spoke(uint64 chainId) external view returns (SpokeConfig memory) {
        return s.spokes[chainId];
    }

    function collateralToken(uint64 chainId, address token) external view returns (CollateralToken memory) {
        CollateralTokenSlot memory slot = s.collateralTokens[chainId][token];
        TokenRiskSlot memory risk;
        // An unconfigured token has no number of its own (number 0 belongs to the first configured token).
        if (slot.listed) risk = s.tokenRisk[slot.number];
        return CollateralToken({enabled: slot.enabled, decimals: risk.decimals, assetId: risk.assetId});
    }

    function assetConfig(uint256 assetId) external view returns (AssetConfig memory) {
        return s.assets[assetId];
    }

    function marketConfig(uint256 marketId) external view returns (MarketConfig memory) {
        return s.marketConfigs[marketId];
    }

    function marketState(uint256 marketId) external view returns (MarketStatus memory) {
        if (marketId >= s.marketConfigs.length) revert UnknownMarket(marketId);
        MarketState storage state = s.marketStates[marketId];
        return MarketStatus({
            longOpenInterest: state.longOpenInterest,
            shortOpenInterest: state.shortOpenInterest,
            // 119 bits (PerpMarkets).
            fundingIndex: int128(PerpMarkets.fundingIndex(state)),
            lastFundingAt: state.lastFundingAt,
            sizeTimesEntry: state.sizeTimesEntry
        });
    }

    /// @notice Pool balance, LP shares, insurance fund and socialised losses.
    function poolAccounts()
        external
        view
        returns (int256 poolBalance, uint256 totalShares, uint256 insuranceFund, uint256 socializedLoss)
    {
        return (s.poolBalance, s.totalLiquidityShares, s.insuranceFund, s.socializedLoss);
    }

    function liquiditySharesOf(address provider) external view returns (uint256) {
        return s.liquidityShares[provider];
    }

    function settleBalanceOf(address account) external view returns (int256) {
        return s.accounts[account].settleBalance;
    }

    function positionOf(address account, uint256 marketId) external view returns (Position memory) {
        return s.accounts[account].positions[marketId];
    }

    function openMarketsOf(address account) external view returns (uint256[] memory) {
        return OpenMarkets.toArray(s.accounts[account].openMarkets);
    }

    function autoMarginEnabled(address account) external view returns (bool) {
        return s.accounts[account].autoMargin;
    }

    /// @notice Every collateral entry of `account` with its counted amount (reported − pending).
    function collateralOf(address account)
        external
        view
        returns (CollateralEntry[] memory entries, uint256[] memory counted)
    {
        AccountCollateral storage collateral = s.accounts[account].collateral;
        uint256 count = collateral.entryCount();
        entries = new CollateralEntry[](count);
        counted = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            uint256 number = collateral.numberAt(i);
            LedgerEntry storage entry = collateral.entries[number];
            entries[i] = entry.describe(s.collateralTokenKeys[number]);
            counted[i] = entry.counted();
        }
    }

    function lastCommandNonce(address account, uint64 chainId) external view returns (uint64) {
        return s.accounts[account].collateral.lastCommandNonce[chainId];
    }

    // ================================================================== messaging

    function _isPeerChain(uint64 origin) internal view override returns (bool) {
        return s.spokes[origin].registered;
    }

    /// @dev Reached only through `receiveMessage`, after the envelope and its origin are authenticated.
    function _handleMessage(Envelope memory envelope, bytes calldata message) internal override {
        BalanceReport memory report = MessageCodec.decodeBalanceReport(message);
        uint64 chainId = envelope.origin;
        // Reports of assets the hub does not price are not collateral: dropped, with a trace.
        CollateralTokenSlot storage token = s.collateralTokens[chainId][report.asset];
        // Both fields in one statement: the optimizer reads their slot once.
        (bool enabled, uint256 number) = (token.enabled, token.number);
        bool applied = enabled && report.locked <= type(uint128).max && report.seq <= type(uint32).max
            && s.accounts[report.account].collateral.applyReport(
                number, uint128(report.locked), uint32(report.seq), report.lastCommandNonce
            );
        if (applied) {
            emit BalanceReportApplied(
                report.account, chainId, report.asset, report.locked, uint32(report.seq), report.lastCommandNonce
            );
        } else {
            emit BalanceReportIgnored(report.account, chainId, report.asset, uint32(report.seq));
        }
    }

    /// @return fee What the messenger charged, taken from `budget`.
    function _sendCommand(
        address account,
        uint64 chainId,
        MessageType kind,
        address asset,
        uint256 amount,
        address to,
        uint64 cmdNonce,
        uint256 budget
    ) internal returns (uint256 fee) {
        bytes memory message = MessageCodec.encodeCommand(
            localChainId,
            chainId,
            Command({kind: kind, account: account, asset: asset, amount: amount, to: to, cmdNonce: cmdNonce})
        );
        emit CommandSent(account, chainId, cmdNonce, uint8(kind), asset, amount, to);
        fee = messenger.quote(chainId, message);
        if (fee > budget) revert InsufficientMessagingFee(fee, budget);
        _send(chainId, message, fee, msg.sender);
    }

    function _refund(uint256 amount) internal {
        if (amount == 0) return;
        (bool sent,) = msg.sender.call{value: amount}("");
        if (!sent) revert RefundFailed(msg.sender);
    }

    /// @dev Moves token `number` from the list of asset `from` to that of asset `to` (`assetTokens`).
    function _moveToken(uint256 number, uint256 from, uint256 to) internal {
        uint256[] storage numbers = s.assetTokens[from];
        uint256 last = numbers.length - 1;
        uint256 i;
        while (numbers[i] != number) ++i;
        numbers[i] = numbers[last];
        numbers.pop();
        s.assetTokens[to].push(number);
    }

    function _bounded(bytes32 parameter, uint256 value, uint256 max) internal pure {
        if (value > max) revert ParameterOutOfBounds(parameter, value);
    }
}
