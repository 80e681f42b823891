import hre from "hardhat";

export type Connection = Awaited<ReturnType<typeof hre.network.connect>>;

/** Connects to one of the in-process chains of hardhat.config.ts. */
export const connect = (network: "hub" | "spokeA" | "spokeB"): Promise<Connection> => hre.network.connect({ network });
