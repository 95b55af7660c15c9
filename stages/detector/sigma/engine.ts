/**
 * The Sigma detector: routes each event to the rules of its logsource,
 * runs their compiled predicates, raises single-event alerts and feeds
 * correlation rules.
 *
 * @module
 */
import type { EnrichedEvent } from "../../shared/contracts/mod.ts";
import type { AlertSink, Detector } from "../detector.ts";
import { buildAlert } from "./alert.ts";
import type { RuleSet } from "./compile.ts";
import { CorrelationEngine, type CorrelationOptions } from "./correlation.ts";
import { EventView } from "./fields.ts";
import { regexInputsCut } from "./regex_guard.ts";
import { IsoTimeParser } from "../iso_time.ts";

/** Tuning of the Sigma detector. */
export interface SigmaDetectorOptions extends CorrelationOptions {
  /**
   * Quiet span (event-time ms) that ends a single-event incident per rule,
   * entity and host: after an alert, matches are silent while they keep
   * coming less than this apart. 0 raises one alert per matching event.
   * @default 0
   */
  singleSuppressMs?: number;
  /** Most rule+entity suppression keys held. @default 100000 */
  maxSuppressionKeys?: number;
  /**
   * Told when a rule throws on an event (the rule is skipped for that
   * event only); called at most once a minute per rule.
   */
  onRuleError?: (ruleId: string, error: unknown, count: number) => void;
}

