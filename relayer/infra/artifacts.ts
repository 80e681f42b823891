/**
 * Creation bytecode of our own contracts, read from Hardhat's build output (`artifacts/contracts/…`), with
 * library addresses linked in. The infrastructure deployers run outside Hardhat (plain viem clients on any
 * RPC), so they read the JSON artifacts instead of going through `hre`.
 */
import { readFile } from "node:fs/promises";
import { type Abi, type Address, getAddress, type Hex } from "viem";
import { XmarginError } from "../../sdk/errors.ts";

export class ArtifactError extends XmarginError {
  override name = "ArtifactError";
}

/** Our contracts the deployers create, by name, with their source under `contracts/`. */
const PROJECT_SOURCES = {
  MessageRouter: "messaging/MessageRouter.sol",
  DeliveryBatcher: "messaging/DeliveryBatcher.sol",
  LayerZeroGateway: "messaging/layerzero/LayerZeroGateway.sol",
  HyperlaneGateway: "messaging/hyperlane/HyperlaneGateway.sol",
  MarginEngine: "hub/MarginEngine.sol",
  TradingLogic: "hub/logic/TradingLogic.sol",
  LiquidationLogic: "hub/logic/LiquidationLogic.sol",
  RiskViews: "hub/logic/RiskViews.sol",
  ReleaseIntents: "hub/libraries/ReleaseIntents.sol",
  XmarginOracle: "hub/oracle/XmarginOracle.sol",
  CollateralVault: "spoke/CollateralVault.sol",
  // Devnet only: open-mint tokens and writable Chainlink-style feeds. Never on a public network.
  TestToken: "test/TestTokens.sol",
  MockAggregatorV3: "test/MockAggregatorV3.sol",
} as const;

export type ProjectContractName = keyof typeof PROJECT_SOURCES;

interface LinkReference {
  start: number;
  length: number;
}

interface HardhatArtifact {
  abi: Abi;
  bytecode: Hex;
  /** Source name → library name → byte offsets of the placeholders in `bytecode`. */
  linkReferences: Record<string, Record<string, LinkReference[]>>;
}

const cache = new Map<ProjectContractName, Promise<HardhatArtifact>>();

function loadArtifact(name: ProjectContractName): Promise<HardhatArtifact> {
  let artifact = cache.get(name);
  if (!artifact) {
    const url = new URL(`../../artifacts/contracts/${PROJECT_SOURCES[name]}/${name}.json`, import.meta.url);
    artifact = readFile(url, "utf8").then(
      (text) => JSON.parse(text) as HardhatArtifact,
      (error: unknown) => {
        cache.delete(name);
        throw new ArtifactError(`${name} is not compiled: run scripts/setup (or npx hardhat build) first`, {
          cause: error,
          details: { path: url.pathname },
        });
      },
    );
    cache.set(name, artifact);
  }
  return artifact;
}

/** The library names `name` must be linked with (empty for most contracts). */
export async function requiredLibraries(name: ProjectContractName): Promise<string[]> {
  const { linkReferences } = await loadArtifact(name);
  return Object.values(linkReferences).flatMap((libraries) => Object.keys(libraries));
}

/**
 * The creation bytecode of `name` with every library placeholder replaced by its address in `libraries`;
 * a missing or unknown library is an error, so an unlinked contract is never deployed.
 */
export async function projectBytecode(
  name: ProjectContractName,
  libraries: Readonly<Record<string, Address>> = {},
): Promise<Hex> {
  const { bytecode, linkReferences } = await loadArtifact(name);
  let linked = bytecode.slice(2);
  const needed = new Set<string>();
  for (const references of Object.values(linkReferences)) {
    for (const [library, offsets] of Object.entries(references)) {
      needed.add(library);
      const address = libraries[library];
      if (!address) {
        throw new ArtifactError(`${name} needs library ${library} linked`, { details: { contract: name, library } });
      }
      const hex = getAddress(address).slice(2).toLowerCase();
      for (const { start, length } of offsets) {
        linked = linked.slice(0, start * 2) + hex + linked.slice((start + length) * 2);
      }
    }
  }
  const unknown = Object.keys(libraries).filter((library) => !needed.has(library));
  if (unknown.length > 0) {
    throw new ArtifactError(`${name} does not link ${unknown.join(", ")}`, { details: { contract: name, unknown } });
  }
  return `0x${linked}`;
}
