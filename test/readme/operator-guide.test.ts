// docs/operator-guide.md's configuration reference lists exactly the fields of the relayer's config schema,
// each with the default the schema applies.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { relayerConfigSchema } from "../../relayer/config/schema.ts";
import { configFields } from "./config-fields.ts";
import { repoRoot } from "./walkthrough.ts";

const guide = readFileSync(join(repoRoot, "docs/operator-guide.md"), "utf8");
const fields = configFields(relayerConfigSchema);

/** The rows of the "Configuration reference" table, by field. */
function referenceRows(): Map<string, string> {
  const section = guide.slice(guide.indexOf("## Configuration reference"), guide.indexOf("### Environment overrides"));
  const rows = new Map<string, string>();
  for (const line of section.split("\n")) {
    const field = /^\| `([\w.[\]]+)` /.exec(line)?.[1];
    if (field) rows.set(field, line);
  }
  return rows;
}

describe("docs/operator-guide.md", () => {
  it("has a configuration row for every field of the schema, and none for a field it does not have", () => {
    expect(fields.length).toBeGreaterThan(30);
    expect([...referenceRows().keys()].sort()).toEqual(fields.map((field) => field.path).sort());
  });

  it("gives each field's default as the schema applies it", () => {
    const rows = referenceRows();
    const scalarDefaults = fields.filter(
      (field) => "default" in field && (typeof field.default !== "object" || field.default === null),
    );
    expect(scalarDefaults.length).toBeGreaterThan(15);
    for (const field of scalarDefaults) {
      const defaultColumn = rows.get(field.path)?.split("|")[2]?.trim();
      expect(defaultColumn, field.path).toBe(`\`${JSON.stringify(field.default)}\``);
    }
  });

  it("names every environment override the loader applies", () => {
    const loader = readFileSync(join(repoRoot, "relayer/config/load.ts"), "utf8");
    const variables = [...loader.matchAll(/^ {2}([A-Z_]+): \(config, value\)/gm)].map((match) => match[1]);
    expect(variables.length).toBeGreaterThan(0);
    for (const variable of variables) expect(guide).toContain(`| \`${variable}\``);
  });
});
