// Reading README.md's walkthrough: its commands and the output written under each of them.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const repoRoot = join(import.meta.dirname, "../..");

/** One line the user types and what the README shows it printing. */
export interface WalkthroughStep {
  command: string;
  /** Lines of the command's output (stdout and stderr together), `…` standing for any text. */
  output: string[];
  /** Lines that appear in the devnet's terminal meanwhile (written `# devnet: …` in the README). */
  devnetOutput: string[];
}

export interface Walkthrough {
  /** The devnet command of the ```sh walkthrough-devnet block. */
  devnet: WalkthroughStep;
  /** Every command of the ```sh walkthrough blocks, in order. */
  steps: WalkthroughStep[];
}

const DEVNET_PREFIX = "devnet: ";

/**
 * Fenced blocks whose info string is `sh walkthrough` or `sh walkthrough-devnet`: a line is a command,
 * the `# ` lines after it are its output.
 */
export function parseWalkthrough(markdown: string): Walkthrough {
  const blocks: { kind: string; lines: string[] }[] = [];
  const fence = /^```sh (walkthrough(?:-devnet)?)\n([\s\S]*?)^```$/gm;
  for (const match of markdown.matchAll(fence)) {
    blocks.push({ kind: match[1] as string, lines: (match[2] as string).split("\n").filter((line) => line !== "") });
  }
  const stepsOf = (kind: string) =>
    blocks.filter((block) => block.kind === kind).flatMap(({ lines }) => toSteps(lines));
  const devnet = stepsOf("walkthrough-devnet");
  if (devnet.length !== 1) throw new Error(`README: expected one walkthrough-devnet command, found ${devnet.length}`);
  return { devnet: devnet[0] as WalkthroughStep, steps: stepsOf("walkthrough") };
}

function toSteps(lines: string[]): WalkthroughStep[] {
  const steps: WalkthroughStep[] = [];
  for (const line of lines) {
    if (!line.startsWith("#")) {
      steps.push({ command: line, output: [], devnetOutput: [] });
      continue;
    }
    const step = steps.at(-1);
    if (!step) throw new Error(`README walkthrough: output before any command: ${line}`);
    const shown = line.replace(/^#\s?/, "");
    if (shown.startsWith(DEVNET_PREFIX)) step.devnetOutput.push(shown.slice(DEVNET_PREFIX.length));
    else step.output.push(shown);
  }
  return steps;
}

/**
 * A README output line as a pattern for one line of real output: `…` is any text, a run of spaces any run of
 * whitespace (columns widen with their values), everything else literal.
 */
export function outputLinePattern(shown: string): RegExp {
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\s+/g, "\\s+");
  const body = shown.trim().split("…").map(literal).join(".*");
  return new RegExp(`^\\s*${body}\\s*$`);
}

/** The README lines not found in `output`, each looked for on a line of its own. */
export function missingLines(shown: string[], output: string): string[] {
  const lines = output.split("\n");
  return shown.filter((line) => !lines.some((actual) => outputLinePattern(line).test(actual)));
}

export const readReadme = (): string => readFileSync(join(repoRoot, "README.md"), "utf8");
