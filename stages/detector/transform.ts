/**
 * The detector stage core: runs every {@link Detector} (Sigma rules and
 * correlations, the anomaly model, …) over each enriched event, forwards
 * the event unchanged and emits the alerts raised.
 *
 * @module
 */
import type { Alert, EnrichedEvent } from "../shared/contracts/mod.ts";
import { deadLetter } from "../shared/records.ts";
import type { AnyRecord } from "../shared/records.ts";
import type { Emitter, InputContext, Transform } from "../shared/stage.ts";
import type { Detector } from "./detector.ts";
import { IsoTimeParser } from "./iso_time.ts";

/** The detector stage as a {@link Transform}. */
export class DetectorTransform implements Transform {
  readonly accepts = ["enriched_event"] as const;
  #detectors: Detector[];
  #buffer: Alert[] = [];
  #raise = (a: Alert) => {
    this.#buffer.push(a);
  };
  #counters = { events: 0, alerts: 0, detector_errors: 0 };
  #alertsByRule = new Map<string, number>();
  /** Newest event time pushed since the last {@link takeNewestMs}. */
  #newestMs = -Infinity;
  /** Per-event time parsing on the hot path: the cached canonical form. */
  readonly #eventTimes = new IsoTimeParser();

  constructor(detectors: Detector[]) {
    this.#detectors = detectors;
  }

  /** The detectors run, in order. */
  get detectors(): readonly Detector[] {
    return this.#detectors;
  }

  push(record: AnyRecord, out: Emitter, ctx: InputContext): void {
    const event = record as EnrichedEvent;
    if (
      typeof event.tenant !== "string" || typeof event.event_id !== "string"
    ) {
      out.emit(deadLetter(
        "detector",
        "schema",
        "enriched_event needs string event_id and tenant",
        record,
        { line: ctx.line },
      ));
      return;
    }
    this.#counters.events++;
    const t = this.#eventTimes.parse(event.ts); // NaN compares false: ignored
    if (t > this.#newestMs) this.#newestMs = t;
    for (const d of this.#detectors) {
      try {
        d.observe(event, this.#raise);
      } catch {
        // Detectors promise not to throw; one that does must not stop the others.
        this.#counters.detector_errors++;
      }
    }
    out.forward(record);
    this.#flush(out);
  }

  tick(nowMs: number, out: Emitter): void {
    for (const d of this.#detectors) {
      try {
        d.tick?.(nowMs, this.#raise);
      } catch {
        this.#counters.detector_errors++;
      }
    }
    this.#flush(out);
  }

  end(out: Emitter): void {
    for (const d of this.#detectors) {
      try {
        d.end?.(this.#raise);
      } catch {
        this.#counters.detector_errors++;
      }
    }
    this.#flush(out);
  }

  /** See {@link Transform.takeNewestMs}. */
  takeNewestMs(): number {
    const newestMs = this.#newestMs;
    this.#newestMs = -Infinity;
    return newestMs;
  }

  /** See {@link Transform.neededFromMs}: the least any detector still needs. */
  neededFromMs(): number {
    let neededFromMs = Infinity;
    for (const d of this.#detectors) {
      try {
        const n = d.neededFromMs?.();
        if (n !== undefined && n < neededFromMs) neededFromMs = n;
      } catch {
        this.#counters.detector_errors++;
      }
    }
    return neededFromMs;
  }

  stats(): Record<string, unknown> {
    const out: Record<string, unknown> = {
      ...this.#counters,
      alerts_by_rule: Object.fromEntries(this.#alertsByRule),
    };
    for (const d of this.#detectors) {
      const s = d.stats?.();
      if (s) out[d.name] = s;
    }
    return out;
  }

  #flush(out: Emitter): void {
    if (this.#buffer.length === 0) return;
    for (const a of this.#buffer) {
      this.#counters.alerts++;
      const k = a.rule.title;
      this.#alertsByRule.set(k, (this.#alertsByRule.get(k) ?? 0) + 1);
      out.emit(a);
    }
    this.#buffer = [];
  }
}
