/**
 * The record contracts: generated types and ajv validators for the JSON
 * Schemas in `schemas/`.
 *
 * @module
 */
export * from "./types.gen.ts";
export { type ContractName, validateRecord, validatorFor } from "./validate.ts";
