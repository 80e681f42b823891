import { XmarginError } from "../../sdk/errors.ts";

/** A price path file or random-walk configuration is invalid, or names feeds the deployment lacks. */
export class PricePathError extends XmarginError {
  override name = "PricePathError";
}

/** The keeper cannot run as configured (e.g. the deployment lacks the engine). */
export class KeeperConfigError extends XmarginError {
  override name = "KeeperConfigError";
}
