/**
 * The traffic generator: realistic multi-tenant security events with
 * labelled attack scenarios, pacing, HTTP delivery to ingest, and replay.
 *
 * @module
 */
export { SeededRandom, WeightedChoice } from "./prng.ts";
export {
  buildTenant,
  DEFAULT_TENANTS,
  type TenantProfile,
  type UserProfile,
} from "./entities.ts";
export {
  type EventFacts,
  type EventKind,
  KIND_CATEGORY,
  type PayloadFormat,
  renderEvent,
} from "./render.ts";
export { BaselineTraffic } from "./baseline.ts";
export {
  describeScenarios,
  InjectError,
  type InjectSpec,
  parseInject,
  planScenario,
  SCENARIO_NAMES,
  type ScenarioName,
  SCENARIOS,
} from "./scenarios.ts";
export {
  type GeneratorOptions,
  type ScenarioStats,
  TrafficGenerator,
  UNPACED_VIRTUAL_RATE,
} from "./generator.ts";
export { defaultBurst, pace, type PaceOptions, TokenBucket } from "./pace.ts";
export {
  batchEndpoint,
  type HttpTargetOptions,
  HttpTargetSink,
} from "./http_target.ts";
export { ReplayClock, ReplayDecoder, type ReplayOptions } from "./replay.ts";
export {
  runReplay,
  type RunReport,
  runSynthetic,
  type SyntheticRunOptions,
  toOutput,
} from "./run.ts";
