import { XmarginError } from "../errors.ts";

/**
 * Input the risk math cannot evaluate: a malformed decimal, a scenario that fails validation, or a value
 * outside the domain in which the TypeScript and Solidity implementations are proven to agree.
 * `field` names the offending input, e.g. `scenarios[3].params.assets.WETH.weightInit`.
 */
export class RiskInputError extends XmarginError {
  override name = "RiskInputError";

  constructor(
    message: string,
    readonly field?: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(field === undefined ? message : `${field}: ${message}`, {
      ...options,
      details: { ...options.details, ...(field === undefined ? {} : { field }) },
    });
  }
}
