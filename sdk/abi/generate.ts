/**
 * Writes sdk/abi/generated.ts from the compiled artifacts, so the SDK ships typed `as const` ABIs without
 * depending on Hardhat at runtime. Run it after `hardhat build` whenever a contract's interface changes:
 *
 *     tsx sdk/abi/generate.ts
 *
 * sdk/abi/generated.test.ts fails while the committed file differs from what this script would write.
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Hex, toFunctionSelector } from "viem";

interface AbiItem {
  type: string;
  name?: string;
  inputs?: readonly { type: string; components?: readonly unknown[] }[];
}

interface Artifact {
  contractName: string;
  abi: AbiItem[];
  /** Source name (Hardhat 3 prefixes project sources with `project/`) → library name → link positions. */
  linkReferences?: Record<string, Record<string, unknown>>;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const GENERATED_PATH = join(ROOT, "sdk/abi/generated.ts");

/** The project artifact of `Contract` compiled from `contracts/<source>`. */
const projectArtifact = (source: string, contract: string) => join("artifacts/contracts", source, `${contract}.json`);
/** An artifact that OpenZeppelin publishes prebuilt in its npm package. */
const openZeppelinArtifact = (contract: string) =>
  join("node_modules/@openzeppelin/contracts/build/contracts", `${contract}.json`);

async function readArtifact(root: string, path: string): Promise<Artifact> {
  try {
    return JSON.parse(await readFile(join(root, path), "utf8")) as Artifact;
  } catch (error) {
    throw new Error(`cannot read ${path}: run \`hardhat build\` first`, { cause: error });
  }
}

/**
 * The project's own artifacts (artifacts/contracts/**), test contracts (contracts/test) excluded, in path
 * order so the output does not depend on the file system's.
 */
async function projectArtifacts(root: string): Promise<Artifact[]> {
  const directory = join(root, "artifacts/contracts");
  let entries: string[];
  try {
    entries = await readdir(directory, { recursive: true });
  } catch (error) {
    throw new Error(`cannot read ${directory}: run \`hardhat build\` first`, { cause: error });
  }
  const paths = entries
    .map((entry) => entry.split(sep).join("/"))
    .filter((path) => path.endsWith(".json") && !path.startsWith("test/"))
    .sort();
  return Promise.all(paths.map((path) => readArtifact(root, join("artifacts/contracts", path))));
}

/** `Name(uint256,(address,bool))`: the text a selector or topic hashes. */
function canonical(item: AbiItem): string {
  const type = (parameter: { type: string; components?: readonly unknown[] }): string =>
    parameter.type.startsWith("tuple")
      ? `(${(parameter.components as { type: string }[]).map(type).join(",")})${parameter.type.slice(5)}`
      : parameter.type;
  return `${item.name ?? ""}(${(item.inputs ?? []).map(type).join(",")})`;
}

/** The canonical signature, `event Name(uint256,(address,bool))`: what decoding keys on. */
function signature(item: AbiItem): string {
  return `${item.type} ${canonical(item)}`;
}

const isEventOrError = (item: AbiItem) => item.type === "event" || item.type === "error";

/** Items of `extra` whose signature `base` lacks, sorted so the output does not depend on read order. */
function missingItems(base: readonly AbiItem[], extra: readonly AbiItem[]): AbiItem[] {
  const present = new Set(base.map(signature));
  const added = new Map<string, AbiItem>();
  for (const item of extra) {
    const key = signature(item);
    if (!present.has(key)) added.set(key, item);
  }
  return [...added.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, item]) => item);
}

/**
 * Libraries linked into `artifact`, transitively. Their code runs by DELEGATECALL inside the contract, so
 * their events are the contract's logs and their errors its reverts.
 */
