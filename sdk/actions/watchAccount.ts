import type { Address, Client } from "viem";
import type { XmarginError } from "../errors.ts";
import { type GetAccountReturnType, getAccount } from "./getAccount.ts";
import { chainClient, type XmarginParameters } from "./internal/context.ts";
import { poll } from "./internal/poll.ts";

export interface WatchAccountParameters extends XmarginParameters {
  /** Defaults to the client's account. */
  account?: Address | undefined;
  /** Milliseconds between looks; defaults to the hub client's polling interval. */
  pollingInterval?: number | undefined;
  /** The account as getAccount returns it: on the first look, then whenever a balance, entry, position or health figure changed. */
  onChange: (account: GetAccountReturnType) => void;
  onError?: ((error: XmarginError) => void) | undefined;
}

export type WatchAccountReturnType = () => void;

/** What a change is measured on: everything but the block it was read at and the raw state. */
function fingerprint({ blockNumber: _block, timestamp: _time, state: _state, ...view }: GetAccountReturnType): string {
  return JSON.stringify(view, (_key, value) => (typeof value === "bigint" ? value.toString() : value));
}

/**
 * Watches an account on every chain by polling getAccount (so it works over any transport, and a change on
 * a spoke shows before its report reaches the hub). Returns a function that stops it.
 */
export function watchAccount(client: Client, parameters: WatchAccountParameters): WatchAccountReturnType {
  const { onChange, ...rest } = parameters;
  const hub = chainClient(parameters, parameters.deployment.hub.chainId, client);
  let last: string | undefined;
  return poll(
    async () => {
      const account = await getAccount(client, rest);
      const current = fingerprint(account);
      if (current === last) return;
      last = current;
      onChange(account);
    },
    parameters.pollingInterval ?? hub.pollingInterval,
    parameters.onError,
    "watchAccount",
  );
}
