export {
  MAX_FACTOR,
  MAX_HEALTH,
  MAX_PRICE,
  MAX_QUANTITY,
  MAX_SIGNED_QUANTITY,
  validateCollateralLiquidationRequest,
  validatePerpLiquidationRequest,
  validateRiskInputs,
} from "./domain.ts";
export { RiskInputError } from "./errors.ts";
export {
  divCeil,
  divDown,
  divFloor,
  divUp,
  formatWad,
  mulCeil,
  mulDown,
  mulFloor,
  mulUp,
  parseWad,
  sqrtDown,
  sqrtUp,
  WAD,
} from "./fixed.ts";
export { assetTotals, effectiveWeight, healthBreakdown, marginFractions, tightenedWeights } from "./health.ts";
export { collateralLiquidation, perpLiquidation } from "./liquidation.ts";
export {
  collateralLiquidationOnchain,
  evaluateScenariosOnchain,
  fromHealthBreakdownStruct,
  healthBreakdownArgs,
  healthBreakdownOnchain,
  perpLiquidationOnchain,
  type RiskMathHarnessTarget,
  riskMathHarnessAbi,
} from "./onchain.ts";
export { SPEC_RISK_PARAMS } from "./params.ts";
export {
  type Account,
  evaluateScenarios,
  type LiquidationOutcome,
  type LiquidationRequest,
  type LiquidationResult,
  type LiquidationSpec,
  liquidationRequest,
  type Prices,
  parseScenarios,
  planScenario,
  type Scenario,
  type ScenarioOutcome,
  type ScenarioParams,
  type ScenarioPlan,
  type ScenarioResult,
  scenarioOutcome,
  type Volatility,
} from "./scenario.ts";
export type * from "./types.ts";
