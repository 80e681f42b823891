/** Chain ids used by the in-process test networks and the anvil devnet. */
export const CHAIN_IDS = {
  hub: 70_700,
  spokeA: 70_701,
  spokeB: 70_702,
} as const;

/** Chain id of the i-th devnet spoke (0-based): spokes follow the hub. */
export const devnetSpokeChainId = (index: number): number => CHAIN_IDS.hub + 1 + index;