async function linkedLibraries(root: string, artifact: Artifact, seen = new Set<string>()): Promise<Artifact[]> {
  const libraries: Artifact[] = [];
  for (const [sourceName, names] of Object.entries(artifact.linkReferences ?? {})) {
    for (const name of Object.keys(names)) {
      const source = sourceName.replace(/^project\//, "").replace(/^contracts\//, "");
      const key = `${source}:${name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const library = await readArtifact(root, projectArtifact(source, name));
      libraries.push(library, ...(await linkedLibraries(root, library, seen)));
    }
  }
  return libraries;
}

/**
 * One error per selector, sorted by signature. The same signature declared by several contracts is one
 * error, named as its first declaration in `errors` names its parameters; two different signatures with one
 * selector could not be told apart when decoding, so they fail generation.
 */
export function errorsBySelector(errors: readonly AbiItem[]): AbiItem[] {
  const bySelector = new Map<Hex, AbiItem>();
  for (const item of errors) {
    const selector = toFunctionSelector(canonical(item));
    const known = bySelector.get(selector);
    if (known === undefined) bySelector.set(selector, item);
    else if (canonical(known) !== canonical(item)) {
      throw new Error(
        `errors ${canonical(known)} and ${canonical(item)} share the selector ${selector}: a revert with it could not be decoded by name; rename one`,
      );
    }
  }
  return [...bySelector.values()].sort((a, b) =>
    signature(a) < signature(b) ? -1 : signature(a) > signature(b) ? 1 : 0,
  );
}

interface Export {
  name: string;
  doc: string;
  abi: AbiItem[];
}

async function collectExports(root: string): Promise<Export[]> {
  const engine = await readArtifact(root, projectArtifact("hub/MarginEngine.sol", "MarginEngine"));
  const libraries = await linkedLibraries(root, engine);
  const engineAbi = [
    ...engine.abi,
    ...missingItems(
      engine.abi,
      libraries.flatMap((l) => l.abi.filter(isEventOrError)),
    ),
  ];
  const vault = await readArtifact(root, projectArtifact("spoke/CollateralVault.sol", "CollateralVault"));
  const oracle = await readArtifact(root, projectArtifact("hub/oracle/XmarginOracle.sol", "XmarginOracle"));
  const messenger = await readArtifact(root, projectArtifact("interfaces/IMessenger.sol", "IMessenger"));
  const testMessenger = await readArtifact(root, projectArtifact("test/TestMessenger.sol", "TestMessenger"));
  const erc20Errors = await readArtifact(root, openZeppelinArtifact("IERC20Errors"));
  const erc2612 = await readArtifact(root, openZeppelinArtifact("IERC20Permit"));
  const erc2612Errors = (await readArtifact(root, openZeppelinArtifact("ERC20Permit"))).abi.filter(
    (item) => item.type === "error" && item.name?.startsWith("ERC2612"),
  );

  // Every project contract but the test ones (the engine's libraries, the messaging router and gateways and
  // the timelock included), then the OpenZeppelin token errors a token call bubbles up.
  const errorSources = [
    ...(await projectArtifacts(root)).map((artifact) => artifact.abi),
    erc20Errors.abi,
    erc2612Errors,
  ];
  const errors = errorsBySelector(errorSources.flatMap((abi) => abi.filter((item) => item.type === "error")));
  return [
    {
      name: "marginEngineAbi",
      doc: `MarginEngine (hub), with the events and errors of its linked libraries (${libraries.map((l) => l.contractName).join(", ")}).`,
      abi: engineAbi,
    },
    { name: "collateralVaultAbi", doc: "CollateralVault (spoke).", abi: vault.abi },
    { name: "xmarginOracleAbi", doc: "XmarginOracle (hub): prices, volatility σ and multipliers k.", abi: oracle.abi },
    {
      name: "messengerAbi",
      doc: "IMessenger: the transport seam every application sends through (fee quotes).",
      abi: messenger.abi,
    },
    {
      name: "testMessengerAbi",
      doc: "TestMessenger — the TEST TRANSPORT of contract tests and the SDK's in-process fixture. Never a real bridge.",
      abi: testMessenger.abi,
    },
    {
      name: "erc2612Abi",
      doc: "ERC-2612 permit (OpenZeppelin IERC20Permit).",
      abi: [...erc2612.abi, ...erc2612Errors],
    },
    {
      name: "xmarginErrorsAbi",
      doc: "Every custom error xmargin's own contracts declare (engine and libraries, vault, oracle, message router, LayerZero and Hyperlane gateways, timelock; test contracts excluded), with ERC-20 (ERC-6093) and ERC-2612: one per selector.",
      abi: errors,
    },
  ];
}

/** The text of sdk/abi/generated.ts for the artifacts under `root`. */
export async function renderGeneratedAbis(root: string = ROOT): Promise<string> {
  const exports = await collectExports(root);
  const body = exports
    .map(({ name, doc, abi }) => `/** ${doc} */\nexport const ${name} = ${JSON.stringify(abi, null, 2)} as const;\n`)
    .join("\n");
  return `// biome-ignore-all format: generated by sdk/abi/generate.ts from the compiled artifacts; do not edit.
// biome-ignore-all lint: generated by sdk/abi/generate.ts from the compiled artifacts; do not edit.

${body}`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await writeFile(GENERATED_PATH, await renderGeneratedAbis());
  console.log(`wrote ${GENERATED_PATH}`);
}
