// Run by devnet.test.ts in its own Node process, which the test then kills with SIGKILL
// to check that the reaper takes the chains down with it.
import { startDevnet } from "../../relayer/devnet/launcher.ts";

const [outFile] = process.argv.slice(2);
if (!outFile) throw new Error("usage: devnet-child.ts <outFile>");
await startDevnet({ spokes: 2, outFile });
process.stdout.write("devnet started\n");
