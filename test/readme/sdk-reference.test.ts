// docs/sdk.md documents every action of the decorator, and its generated part is what the source says now;
// sdk/README.md's lists of actions by where they run name every action too.
import { readFileSync } from "node:fs";
import type { Client } from "viem";
import { describe, expect, it } from "vitest";
import { xmarginActions } from "../../sdk/decorators/xmargin.ts";
import { parseDeployment } from "../../sdk/deployments.ts";
import { REFERENCE_PATH, renderReference } from "../../sdk/reference/generate.ts";

const reference = readFileSync(REFERENCE_PATH, "utf8");
const sdkReadme = readFileSync(new URL("../../sdk/README.md", import.meta.url), "utf8");

/** Every action the decorator puts on a client, sorted. */
function decoratorActions() {
  const deployment = parseDeployment({
    network: "docs",
    hub: { name: "hub", chainId: 1, rpcUrl: "http://127.0.0.1:1" },
    spokes: [{ name: "spoke", chainId: 2, rpcUrl: "http://127.0.0.1:2" }],
  });
  // Binding only: no action runs, so a bare object stands in for the client.
  return Object.keys(xmarginActions({ deployment })({} as Client)).sort();
}

describe("docs/sdk.md", () => {
  it("has a section for every action the decorator puts on a client, and no other", () => {
    const actions = decoratorActions();
    const documented = [...reference.matchAll(/^#### `(\w+)`$/gm)].map((match) => match[1]).sort();
    expect(documented).toEqual(actions);
  });

  it("is current: `tsx sdk/reference/generate.ts` would not change it", async () => {
    expect(await renderReference(), "run `scripts/run npx tsx sdk/reference/generate.ts`").toBe(reference);
  });
});

describe("sdk/README.md", () => {
  it("lists every action the decorator puts on a client, once, and no other", () => {
    // The lists are the parenthesised groups of names, "(`deposit`, `lock`, …)", in the section on clients.
    const section = /^## Clients and the deployment$([\s\S]*?)^## /m.exec(sdkReadme)?.[1] ?? "";
    const listed = [...section.matchAll(/\((`\w+`(?:,\s+`\w+`)*)\)/g)].flatMap((match) =>
      [...(match[1] as string).matchAll(/`(\w+)`/g)].map((name) => name[1]),
    );
    expect(listed.sort()).toEqual(decoratorActions());
  });
});
