import { type Address, type Client, getAddress, isAddress } from "viem";
import { getContractEvents } from "viem/actions";
import { marginEngineAbi } from "../../sdk/abi/index.ts";
import { toXmarginError } from "../../sdk/contract-errors.ts";

/**
 * Finds the accounts the engine knows from its events (reports, trades, settle moves, auto-margin opt-ins,
 * liquidations: every event with an `account` argument), read from a block cursor kept in memory.
 */
export class EngineAccountDiscovery {
  private nextBlock: bigint;
  private readonly maxBlockRange: bigint;

  constructor(
    private readonly client: Client,
    private readonly engine: Address,
    options: { fromBlock: bigint; maxBlockRange: bigint },
  ) {
    this.nextBlock = options.fromBlock;
    this.maxBlockRange = options.maxBlockRange;
  }

  /** The first block not read yet. */
  get cursor(): bigint {
    return this.nextBlock;
  }

  /** The accounts named by events from the cursor through `head`; moves the cursor past `head`. */
  async sync(head: bigint): Promise<Set<Address>> {
    const accounts = new Set<Address>();
    while (this.nextBlock <= head) {
      const toBlock = head < this.nextBlock + this.maxBlockRange - 1n ? head : this.nextBlock + this.maxBlockRange - 1n;
      const events = await getContractEvents(this.client, {
        address: this.engine,
        abi: marginEngineAbi,
        fromBlock: this.nextBlock,
        toBlock,
      }).catch((error: unknown) => {
        throw toXmarginError(error, `reading engine events ${this.nextBlock}–${toBlock}`, {
          chainId: this.client.chain?.id,
          contract: this.engine,
        });
      });
      for (const event of events) {
        const account = (event.args as { account?: unknown } | undefined)?.account;
        if (typeof account === "string" && isAddress(account)) accounts.add(getAddress(account));
      }
      this.nextBlock = toBlock + 1n;
    }
    return accounts;
  }
}
