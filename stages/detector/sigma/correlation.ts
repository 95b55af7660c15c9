/**
 * Correlation rules over event time (Sigma correlation specification):
 * event_count, value_count, temporal, temporal_ordered, value_sum,
 * value_avg, value_percentile, with group-by, aliases and chaining.
 *
 * Semantics, stated once:
 * - Windows slide over event time (`ts`). A hit is evaluated in the window
 *   `[t - timespan, t]` ending at it; a late hit (older than the newest of
 *   its group) is also evaluated in every window that ends at a newer entry
 *   and still contains it, so order of arrival does not change the outcome.
 * - Late events: a hit more than `latenessMs` older than the newest hit of
 *   its own group is dropped and counted (`late_dropped`). The watermark is
 *   per group, never per rule: one tenant's (or one source's) event dated
 *   in the future must not make everyone else's hits "late".
 * - Event times are clamped to `received_at + maxFutureMs` by the caller,
 *   and groups are swept against a per-tenant clock with that allowance
 *   subtracted, so a future-dated event cannot sweep live groups either.
 * - Groups are keyed by tenant and the group-by values; a hit lacking a
 *   group-by value does not count.
 * - One alert per ongoing incident: after an alert, the same rule and group
 *   stay silent while their condition keeps holding; every window that
 *   meets it again pushes the silence to its end plus the suppression
 *   window (`suppressMs`, default the timespan). A group re-alerts once it
 *   has been quiet that long (a new incident), or, when `realertMs` is set,
 *   once that long has passed since its last alert while the incident goes
 *   on (the later alert carries the window's updated measure).
 * - State is bounded: an estimate of the bytes held is kept under
 *   `memoryCapBytes` by evicting least-recently-touched groups; each group
 *   keeps at most `maxEntriesPerGroup` entries (oldest dropped); groups
 *   whose newest entry can no longer be in any window are swept.
 *
 * @module
 */
import type { Alert } from "../../shared/contracts/mod.ts";
import type { AlertSink } from "../detector.ts";
import { buildAlert, EVIDENCE_MAX, formatSpan } from "./alert.ts";
import { type CorrelationSpec, inRange } from "./compile.ts";
import type { EventView } from "./fields.ts";

/** Tuning of the correlation state. */
export interface CorrelationOptions {
  /** How far behind the newest event a hit may arrive and still count. @default 60000 */
  latenessMs?: number;
  /** Cap on the estimated bytes of correlation state. @default 268435456 (256 MiB) */
  memoryCapBytes?: number;
  /** Most entries kept per group. @default 10000 */
  maxEntriesPerGroup?: number;
  /**
   * How far past its `received_at` an event's time may lie; later times are
   * clamped to it (counted as `future_ts_clamped`). @default 900000 (15 min)
   */
  maxFutureMs?: number;
  /**
   * Quiet span (event time) that ends an incident per rule+group: after an
   * alert, windows meeting the condition again are silent, each one
   * extending the silence to its end plus this span. Default the rule's
   * timespan; 0 alerts on every window that meets the condition.
   */
  suppressMs?: number;
  /**
   * Re-raise an incident still going on this long (event time) after its
   * last alert, with the updated measure; 0 or absent: never while it lasts.
   */
  realertMs?: number;
  /** Wall clock for `detected_at`. @default Date.now */
  now?: () => number;
}

/** Estimated bytes of one group (object, aggregate, arrays, Map slot; bench/sigma_bench.ts measures ~410 B per one-entry group including key and evidence id). */
export const GROUP_BYTES = 336;
/** Estimated bytes of one stored entry. */
export const ENTRY_BYTES = 40;

