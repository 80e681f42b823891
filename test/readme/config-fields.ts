// The fields of a zod (v4) object schema as dotted paths, with their defaults: what the operator guide lists.
import type { z } from "zod/v4";

export interface ConfigField {
  /** `api.port`, `chains[].rpcUrl`, `storage.url` (each variant's fields of a union under the same prefix). */
  path: string;
  /** The default zod fills in, when the field has one. */
  default?: unknown;
}

interface Definition {
  type: string;
  innerType?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  options?: z.ZodType[];
  defaultValue?: unknown;
}

const definitionOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Definition } })._zod.def;

/** Every field (objects and leaves) of an object schema, depth first in declaration order. */
export function configFields(schema: z.ZodType, prefix = ""): ConfigField[] {
  const definition = definitionOf(schema);
  switch (definition.type) {
    case "optional":
    case "nullable":
      return configFields(definition.innerType as z.ZodType, prefix);
    case "default":
      return configFields(definition.innerType as z.ZodType, prefix);
    case "array":
      return configFields(definition.element as z.ZodType, `${prefix}[]`);
    case "union": {
      const seen = new Set<string>();
      return (definition.options ?? [])
        .flatMap((option) => configFields(option, prefix))
        .filter((field) => !seen.has(field.path) && seen.add(field.path));
    }
    case "object":
      return Object.entries(definition.shape ?? {}).flatMap(([name, field]) => {
        const path = prefix === "" ? name : `${prefix}.${name}`;
        const fieldDefinition = definitionOf(field);
        const own: ConfigField =
          fieldDefinition.type === "default" ? { path, default: fieldDefinition.defaultValue } : { path };
        return [own, ...configFields(field, path)];
      });
    default:
      return [];
  }
}
