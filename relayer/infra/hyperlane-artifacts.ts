/**
 * ABI and creation bytecode of the real Hyperlane contracts, read from the typechain factories that
 * `@hyperlane-xyz/core` ships. Those contracts need OpenZeppelin 4, so we never compile them beside our
 * OpenZeppelin 5 sources; and importing the factory modules would pull in ethers v5, which we do not
 * install. So the factory source is read as text and its two literals (`_abi`, `_bytecode`) are parsed.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Abi, Hex } from "viem";
import { XmarginError } from "../../sdk/errors.ts";

export interface ContractArtifact {
  abi: Abi;
  bytecode: Hex;
}

/** Factory modules under `dist/typechain/factories/` of the package, by contract name. */
const FACTORY_PATHS = {
  ProxyAdmin: "@openzeppelin/contracts/proxy/transparent/ProxyAdmin__factory.js",
  TransparentUpgradeableProxy:
    "@openzeppelin/contracts/proxy/transparent/TransparentUpgradeableProxy.sol/TransparentUpgradeableProxy__factory.js",
  Mailbox: "contracts/Mailbox__factory.js",
  MerkleTreeHook: "contracts/hooks/MerkleTreeHook__factory.js",
  InterchainGasPaymaster: "contracts/hooks/igp/InterchainGasPaymaster__factory.js",
  StorageGasOracle: "contracts/hooks/igp/StorageGasOracle__factory.js",
  ValidatorAnnounce: "contracts/isms/multisig/ValidatorAnnounce__factory.js",
  StaticMessageIdMultisigIsmFactory:
    "contracts/isms/multisig/StaticMultisigIsm.sol/StaticMessageIdMultisigIsmFactory__factory.js",
  DomainRoutingIsmFactory: "contracts/isms/routing/DomainRoutingIsmFactory.sol/DomainRoutingIsmFactory__factory.js",
} as const;

export type HyperlaneContractName = keyof typeof FACTORY_PATHS;

export class HyperlaneDeploymentError extends XmarginError {
  override name = "HyperlaneDeploymentError";
}

/** The package exports neither its package.json nor dist/typechain, so locate it through its main entry. */
function factoriesRoot(): string {
  const require = createRequire(import.meta.url);
  // Resolves to <package>/dist/index.js through the "." export.
  return join(dirname(require.resolve("@hyperlane-xyz/core")), "typechain", "factories");
}

const cache = new Map<HyperlaneContractName, Promise<ContractArtifact>>();

/** ABI and bytecode of one Hyperlane contract as published in `@hyperlane-xyz/core`. */
export function hyperlaneArtifact(name: HyperlaneContractName): Promise<ContractArtifact> {
  let artifact = cache.get(name);
  if (!artifact) {
    artifact = loadArtifact(name);
    cache.set(name, artifact);
  }
  return artifact;
}

async function loadArtifact(name: HyperlaneContractName): Promise<ContractArtifact> {
  const path = join(factoriesRoot(), FACTORY_PATHS[name]);
  let source: string;
  try {
    source = await readFile(path, "utf8");
  } catch (error) {
    throw new HyperlaneDeploymentError(`cannot read the ${name} factory of @hyperlane-xyz/core`, {
      cause: error,
      details: { name, path },
    });
  }
  return parseFactorySource(name, source);
}

/**
 * Typechain prints `const _abi = [...]` as a JavaScript literal with one bare key per line and
 * trailing commas; quoting the keys and dropping those commas makes it JSON, with no evaluation of
 * package code.
 */
export function parseFactorySource(name: string, source: string): ContractArtifact {
  const abiLiteral = /const _abi = (\[[\s\S]*?\n\]);\n/.exec(source)?.[1];
  const bytecode = /const _bytecode = "(0x[0-9a-fA-F]+)";/.exec(source)?.[1];
  if (!abiLiteral || !bytecode) {
    throw new HyperlaneDeploymentError(`the ${name} factory has no ABI or bytecode literal`, { details: { name } });
  }
  if (bytecode.includes("__$")) {
    throw new HyperlaneDeploymentError(`the ${name} bytecode needs linked libraries`, { details: { name } });
  }
  const json = abiLiteral.replace(/^(\s*)([A-Za-z_$][\w$]*):/gm, '$1"$2":').replace(/,(\s*[\]}])/g, "$1");
  try {
    return { abi: JSON.parse(json) as Abi, bytecode: bytecode as Hex };
  } catch (error) {
    throw new HyperlaneDeploymentError(`the ${name} factory ABI is not in the expected typechain form`, {
      cause: error,
      details: { name },
    });
  }
}
