import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ProcessTracker } from "./anvil.ts";

/** Handle on the reaper process (see reaper.mjs), which kills tracked pids if this process dies. */
export interface Reaper extends ProcessTracker {
  pid: number;
  /** Ends the watch and waits for the reaper to exit; it kills whatever is still tracked, so untrack first. */
  close(): Promise<void>;
}

const REAPER_SCRIPT = fileURLToPath(new URL("./reaper.mjs", import.meta.url));
const READY_TIMEOUT_MS = 10_000;

export async function startReaper(): Promise<Reaper> {
  const child = spawn(process.execPath, [REAPER_SCRIPT], {
    stdio: ["pipe", "pipe", "ignore"],
    // Its own session, so a signal to our process group (a terminal's Ctrl-C or hangup, a
    // `kill -- -pgid`) that takes us down leaves the reaper alive to clean up after us.
    detached: process.platform !== "win32",
    windowsHide: true,
  });
  const { stdin, stdout } = child;
  if (!stdin || !stdout) throw new Error("devnet reaper: spawned without pipes");
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // If the reaper is gone, writes fail with EPIPE; the devnet keeps running, only without the orphan guard.
  stdin.on("error", () => {});

  try {
    await waitForReadyLine(child);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  stdout.destroy();

  const send = (line: string) => {
    if (stdin.writable) stdin.write(`${line}\n`);
  };
  let closing: Promise<void> | undefined;
  return {
    pid: child.pid as number,
    track: (pid) => send(`+${pid}`),
    untrack: (pid) => send(`-${pid}`),
    close: () => {
      closing ??= (async () => {
        stdin.end();
        await exited;
      })();
      return closing;
    },
  };
}

function waitForReadyLine(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = "";
    const finish = (error?: Error) => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
      child.off("error", finish);
      if (error) reject(error);
      else resolve();
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.includes("ready\n")) finish();
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      finish(new Error(`devnet reaper exited before it was ready (${signal ?? `exit code ${code}`})`));
    const timer = setTimeout(
      () => finish(new Error(`devnet reaper not ready after ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
    child.stdout?.on("data", onData);
    child.once("exit", onExit);
    child.once("error", finish);
  });
}
