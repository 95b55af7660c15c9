/**
 * The one interface every detection method implements (Sigma rules,
 * correlations, the anomaly model). The detector stage runs several side by
 * side over the same enriched events.
 */
import type { Alert, EnrichedEvent } from "../shared/contracts/mod.ts";

/** Receives alerts raised by a detector. */
export type AlertSink = (alert: Alert) => void;

/** A detection method. */
export interface Detector {
  /** Short name for logs and summaries, e.g. "sigma", "anomaly". */
  readonly name: string;
  /** Examines one event; calls `raise` for each alert it produces. Never throws on odd data. */
  observe(event: EnrichedEvent, raise: AlertSink): void;
  /** Wall-clock tick (ms) about once a second, for windows to close. */
  tick?(nowMs: number, raise: AlertSink): void;
  /** End of input: raise whatever is still pending. */
  end?(raise: AlertSink): void;
  /** Figures for the end-of-run summary. */
  stats?(): Record<string, unknown>;
  /**
   * Oldest event time (ms) the detector's open state (windows, silences)
   * was built from: input at or after it must be read again after a
   * restart; `Infinity` when nothing is open. Absent: stateless.
   */
  neededFromMs?(): number;
}
