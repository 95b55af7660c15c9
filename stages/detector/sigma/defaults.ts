/**
 * The Sigma detector as the product runs it: one set of defaults shared by
 * `sentinel-detector` (its flag defaults are these) and the evaluation
 * (`deno task eval`), so both score the same alert volume.
 *
 * @module
 */
import type { RuleSet } from "./compile.ts";
import { SigmaDetector, type SigmaDetectorOptions } from "./engine.ts";

/** Defaults of the detector's alerting and state, in event-time ms. */
export const SIGMA_DEFAULTS = {
  /** `--lateness`: how late a hit may arrive and still count. */
  latenessMs: 60_000,
  /** `--state-memory-mb`: cap on correlation state. */
  stateMemoryMb: 256,
  /**
   * `--suppress-window`: a single-event incident (rule, entity, host) ends
   * after this long without a match.
   */
  singleSuppressMs: 60_000,
  /**
   * `--correlation-suppress`: a correlation incident (rule, group) ends
   * after this long without a window meeting the condition.
   */
  correlationSuppressMs: 600_000,
  /** `--realert-interval`: an incident still going is raised again this often. */
  realertMs: 3_600_000,
} as const;

/**
 * A {@link SigmaDetector} with the product's defaults; `opts` entries that
 * are given (not undefined) override them.
 */
export function createSigmaDetector(
  set: RuleSet,
  opts: SigmaDetectorOptions = {},
): SigmaDetector {
  const o: SigmaDetectorOptions = {
    latenessMs: SIGMA_DEFAULTS.latenessMs,
    memoryCapBytes: SIGMA_DEFAULTS.stateMemoryMb * 1024 * 1024,
    singleSuppressMs: SIGMA_DEFAULTS.singleSuppressMs,
    suppressMs: SIGMA_DEFAULTS.correlationSuppressMs,
    realertMs: SIGMA_DEFAULTS.realertMs,
  };
  for (const [k, v] of Object.entries(opts)) {
    if (v !== undefined) (o as Record<string, unknown>)[k] = v;
  }
  return new SigmaDetector(set, o);
}
