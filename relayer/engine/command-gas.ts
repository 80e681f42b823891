import { type Address, parseAbi } from "viem";
import { collateralVaultAbi } from "../../sdk/abi/index.ts";
import { MESSAGE_TYPE, type MessageTypeName } from "../../sdk/codec/index.ts";
import { PromiseCache } from "../transports/promise-cache.ts";
import type { EngineChain } from "./network.ts";

/**
 * How long a route's gas settings (destination gas per message type, the paymaster's overhead) are used before
 * they are read again: an owner's change reaches deliveries within this, without a restart.
 */
export const GAS_SETTINGS_TTL_MS = 60_000;

const COMMAND_TYPES = ["Release", "Lock", "Seize"] as const satisfies readonly MessageTypeName[];

/** Whether a message is a hub's command to a spoke's vault (which may park it, or run parked ones after it). */
export const isCommand = (messageType: string | null): boolean =>
  messageType !== null && (COMMAND_TYPES as readonly string[]).includes(messageType);

// Every transport's gateway inherits TransportGateway, which holds the destination gas its sender pays for.
const transportGatewayAbi = parseAbi(["function destinationGas(uint8 kind) view returns (uint128)"]);

/**
 * The destination gas a transport's gateways charge their senders for, per origin and message type, and what a
 * command's delivery may need beyond it. Read from the origin's gateway (`gatewayOf`), per route, again after
 * GAS_SETTINGS_TTL_MS.
 */
export class CommandGas {
  private readonly destinationGas = new PromiseCache<string, bigint>(GAS_SETTINGS_TTL_MS);
  private readonly parkedCommandsGas = new PromiseCache<string, bigint>(GAS_SETTINGS_TTL_MS);

  constructor(private readonly gatewayOf: (chain: EngineChain) => Address) {}

  /**
   * The gas the origin gateway's owner set for applying this type of message at its destination (what the
   * sender paid for): a delivery's limit covers it whatever an estimate saw.
   */
  destinationGasOf(origin: EngineChain, type: MessageTypeName): Promise<bigint> {
    return this.destinationGas.get(`${origin.chainId}:${type}`, async () =>
      BigInt(
        await origin.publicClient.readContract({
          address: this.gatewayOf(origin),
          abi: transportGatewayAbi,
          functionName: "destinationGas",
          args: [MESSAGE_TYPE[type]],
        }),
      ),
    );
  }

  /**
   * Room for the parked commands a command's delivery may run after it: a command that arrived before its
   * predecessor waits parked in the vault, and the predecessor's delivery then runs it too, more than the one
   * command the sender paid for. The destination vault's `MAX_COMMANDS_PER_DELIVERY`, each at the most the
   * origin's gateway charges for any command type.
   */
  parkedCommandsGasOf(origin: EngineChain, destination: EngineChain): Promise<bigint> {
    return this.parkedCommandsGas.get(`${origin.chainId}>${destination.chainId}`, async () => {
      const { contracts } = destination.record;
      if (!("vault" in contracts)) throw new Error(`${destination.name} has no vault: commands go to spokes`);
      const [maxCommands, ...perCommand] = await Promise.all([
        destination.publicClient.readContract({
          address: contracts.vault,
          abi: collateralVaultAbi,
          functionName: "MAX_COMMANDS_PER_DELIVERY",
        }),
        ...COMMAND_TYPES.map((type) => this.destinationGasOf(origin, type)),
      ]);
      let dearest = 0n;
      for (const gas of perCommand) if (gas > dearest) dearest = gas;
      return maxCommands * dearest;
    });
  }
}
