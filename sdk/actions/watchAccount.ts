import type { Address, Client } from "viem";
import type { ClientError, ContractRevertError, DeploymentError, RpcRequestError, XmarginError } from "../errors.ts";
import { type GetAccountReturnType, getAccount } from "./getAccount.ts";
import { accountAddress, chainClient, type XmarginParameters } from "./internal/context.ts";
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

/**
 * Thrown at once: ClientError without an account (none passed, none on the client). Passed to `onError`, once
 * per failed look while the polling goes on: getAccount's failures (ContractRevertError, RpcRequestError,
 * DeploymentError when the deployment lists no engine), and an exception of `onChange` itself: as is when an
 * XmarginError, else as RpcRequestError.
 */
export type WatchAccountErrorType = ContractRevertError | RpcRequestError | DeploymentError | ClientError;

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
  const account = accountAddress(client, parameters.account, "watchAccount");
  const hub = chainClient(parameters, parameters.deployment.hub.chainId, client);
  let last: string | undefined;
  return poll(
    async () => {
      const view = await getAccount(client, { ...rest, account });
      const current = fingerprint(view);
      if (current === last) return;
      last = current;
      onChange(view);
    },
    parameters.pollingInterval ?? hub.pollingInterval,
    parameters.onError,
    "watchAccount",
  );
}
