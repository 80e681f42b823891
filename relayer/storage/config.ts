// "zod/v4" is zod 4 whether the installed package is 3.25 (which ships v4 there) or 4.x.
import { z } from "zod/v4";
import { describeIssues, formatIssues, StoreError } from "./errors.ts";

/** Unquoted PostgreSQL identifiers only, so the name can go into `search_path` and DDL as is. */
const postgresIdentifier = z
  .string()
  .regex(/^[a-z_][a-z0-9_]*$/, "must be a lowercase SQL identifier (letters, digits, _; not starting with a digit)")
  .max(63, "must be at most 63 characters (PostgreSQL truncates longer names)");

const postgresUrl = z
  .string()
  .refine((value) => URL.canParse(value), "must be a URL such as postgres://user@host:5432/database")
  .refine(
    (value) => !URL.canParse(value) || ["postgres:", "postgresql:"].includes(new URL(value).protocol),
    "must use the postgres:// or postgresql:// scheme",
  )
  .refine(
    (value) => !URL.canParse(value) || !new URL(value).searchParams.has("options"),
    "must not carry an `options` parameter: it would replace the search_path the store sets; use `schema` instead",
  );

export const storeConfigSchema = z.discriminatedUnion(
  "kind",
  [
    z.strictObject({
      kind: z.literal("sqlite"),
      /** The database file; its directory is created when missing. */
      path: z.string().min(1, "must name the database file"),
    }),
    z.strictObject({
      kind: z.literal("postgres"),
      url: postgresUrl,
      /** Schema holding the store's tables, created when missing; several relayer instances share work through it. */
      schema: postgresIdentifier.default("xmargin"),
    }),
  ],
  // Only the discriminator's own failure gets this message; a non-object keeps zod's "expected object".
  { error: (issue) => (issue.code === "invalid_union" ? 'must be "sqlite" or "postgres"' : undefined) },
);

export type StoreConfig = z.input<typeof storeConfigSchema>;
export type ResolvedStoreConfig = z.output<typeof storeConfigSchema>;

export function parseStoreConfig(config: unknown): ResolvedStoreConfig {
  const parsed = storeConfigSchema.safeParse(config);
  if (parsed.success) return parsed.data;
  const issues = describeIssues(parsed.error);
  throw new StoreError("InvalidConfig", `invalid storage config: ${formatIssues(issues)}`, { details: { issues } });
}
