// TEST ONLY. An ERC-20 with ERC-2612 permit, compiled from OpenZeppelin's ERC20Permit with the npm solc
// package when a test asks for it: the project's contracts have no permit token, and the SDK's permit
// path needs a real one to sign against.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Abi, Hex } from "viem";

const SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;
import {ERC20, ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
contract PermitToken is ERC20Permit {
    constructor() ERC20("Permit USD", "PUSD") ERC20Permit("Permit USD") {}
    function decimals() public pure override returns (uint8) { return 6; }
    function mint(address to, uint256 amount) external { _mint(to, amount); }
}`;

export interface CompiledContract {
  abi: Abi;
  bytecode: Hex;
}

let compiled: CompiledContract | undefined;

/** PermitToken: "Permit USD" (PUSD), 6 decimals, open `mint(to, amount)`, EIP-712 domain version "1". */
export async function compilePermitToken(): Promise<CompiledContract> {
  if (compiled !== undefined) return compiled;
  const require = createRequire(import.meta.url);
  const solc = (await import("solc")).default;
  const input = {
    language: "Solidity",
    sources: { "PermitToken.sol": { content: SOURCE } },
    settings: { evmVersion: "cancun", outputSelection: { "*": { PermitToken: ["abi", "evm.bytecode.object"] } } },
  };
  const findImport = (path: string) => {
    try {
      return { contents: readFileSync(require.resolve(path), "utf8") };
    } catch (error) {
      return { error: String(error) };
    }
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));
  const errors = (output.errors ?? []).filter((e: { severity: string }) => e.severity === "error");
  if (errors.length > 0)
    throw new Error(errors.map((e: { formattedMessage: string }) => e.formattedMessage).join("\n"));
  const contract = output.contracts["PermitToken.sol"].PermitToken;
  compiled = { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
  return compiled;
}
