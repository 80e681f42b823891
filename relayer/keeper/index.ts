// The keeper role of the relayer service (liquidations, auto-margin) and the devnet's price mover.
export { EngineAccountDiscovery } from "./accounts.ts";
export { type AutoMarginSettings, DEFAULT_AUTO_MARGIN } from "./auto-margin.ts";
export { DEVNET_KEEPER_FUNDS, fundDevnetKeeper } from "./devnet.ts";
export { KeeperConfigError, PricePathError } from "./errors.ts";
export {
  createKeeper,
  type Keeper,
  type KeeperAction,
  type KeeperActionKind,
  type KeeperFailure,
  type KeeperOptions,
  type KeeperSkip,
  type KeeperTickResult,
} from "./keeper.ts";
export type { KeeperLogger } from "./loop.ts";
export {
  createPriceMover,
  oraclePriceFeeds,
  type PriceFeedRef,
  type PriceFeeds,
  type PriceMover,
  type PriceMoverOptions,
  type PriceStepResult,
  protocolPriceFeeds,
} from "./price-mover.ts";
export {
  devnetRandomWalk,
  loadPricePath,
  type PricePath,
  type PriceSchedule,
  parsePricePath,
  pathSchedule,
  type RandomWalkOptions,
  randomWalk,
} from "./price-path.ts";
