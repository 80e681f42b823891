// Guards against orphaned chains. The devnet launcher starts this as a detached process
// whose stdin is a pipe from the launcher. Lines "+<pid>" and "-<pid>" add and remove
// processes to watch. When the pipe closes — the launcher finished, or died, even by
// SIGKILL, which no handler inside it could catch — every pid still watched gets SIGTERM,
// then SIGKILL after a grace period, and this process exits.
// Plain JavaScript so that any Node runs it without a loader or type stripping.
import { createInterface } from "node:readline";

const GRACE_MS = 3_000;
const POLL_MS = 100;

const watched = new Set();

const isAlive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    // ESRCH: gone. EPERM: the pid was reused by a process that is not ours; leave it alone.
    return false;
  }
};

const signal = (pid, name) => {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
};

let reaping = false;
const reapAndExit = async () => {
  if (reaping) return;
  reaping = true;
  const pids = [...watched];
  for (const pid of pids) signal(pid, "SIGTERM");
  const deadline = Date.now() + GRACE_MS;
  while (pids.some(isAlive) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  for (const pid of pids.filter(isAlive)) signal(pid, "SIGKILL");
  process.exit(0);
};

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const pid = Number(line.slice(1));
  if (!Number.isSafeInteger(pid) || pid <= 0) return;
  if (line.startsWith("+")) watched.add(pid);
  else if (line.startsWith("-")) watched.delete(pid);
});
lines.on("close", reapAndExit);
process.stdin.on("error", reapAndExit);

// Tells the launcher the pipe is being read, so it can spawn chains knowing they are covered.
process.stdout.write("ready\n");
