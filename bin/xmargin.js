#!/usr/bin/env node
// The CLI is TypeScript; tsx compiles it on the fly so nothing needs a build step.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  console.error(
    `xmargin needs Node >= 22.13 (this is ${process.version}). Run it through the repository's scripts/run, e.g. scripts/run npx xmargin --help`,
  );
  process.exit(1);
}
const { register } = await import("tsx/esm/api");
register();
const { main } = await import("../relayer/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
