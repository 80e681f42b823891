import { parseWad } from "./fixed.ts";
import type { RiskParams } from "./types.ts";

/** The global parameters of the spec's example table (docs/risk-spec.md), used by every shipped vector. */
export const SPEC_RISK_PARAMS: RiskParams = {
  pnlWeightInit: parseWad("0.8"),
  liquidationBuffer: parseWad("0.02"),
  liquidationFee: parseWad("0.01"),
  liquidationFeeInsuranceShare: parseWad("0.25"),
  collateralBonus: parseWad("0.05"),
  collateralBonusProtocolShare: parseWad("0.1"),
};