class GroupWindow {
  ts: number[];
  ids: (string | string[])[];
  vals: (string | number | undefined)[] | null;
  refs: number[] | null;
  /**
   * Chained correlations: per entry, when its evidence starts (a feeding
   * alert's window start; its own time for a rule hit), so the alert's
   * window spans all its evidence. Null when no ref is a correlation.
   */
  starts: number[] | null;
  suppressedUntil = -Infinity;
  /** Window end of the group's last alert. */
  alertedAt = -Infinity;
  /** Window start of the current incident's first alert. */
  incidentSince = -Infinity;
  /** Times the condition held while silenced, since the last alert. */
  silenced = 0;
  /** Hit epoch of the last LRU re-insertion. */
  epoch = -1;
  /**
   * Running aggregate of the newest window [lo, last], kept incrementally
   * while hits arrive; `dirty` after front drops into it, rebuilt lazily.
   */
  run = new Aggregate();
  dirty = false;
  /** Created with its first entry, so arrays start at their exact size. */
  constructor(
    readonly spec: number,
    /** `spec SEP tenant SEP value SEP value…`: also the source of tenant and values. */
    readonly key: string,
    readonly tenant: string,
    ts: number,
    ids: string | string[],
    value: string | number | undefined,
    pos: number,
    keepValues: boolean,
    keepRefs: boolean,
    start: number | undefined,
  ) {
    this.ts = [ts];
    this.newest = ts;
    this.ids = [ids];
    this.vals = keepValues ? [value] : null;
    this.refs = keepRefs ? [pos] : null;
    this.starts = start === undefined ? null : [start];
  }
  /**
   * Time of the newest entry (the last; -Infinity when none), kept as a
   * field: read on every hit, where the array's last element would be
   * two more dependent loads.
   */
  newest: number;
  /** Tenant and group-by values, decoded from the key. */
  parts(): { tenant: string; values: string[] } {
    const all = this.key.split(SEP);
    return { tenant: all[1], values: all.slice(2) };
  }
}

/** Running figures of a window [lo, hi] of a group's entries. */
class Aggregate {
  lo = 0;
  distinct: Map<string, number> | null = null;
  sum = 0;
  nums = 0;
  refCounts: number[] | null = null;
  /**
   * temporal_ordered: per position j, the latest start time of a chain of
   * refs 0..j in order among the entries accounted so far (-Infinity: none).
   * Time-based, so entries leaving the window need no accounting: a window
   * starting at S holds the chain 0..j iff chainStart[j] >= S.
   */
  chainStart: number[] | null = null;
}

interface Consumer {
  spec: CorrelationSpec;
  pos: number;
}

const SEP = "\u001f";

/** The correlation state machine shared by every correlation rule. */
export class CorrelationEngine {
  readonly #specs: CorrelationSpec[];
  readonly #byRule = new Map<number, Consumer[]>();
  readonly #byCorr = new Map<number, Consumer[]>();
  readonly #groups = new Map<string, GroupWindow>();
  /** Newest event time seen per tenant: the clock groups are swept by. */
  readonly #tenantClock = new Map<string, number>();
  readonly #lateness: number;
  readonly #maxFuture: number;
  readonly #cap: number;
  readonly #maxEntries: number;
  readonly #suppressMs?: number;
  readonly #realertMs: number;
  readonly #now: () => number;
  #bytes = 0;
  #entries = 0;
  #epoch = 0;
  /** Counters for the run summary. */
  readonly counters = {
    hits: 0,
    /** Hits of an event already in its group (redelivered), not counted. */
    duplicates: 0,
    late_dropped: 0,
    evicted_groups: 0,
    evicted_entries: 0,
    swept_groups: 0,
    missing_group_value: 0,
    suppressed: 0,
    alerts: 0,
  };

  constructor(specs: CorrelationSpec[], opts: CorrelationOptions = {}) {
    this.#specs = specs;
    this.#lateness = opts.latenessMs ?? 60_000;
    this.#maxFuture = opts.maxFutureMs ?? 900_000;
    this.#cap = opts.memoryCapBytes ?? 256 * 1024 * 1024;
    this.#maxEntries = opts.maxEntriesPerGroup ?? 10_000;
    this.#suppressMs = opts.suppressMs;
    this.#realertMs = opts.realertMs ?? 0;
    this.#now = opts.now ?? Date.now;
    for (const s of specs) {
      s.refs.forEach((r, pos) => {
        const m = r.kind === "rule" ? this.#byRule : this.#byCorr;
        const list = m.get(r.index) ?? [];
        list.push({ spec: s, pos });
        m.set(r.index, list);
      });
    }
  }

  /** True when base rule `index` feeds some correlation. */
  consumes(ruleIndex: number): boolean {
    return this.#byRule.has(ruleIndex);
  }

  /** Groups currently held. */
  get groups(): number {
    return this.#groups.size;
  }

