/**
 * ajv validators for the contracts, compiled once per process on first use.
 * Ingest validates everything it receives; other stages validate by flag and
 * in tests.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { CONTRACT_FORMATS } from "./formats.ts";
import common from "../../../schemas/common.schema.json" with { type: "json" };
import raw from "../../../schemas/raw_event.schema.json" with { type: "json" };
import enriched from "../../../schemas/enriched_event.schema.json" with {
  type: "json",
};
import alert from "../../../schemas/alert.schema.json" with { type: "json" };
import deadLetter from "../../../schemas/dead_letter.schema.json" with {
  type: "json",
};

/** Names of the record contracts, equal to the `record` discriminator. */
export type ContractName =
  | "raw_event"
  | "enriched_event"
  | "alert"
  | "dead_letter";

const SCHEMAS: Record<ContractName, { $id: string }> = {
  raw_event: raw,
  enriched_event: enriched,
  alert: alert,
  dead_letter: deadLetter,
};

/** A compiled validator: returns null when valid, else readable errors. */
export type Validator = (value: unknown) => string[] | null;

let ajv: Ajv2020 | undefined;
const compiled = new Map<ContractName, Validator>();

function instance(): Ajv2020 {
  if (!ajv) {
    ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
    // deno-lint-ignore no-explicit-any
    (addFormats as any)(ajv);
    // Same answers as ajv-formats, without its regular expressions for the
    // forms the stages write (see formats.ts).
    for (const [name, format] of Object.entries(CONTRACT_FORMATS)) {
      ajv.addFormat(name, format);
    }
    ajv.addSchema(common);
    for (const s of Object.values(SCHEMAS)) ajv.addSchema(s);
  }
  return ajv;
}

/** Returns the (cached) validator for one contract. */
export function validatorFor(name: ContractName): Validator {
  let v = compiled.get(name);
  if (!v) {
    const fn = instance().getSchema(SCHEMAS[name].$id);
    if (!fn) throw new Error(`no schema registered for ${name}`);
    v = (value: unknown) => {
      if (fn(value)) return null;
      return (fn.errors ?? []).map((e) => {
        const where = e.instancePath || "(root)";
        const extra = e.keyword === "additionalProperties"
          ? ` '${
            (e.params as { additionalProperty: string }).additionalProperty
          }'`
          : e.keyword === "enum"
          ? ` (${
            (e.params as { allowedValues: unknown[] }).allowedValues.join(", ")
          })`
          : "";
        return `${where} ${e.message}${extra}`;
      });
    };
    compiled.set(name, v);
  }
  return v;
}

/**
 * Validates a record against the contract named by its `record` field.
 * Returns null when valid, else readable error messages.
 */
export function validateRecord(value: unknown): string[] | null {
  const name = (value as { record?: unknown })?.record;
  if (typeof name !== "string" || !(name in SCHEMAS)) {
    return [
      `(root) has no known 'record' discriminator (got ${
        JSON.stringify(name)
      })`,
    ];
  }
  return validatorFor(name as ContractName)(value);
}
