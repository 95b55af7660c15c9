/**
 * The Sigma engine: rules (v2.1), filters, correlations, logsource routing
 * and field mapping, compiled once into predicates.
 *
 * @module
 */
export * from "./compile.ts";
export * from "./load.ts";
export * from "./engine.ts";
export * from "./defaults.ts";
export * from "./correlation.ts";
export * from "./alert.ts";
export * from "./logsource.ts";
export { EventView, FieldTable } from "./fields.ts";
export {
  compileFieldCondition,
  KNOWN_MODIFIERS,
  parseSigmaString,
  type Predicate,
} from "./pattern.ts";
export { parseCondition } from "./condition.ts";
export { compileRuleRegex, REGEX_INPUT_MAX } from "./regex_guard.ts";
export { runSamples, type SampleReport } from "./samples.ts";