/** Runs a compiled {@link RuleSet} as a {@link Detector}. */
export class SigmaDetector implements Detector {
  readonly name = "sigma";
  #set: RuleSet;
  #view: EventView;
  #corr: CorrelationEngine;
  #opts: SigmaDetectorOptions;
  #now: () => number;
  /**
   * Per rule+entity+host: silent until `until`; `alertedAt` the last
   * alert's time, `matches` those silenced since.
   */
  #suppress = new Map<
    string,
    { until: number; alertedAt: number; matches: number }
  >();
  /** Newest event time of a suppressible single-event hit: the suppression clock. */
  #newestHitMs = -Infinity;
  /** Field slot of host.name, part of the single-event suppression key. */
  #hostSlot: number;
  /** Event and receive times parsed with a per-field prefix cache. */
  readonly #eventTimes = new IsoTimeParser();
  readonly #receiveTimes = new IsoTimeParser();
  #counters = {
    events: 0,
    matches: 0,
    alerts: 0,
    suppressed: 0,
    bad_ts: 0,
    future_ts_clamped: 0,
    errors: 0,
  };
  /** Hits per rule id of earlier rule sets (before a reload). */
  #ruleHits = new Map<string, number>();
  /**
   * Hits per rule index of the rule set in force, counted without a Map
   * lookup per match; folded into {@link #ruleHits} for the summary.
   */
  #hitCounts: number[] = [];
  readonly #ruleErrors = new Map<string, number>();
  /** Per rule id, when its error was last reported (wall ms). */
  readonly #ruleErrorReported = new Map<string, number>();

  constructor(set: RuleSet, opts: SigmaDetectorOptions = {}) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.#set = set;
    this.#view = new EventView(set.fields);
    this.#hostSlot = hostSlotOf(set);
    this.#corr = new CorrelationEngine(set.correlations, opts);
  }

  /** The rules in force. */
  get ruleSet(): RuleSet {
    return this.#set;
  }

  /**
   * Swaps in a new rule set (SIGHUP reload). Correlation state belongs to
   * the old rules and starts afresh.
   */
  replaceRules(set: RuleSet): void {
    this.#ruleHits = this.#hitsByRule();
    this.#hitCounts = [];
    this.#set = set;
    this.#view = new EventView(set.fields);
    this.#hostSlot = hostSlotOf(set);
    this.#corr = new CorrelationEngine(set.correlations, this.#opts);
    this.#suppress.clear();
  }

  observe(event: EnrichedEvent, raise: AlertSink): void {
    this.#counters.events++;
    try {
      this.#observe(event, raise);
    } catch {
      // A predicate must never take the stage down; count and move on.
      this.#counters.errors++;
    }
  }

  #observe(event: EnrichedEvent, raise: AlertSink): void {
    const view = this.#view;
    view.reset(event as unknown as Record<string, unknown>);
    const rules = this.#set.router.route(view);
    let tsMs = NaN;
    let corrTs = NaN;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i];
      let hit: boolean;
      try {
        hit = r.match(view);
      } catch (e) {
        // One rule failing on one event must not skip the rules after it.
        this.#ruleError(r.meta.id, e);
        continue;
      }
      if (!hit) continue;
      this.#counters.matches++;
      this.#hitCounts[r.index] = (this.#hitCounts[r.index] ?? 0) + 1;
      if (Number.isNaN(tsMs)) {
        tsMs = this.#eventTimes.parse(event.ts);
        if (Number.isNaN(tsMs)) {
          this.#counters.bad_ts++;
          tsMs = this.#receiveTimes.parse(event.received_at);
          if (Number.isNaN(tsMs)) tsMs = this.#now();
        }
      }
      if (r.generate) this.#single(r.index, event, tsMs, raise);
      if (this.#corr.consumes(r.index)) {
        if (Number.isNaN(corrTs)) corrTs = this.#clampFuture(event, tsMs);
        this.#corr.onRuleMatch(
          r.index,
          view,
          event.event_id,
          event.tenant,
          corrTs,
          raise,
        );
      }
    }
  }

  /** Hits per rule id, earlier rule sets included. */
  #hitsByRule(): Map<string, number> {
    const out = new Map(this.#ruleHits);
    const rules = this.#set.rules;
    this.#hitCounts.forEach((n, i) => {
      if (n > 0) {
        const id = rules[i].meta.id;
        out.set(id, (out.get(id) ?? 0) + n);
      }
    });
    return out;
  }

  #ruleError(id: string, e: unknown): void {
    this.#counters.errors++;
    const n = (this.#ruleErrors.get(id) ?? 0) + 1;
    this.#ruleErrors.set(id, n);
    const report = this.#opts.onRuleError;
    if (report === undefined) return;
    const now = Date.now();
    const last = this.#ruleErrorReported.get(id);
    if (last !== undefined && now - last < 60_000) return;
    this.#ruleErrorReported.set(id, now);
    report(id, e, n);
  }

  /**
   * Event time for correlation: at most `received_at + maxFutureMs`, so an
   * event dated years ahead cannot move the correlation clock (review A2).
   */
  #clampFuture(event: EnrichedEvent, tsMs: number): number {
    const recv = this.#receiveTimes.parse(event.received_at);
    if (Number.isNaN(recv)) return tsMs;
    const limit = recv + (this.#opts.maxFutureMs ?? 900_000);
    if (tsMs <= limit) return tsMs;
    this.#counters.future_ts_clamped++;
    return limit;
  }

  #single(
    ruleIndex: number,
    event: EnrichedEvent,
    tsMs: number,
    raise: AlertSink,
  ) {
    const r = this.#set.rules[ruleIndex];
    let entity = { type: "event_id", value: event.event_id };
    for (const e of this.#set.entitySlots) {
      const v = this.#view.get(e.slot);
      if (typeof v === "string" && v !== "") {
        entity = { type: e.name, value: v };
        break;
      }
      if (typeof v === "number") {
        entity = { type: e.name, value: String(v) };
        break;
      }
    }
    // The host the event happened on, unless it already is the entity: the
    // same account or source on two hosts is two incidents (svc-backup
    // created on db-01 and on web-02), so suppression keys on both.
    let host = "";
    if (entity.type !== "host.name") {
      const h = this.#view.get(this.#hostSlot);
      if (typeof h === "string") host = h;
    }
    const where = host === "" ? "" : ` on ${host}`;
    const win = this.#opts.singleSuppressMs ?? 0;
    const realert = this.#opts.realertMs ?? 0;
    let count = 1;
    let startMs = tsMs;
    if (win > 0) {
      const key =
        `${r.meta.id}\u001f${event.tenant}\u001f${entity.type}\u001f${entity.value}\u001f${host}`;
      if (tsMs > this.#newestHitMs) this.#newestHitMs = tsMs;
      const s = this.#suppress.get(key);
      if (
        s !== undefined && tsMs <= s.until && tsMs >= s.alertedAt &&
        (realert <= 0 || tsMs - s.alertedAt < realert)
      ) {
        // The incident goes on: stay silent until it has been quiet a
        // whole window.
        this.#counters.suppressed++;
        s.matches++;
        if (tsMs + win > s.until) s.until = tsMs + win;
        return;
      }
      // Re-raised while ongoing (realert): the alert spans and counts every
      // match since the last one.
      if (s !== undefined && tsMs <= s.until && tsMs >= s.alertedAt) {
        count = s.matches + 1;
        startMs = s.alertedAt;
      }
      this.#suppress.delete(key);
      this.#suppress.set(key, {
        until: tsMs + win,
        alertedAt: tsMs,
        matches: 0,
      });
      const cap = this.#opts.maxSuppressionKeys ?? 100_000;
      if (this.#suppress.size > cap) {
        const first = this.#suppress.keys().next().value;
        if (first !== undefined) this.#suppress.delete(first);
      }
    }
    this.#counters.alerts++;
    raise(buildAlert({
      kind: "sigma",
      meta: r.meta,
      tenant: event.tenant,
      groupKey: win > 0
        ? `${entity.type}=${entity.value}${
          host === "" ? "" : `,host.name=${host}`
        }`
        : event.event_id,
      group: {},
      entity,
      eventIds: [event.event_id],
      count,
      windowStartMs: startMs,
      windowEndMs: tsMs,
      message: `${r.meta.title} (${entity.type} ${entity.value}${where})`,
      nowMs: this.#now(),
    }));
  }

  tick(_nowMs: number, _raise: AlertSink): void {
    this.#corr.sweep();
  }

  /**
   * Oldest event time (ms) a restart must read again to rebuild the open
   * correlation windows and the silences of ongoing single-event incidents
   * (from the alert that started each, so the replay raises that alert again,
   * same id, and stays silent after it); `Infinity` when nothing is open.
   */
  neededFromMs(): number {
    let needed = this.#corr.neededFromMs();
    for (const s of this.#suppress.values()) {
      if (s.until >= this.#newestHitMs && s.alertedAt < needed) {
        needed = s.alertedAt;
      }
    }
    return needed;
  }

  stats(): Record<string, unknown> {
    return {
      rules: this.#set.rules.length,
      correlations: this.#set.correlations.length,
      ...this.#counters,
      regex_inputs_cut: regexInputsCut(),
      correlation: this.#corr.stats(),
      hits_by_rule: Object.fromEntries(this.#hitsByRule()),
      errors_by_rule: Object.fromEntries(this.#ruleErrors),
    };
  }
}

/** The slot of host.name among the rule set's entity fields. */
function hostSlotOf(set: RuleSet): number {
  const e = set.entitySlots.find((x) => x.name === "host.name");
  return e === undefined ? set.fields.slot("host.name") : e.slot;
}
