// How the walkthrough test reads README.md: commands, the output under them, and matching that output.
import { describe, expect, it } from "vitest";
import { missingLines, parseWalkthrough } from "./walkthrough.ts";

const markdown = [
  "```sh walkthrough-devnet",
  "scripts/run npm run devnet",
  "# Ctrl-C to stop",
  "```",
  "",
  "```sh",
  "not part of the walkthrough",
  "```",
  "",
  "```sh walkthrough",
  "scripts/run npx xmargin price ETH-PERP 2740",
  "# ETH-PERP price set to 2740 USD (tx 0x…)",
  "# devnet: keeper: liquidatePerp 0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  "scripts/run npx xmargin account --key dev:1",
  "#   ETH-PERP    30   3000 …  2750.… (below)",
  "```",
].join("\n");

describe("README walkthrough format", () => {
  it("takes commands and their output from the marked blocks only, in order", () => {
    const { devnet, steps } = parseWalkthrough(markdown);
    expect(devnet).toEqual({ command: "scripts/run npm run devnet", output: ["Ctrl-C to stop"], devnetOutput: [] });
    expect(steps).toEqual([
      {
        command: "scripts/run npx xmargin price ETH-PERP 2740",
        output: ["ETH-PERP price set to 2740 USD (tx 0x…)"],
        devnetOutput: ["keeper: liquidatePerp 0x70997970C51812dc3A010C7d01b50e0d17dc79C8"],
      },
      {
        command: "scripts/run npx xmargin account --key dev:1",
        output: ["  ETH-PERP    30   3000 …  2750.… (below)"],
        devnetOutput: [],
      },
    ]);
  });

  it("matches an output line with … as any text and any run of whitespace, and nothing else", () => {
    const output = "account 0x…\n  ETH-PERP   30  3000 3000 90000 0 0  2750.756 (below)\nliquidatable: no\n";
    expect(missingLines(["ETH-PERP 30 3000 … 2750.… (below)", "liquidatable: no"], output)).toEqual([]);
    expect(missingLines(["ETH-PERP 31 3000 …", "liquidatable: yes", "2750.756"], output)).toEqual([
      "ETH-PERP 31 3000 …",
      "liquidatable: yes",
      "2750.756",
    ]);
  });

  it("refuses a README without exactly one devnet command", () => {
    expect(() => parseWalkthrough("```sh walkthrough\nscripts/run npx xmargin account\n# x\n```\n")).toThrow(
      "expected one walkthrough-devnet command, found 0",
    );
  });
});