  /** Estimated bytes of state held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** A base rule matched the event in `view` at event time `tsMs`. */
  onRuleMatch(
    ruleIndex: number,
    view: EventView,
    eventId: string,
    tenant: string,
    tsMs: number,
    raise: AlertSink,
  ): void {
    const consumers = this.#byRule.get(ruleIndex);
    if (!consumers) return;
    for (const c of consumers) {
      let values = "";
      let ok = true;
      for (let g = 0; g < c.spec.groupSlots.length; g++) {
        const s = scalar(view.get(c.spec.groupSlots[g][c.pos]));
        if (s === undefined) {
          ok = false;
          break;
        }
        values += SEP + s;
      }
      if (!ok) {
        this.counters.missing_group_value++;
        continue;
      }
      const vs = c.spec.valueSlots[c.pos];
      const raw = vs === undefined ? undefined : view.get(vs);
      const value = typeof raw === "number" || typeof raw === "string"
        ? raw
        : undefined;
      this.#hit(c, tenant, values, tsMs, eventId, value, raise);
    }
  }

  #onCorrelationAlert(
    spec: CorrelationSpec,
    alert: Alert,
    endMs: number,
    startMs: number,
    raise: AlertSink,
  ) {
    const consumers = this.#byCorr.get(spec.index);
    if (!consumers) return;
    for (const c of consumers) {
      let values = "";
      let ok = true;
      for (let g = 0; g < c.spec.groupFields.length; g++) {
        const name = c.spec.groupFields[g][c.pos];
        const v = alert.group[name];
        if (v === undefined) {
          ok = false;
          break;
        }
        values += SEP + v;
      }
      if (!ok) {
        this.counters.missing_group_value++;
        continue;
      }
      this.#hit(
        c,
        alert.tenant,
        values,
        endMs,
        alert.evidence.event_ids,
        undefined,
        raise,
        startMs,
      );
    }
  }

  #hit(
    c: Consumer,
    tenant: string,
    /** Group-by values, each preceded by SEP. */
    values: string,
    ts: number,
    ids: string | string[],
    value: string | number | undefined,
    raise: AlertSink,
    /** A feeding alert's window start (chained correlations); default ts. */
    start = ts,
  ): void {
    const spec = c.spec;
    if ((++this.counters.hits & 1023) === 0) this.#epoch++;
    const clock = this.#tenantClock.get(tenant);
    if (clock === undefined || ts > clock) this.#tenantClock.set(tenant, ts);
    const key = spec.index + SEP + tenant + values;
    let g = this.#groups.get(key);
    let at: number;
    if (g !== undefined && ts < g.newest - this.#lateness) {
      this.counters.late_dropped++;
      return;
    }
    if (g === undefined) {
      g = new GroupWindow(
        spec.index,
        key,
        tenant,
        ts,
        ids,
        value,
        c.pos,
        spec.valueField !== undefined,
        spec.type !== "event_count",
        spec.refs.some((r) => r.kind !== "rule") ? start : undefined,
      );
      this.#bytes += GROUP_BYTES + key.length * 2;
      this.#groups.set(key, g);
      at = 0;
    } else {
      // Re-insert so Map order is least-recently-touched first; at most once
      // per epoch of hits, which keeps the order approximately right for far
      // fewer Map operations.
      if (g.epoch !== this.#epoch) {
        g.epoch = this.#epoch;
        this.#groups.delete(key);
        this.#groups.set(key, g);
      }
      // Insert keeping event-time order (late hits go back a few places).
      at = g.ts.length;
      while (at > 0 && g.ts[at - 1] > ts) at--;
      // The same event again (at-least-once delivery: Kafka re-reading
      // held-back input after a rebalance, a producer's retry) must not
      // count twice. A copy has the same time, so it sits among the
      // entries just before `at`: usually none, so this costs one compare.
      for (let k = at - 1; k >= 0 && g.ts[k] === ts; k--) {
        if (
          sameIds(g.ids[k], ids) &&
          (g.refs == null || g.refs[k] === c.pos)
        ) {
          this.counters.duplicates++;
          return;
        }
      }
      if (at === g.ts.length) {
        g.ts.push(ts);
        g.newest = ts;
        g.ids.push(ids);
        g.refs?.push(c.pos);
        g.vals?.push(value);
        g.starts?.push(start);
      } else {
        g.ts.splice(at, 0, ts);
        g.ids.splice(at, 0, ids);
        g.refs?.splice(at, 0, c.pos);
        g.vals?.splice(at, 0, value);
        g.starts?.splice(at, 0, start);
        this.#placeLate(spec, g, at);
      }
    }
    this.#bytes += ENTRY_BYTES;
    this.#entries++;
    // Drop what no window can reach any more, in batches (a stale prefix is
    // harmless: every window starts after it), so the arrays are not shifted
    // on every hit.
    const horizon = g.newest - this.#lateness - spec.timespanMs;
    const len = g.ts.length;
    let drop = 0;
    if (len > 0 && g.ts[0] < horizon) {
      const probe = Math.min(len - 1, Math.max(63, len >> 1));
      if (g.ts[probe] < horizon) drop = lowerBound(g.ts, horizon, len);
    }
    if (g.ts.length - drop > this.#maxEntries) {
      const extra = g.ts.length - drop - this.#maxEntries;
      drop += extra;
      this.counters.evicted_entries += extra;
    }
    if (drop > 0) {
      g.ts.splice(0, drop);
      if (g.ts.length === 0) g.newest = -Infinity;
      g.ids.splice(0, drop);
      g.refs?.splice(0, drop);
      g.vals?.splice(0, drop);
      g.starts?.splice(0, drop);
      if (drop > at) at = -1;
      else at -= drop;
      this.#bytes -= drop * ENTRY_BYTES;
      this.#entries -= drop;
    }
    if (drop > 0) {
      g.run.lo -= drop;
      if (g.run.lo < 0) g.dirty = true;
    }
    if (at >= 0 && at === g.ts.length - 1) this.#advance(spec, g);
    if (at >= 0) this.#evaluate(spec, g, at, raise);
    this.#enforceCap();
  }

  /** Keeps the running aggregate right when an entry lands before the newest. */
  #placeLate(spec: CorrelationSpec, g: GroupWindow, at: number): void {
    if (g.dirty) return;
    if (spec.type === "temporal_ordered") {
      // Chains depend on entry order: rebuild on the next in-order entry.
      g.dirty = true;
      return;
    }
    const newest = g.ts[g.ts.length - 1];
    if (g.ts[at] >= newest - spec.timespanMs) {
      this.#account(spec, g.run, g, at, 1);
    } else g.run.lo++;
  }

  /** Adds the newest entry to the running aggregate and slides its start. */
  #advance(spec: CorrelationSpec, g: GroupWindow): void {
    const last = g.ts.length - 1;
    const run = g.run;
    if (g.dirty) {
      g.run = new Aggregate();
      g.run.lo = lowerBound(g.ts, g.ts[last] - spec.timespanMs, last);
      for (let i = g.run.lo; i <= last; i++) {
        this.#account(spec, g.run, g, i, 1);
      }
      g.dirty = false;
      return;
    }
    this.#account(spec, run, g, last, 1);
    const start = g.ts[last] - spec.timespanMs;
    while (run.lo < last && g.ts[run.lo] < start) {
      this.#account(spec, run, g, run.lo, -1);
      run.lo++;
    }
  }

  #account(
    spec: CorrelationSpec,
    a: Aggregate,
    g: GroupWindow,
    i: number,
    d: 1 | -1,
  ): void {
    switch (spec.type) {
      case "value_count": {
        const v = g.vals![i];
        if (v === undefined) return;
        const k = typeof v === "number" ? numberKey(v) : v.toLowerCase();
        const m = a.distinct ??= new Map();
        const n = (m.get(k) ?? 0) + d;
        if (n <= 0) m.delete(k);
        else m.set(k, n);
        return;
      }
      case "value_sum":
      case "value_avg": {
        const x = numericValue(g.vals![i]);
        if (Number.isFinite(x)) {
          a.sum += d * x;
          a.nums += d;
        }
        return;
      }
      case "temporal": {
        const r = g.refs![i];
        const c = a.refCounts ??= new Array(spec.refs.length).fill(0);
        c[r] += d;
        return;
      }
      case "temporal_ordered": {
        // Entries are accounted in index (event-time) order and never
        // removed: the check against the window start is by time.
        if (d < 0) return;
        const r = g.refs![i];
        const c = a.chainStart ??= new Array(spec.refs.length).fill(-Infinity);
        if (r === 0) c[0] = g.ts[i];
        else if (c[r - 1] > c[r]) c[r] = c[r - 1];
        return;
      }
    }
  }

  /** The measure from an aggregate of `n` entries; null for value_percentile (a scan). */
  #measureAggregate(
    spec: CorrelationSpec,
    a: Aggregate,
    n: number,
    windowStart: number,
  ): number | undefined | null {
    switch (spec.type) {
      case "event_count":
        return inRange(n, spec.condition) ? n : undefined;
      case "value_count": {
        const k = a.distinct?.size ?? 0;
        return inRange(k, spec.condition) ? k : undefined;
      }
      case "value_sum":
        if (a.nums === 0) return undefined;
        return inRange(a.sum, spec.condition) ? a.sum : undefined;
      case "value_avg": {
        if (a.nums === 0) return undefined;
        const m = a.sum / a.nums;
        return inRange(m, spec.condition) ? m : undefined;
      }
      case "temporal": {
        let seen = 0;
        for (const c of a.refCounts ?? []) if (c > 0) seen++;
        const ok = Object.keys(spec.condition).length
          ? inRange(seen, spec.condition)
          : seen === spec.refs.length;
        return ok ? seen : undefined;
      }
      case "temporal_ordered": {
        // The longest prefix of the rule order present, in order, in the
        // window: chains of 0..j starting at or after the window start.
        const c = a.chainStart;
        let need = 0;
        while (
          c !== null && need < spec.refs.length && c[need] >= windowStart
        ) need++;
        const ok = Object.keys(spec.condition).length
          ? inRange(need, spec.condition)
          : need === spec.refs.length;
        return ok ? need : undefined;
      }
      default:
        return null;
    }
  }

  #evaluate(
    spec: CorrelationSpec,
    g: GroupWindow,
    at: number,
    raise: AlertSink,
  ) {
    const last = g.ts.length - 1;
    if (at === last) {
      // In order: the running aggregate is the window ending here.
      const lo = g.run.lo;
      let r = this.#measureAggregate(
        spec,
        g.run,
        last - lo + 1,
        g.ts[last] - spec.timespanMs,
      );
      if (r === null) r = this.#percentile(spec, g, lo, last);
      if (r !== undefined) this.#fire(spec, g, lo, last, r, raise);
      return;
    }
    // Late: every window that ends at or after the hit and still holds it,
    // slid with a temporary aggregate (O(window) in all).
    const t = g.ts[at];
    const span = spec.timespanMs;
    const agg = new Aggregate();
    let lo = lowerBound(g.ts, t - span, at);
    for (let i = lo; i <= at; i++) this.#account(spec, agg, g, i, 1);
    for (let hi = at; hi <= last; hi++) {
      const end = g.ts[hi];
      if (end - span > t) break;
      if (hi > at) {
        this.#account(spec, agg, g, hi, 1);
        while (g.ts[lo] < end - span) this.#account(spec, agg, g, lo++, -1);
      }
      if (hi < last && g.ts[hi + 1] === end) continue; // same instant: use the latest
      let r = this.#measureAggregate(spec, agg, hi - lo + 1, end - span);
      if (r === null) r = this.#percentile(spec, g, lo, hi);
      if (r !== undefined) {
        this.#fire(spec, g, lo, hi, r, raise);
        return;
      }
    }
  }

  /**
   * Raises unless the group's incident is already alerted: a window meeting
   * the condition within the silence extends it (the incident goes on).
   */
  #fire(
    spec: CorrelationSpec,
    g: GroupWindow,
    lo: number,
    hi: number,
    measured: number,
    raise: AlertSink,
  ) {
    const end = g.ts[hi];
    const quiet = this.#suppressMs ?? spec.timespanMs;
    const ongoing = end <= g.suppressedUntil;
    if (
      ongoing &&
      (this.#realertMs <= 0 || end - g.alertedAt < this.#realertMs)
    ) {
      this.counters.suppressed++;
      g.silenced++;
      if (end + quiet > g.suppressedUntil) g.suppressedUntil = end + quiet;
      return;
    }
    g.suppressedUntil = end + quiet;
    g.alertedAt = end;
    this.#raise(spec, g, lo, hi, measured, raise, ongoing);
  }

  /**
   * value_percentile, the one measure no running aggregate keeps: the
   * window's numbers sorted, when the percentile satisfies the condition.
   */
  #percentile(
    spec: CorrelationSpec,
    g: GroupWindow,
    lo: number,
    hi: number,
  ): number | undefined {
    const nums: number[] = [];
    for (let i = lo; i <= hi; i++) {
      const x = numericValue(g.vals![i]);
      if (Number.isFinite(x)) nums.push(x);
    }
    if (nums.length === 0) return undefined;
    nums.sort((a, b) => a - b);
    const rank = Math.ceil((spec.percentile! / 100) * nums.length) - 1;
    const m = nums[Math.min(nums.length - 1, Math.max(0, rank))];
    return inRange(m, spec.condition) ? m : undefined;
  }

  #raise(
    spec: CorrelationSpec,
    g: GroupWindow,
    lo: number,
    hi: number,
    measured: number,
    raise: AlertSink,
    ongoing = false,
  ) {
    const ids: string[] = [];
    let count = 0;
    for (let i = hi; i >= lo; i--) {
      const x = g.ids[i];
      if (typeof x === "string") {
        count++;
        if (ids.length < EVIDENCE_MAX) ids.push(x);
      } else {
        count += x.length;
        for (let j = x.length - 1; j >= 0 && ids.length < EVIDENCE_MAX; j--) {
          ids.push(x[j]);
        }
      }
    }
    ids.reverse();
    const { tenant, values } = g.parts();
    const group: Record<string, string> = {};
    spec.groupBy.forEach((name, i) => (group[name] = values[i]));
    const entity = spec.groupBy.length
      ? { type: spec.groupBy[0], value: values[0] }
      : { type: "rule", value: spec.meta.id };
    const groupText = spec.groupBy.map((n, i) => `${n}=${values[i]}`).join(
      ", ",
    );
    const what = describeMeasure(spec, measured);
    // The window spans the evidence: a chained stage's entry is stamped at
    // its feeding alert's end, but that alert's events start earlier.
    let startMs = g.ts[lo];
    if (g.starts !== null) {
      for (let i = lo; i <= hi; i++) {
        if (g.starts[i] < startMs) startMs = g.starts[i];
      }
    }
    // Re-raised while the incident goes on (--realert-interval): the
    // window's measure alone would read like a new incident, so say since
    // when it runs and how often the condition held in between.
    let ongoingText = "";
    if (ongoing && g.incidentSince > -Infinity) {
      const n = g.silenced;
      ongoingText = `; ongoing since ${
        new Date(g.incidentSince).toISOString()
      }, the condition held ${n} more ${
        n === 1 ? "time" : "times"
      } since the last alert`;
    } else {
      g.incidentSince = startMs;
    }
    g.silenced = 0;
    const alert = buildAlert({
      kind: "correlation",
      meta: spec.meta,
      tenant,
      groupKey: g.key.slice(g.key.indexOf(SEP) + 1),
      group,
      entity,
      eventIds: ids,
      count,
      windowStartMs: startMs,
      windowEndMs: g.ts[hi],
      message: `${spec.meta.title}: ${what} within ${
        formatSpan(spec.timespanMs)
      }${groupText ? ` for ${groupText}` : ""}${ongoingText}`,
      nowMs: this.#now(),
    });
    // A chained stage without `generate` only feeds the next correlation.
    if (spec.generate) {
      this.counters.alerts++;
      raise(alert);
    }
    this.#onCorrelationAlert(spec, alert, g.ts[hi], startMs, raise);
  }

  #enforceCap() {
    if (this.#bytes <= this.#cap) return;
    for (const [key, g] of this.#groups) {
      if (this.#bytes <= this.#cap * 0.9) break;
      this.#drop(key, g);
      this.counters.evicted_groups++;
    }
  }

  #drop(key: string, g: GroupWindow) {
    this.#groups.delete(key);
    this.#bytes -= GROUP_BYTES + key.length * 2 + g.ts.length * ENTRY_BYTES;
    this.#entries -= g.ts.length;
  }

  /**
   * Removes groups that no future window can include (oldest-touched
   * first, stopping at the first live one). Called from tick.
   */
  sweep(budget = 10_000): void {
    let n = 0;
    for (const [key, g] of this.#groups) {
      if (n++ >= budget) break;
      const spec = this.#specs[g.spec];
      // The tenant's clock, less the future allowance: an event dated ahead
      // (clamped to received_at + maxFutureMs) cannot sweep live groups.
      const clock = (this.#tenantClock.get(g.tenant) ?? -Infinity) -
        this.#maxFuture;
      const horizon = clock - this.#lateness - spec.timespanMs;
      if (g.newest >= horizon || g.suppressedUntil >= clock) break;
      this.#drop(key, g);
      this.counters.swept_groups++;
    }
  }

  /**
   * The oldest event time (ms) the open state was built from and a restart
   * must read again to rebuild it; `Infinity` when nothing is open. Per
   * live group (one {@link sweep} would keep): the entries any later window
   * can still include (its newest less lateness and timespan), and while an
   * incident is silenced, the window of the alert that started the silence,
   * so a replay raises that same alert (same id) and stays silent after it.
   * A scan of every group: the runner spaces its calls by their cost.
   */
  neededFromMs(): number {
    let needed = Infinity;
    for (const g of this.#groups.values()) {
      if (g.ts.length === 0) continue;
      const spec = this.#specs[g.spec];
      const clock = (this.#tenantClock.get(g.tenant) ?? -Infinity) -
        this.#maxFuture;
      const horizon = clock - this.#lateness - spec.timespanMs;
      const silenced = g.suppressedUntil >= clock;
      if (g.newest < horizon && !silenced) continue; // sweepable: dead
      let from = Math.max(
        g.ts[0],
        g.newest - this.#lateness - spec.timespanMs,
      );
      if (silenced && g.alertedAt > -Infinity) {
        from = Math.min(from, g.alertedAt - spec.timespanMs);
      }
      if (from < needed) needed = from;
    }
    return needed;
  }

  /** Figures for the run summary. */
  stats(): Record<string, unknown> {
    return {
      ...this.counters,
      groups: this.#groups.size,
      entries: this.#entries,
      state_bytes_estimate: this.#bytes,
    };
  }
}

function describeMeasure(spec: CorrelationSpec, m: number): string {
  switch (spec.type) {
    case "event_count":
      return `${m} events`;
    case "value_count":
      return `${m} distinct ${spec.valueField}`;
    case "value_sum":
      return `sum of ${spec.valueField} ${m}`;
    case "value_avg":
      return `average ${spec.valueField} ${Math.round(m * 100) / 100}`;
    case "value_percentile":
      return `p${spec.percentile} of ${spec.valueField} ${m}`;
    case "temporal":
      return `${m} related rules matched`;
    case "temporal_ordered":
      return `${m} rules matched in order`;
  }
}

function lowerBound(a: number[], x: number, hi: number): number {
  let lo = 0;
  let h = hi;
  while (lo < h) {
    const mid = (lo + h) >> 1;
    if (a[mid] < x) lo = mid + 1;
    else h = mid;
  }
  return lo;
}

function scalar(x: unknown): string | undefined {
  if (typeof x === "string") return x;
  if (typeof x === "number" || typeof x === "boolean") return String(x);
  return undefined;
}

/**
 * Strings of the integers 0–65535 (ports, counts), made once: `String(v)`
 * without an allocation per hit, and one cached hash for the Map.
 */
const SMALL_INTS: (string | undefined)[] = new Array(65_536);

/** `String(v)`, shared for small non-negative integers. */
function numberKey(v: number): string {
  return (v & 0xffff) === v ? SMALL_INTS[v] ??= String(v) : String(v);
}

/** A value_sum/avg/percentile field as a number; NaN when it is none. */
function numericValue(v: string | number | undefined): number {
  return typeof v === "number" ? v : typeof v === "string" ? Number(v) : NaN;
}

/** True when two hits carry the same event (or the same feeding alert's events). */
function sameIds(a: string | string[], b: string | string[]): boolean {
  if (a === b) return true;
  if (typeof a === "string" || typeof b === "string") return false;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
