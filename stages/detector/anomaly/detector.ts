/**
 * The anomaly {@link Detector}: extracts features from each enriched event,
 * scores them with the Isolation Forest, and counts an event scoring at or
 * above the threshold, or with a windowed value beyond the training range
 * (which the forest cannot score), as a hit against the entities acting in
 * it; an alert's message says which of the two its hits were; an entity
 * with enough hits in its window raises one `kind: "anomaly"` alert (see
 * alerting.ts for why alerts are about entities, not single events).
 * Without a model it first trains on a warm-up window of events (and
 * calibrates the threshold on that window); optionally it re-fits
 * periodically on a reservoir sample.
 *
 * @module
 */
import type {
  Alert,
  EnrichedEvent,
  Severity,
} from "../../shared/contracts/mod.ts";
import { stableId } from "../../shared/ids.ts";
import type { Logger } from "../../shared/log.ts";
import type { AlertSink, Detector } from "../detector.ts";
import {
  coldWindowFloors,
  DEFAULT_FEATURE_SPEC,
  FeatureExtractor,
  type FeatureSpec,
  isoTimeMs,
  raiseColdWindows,
} from "./features.ts";
import type { ForestParams } from "./iforest.ts";
import type { AnomalyModel } from "./model.ts";
import {
  OrderedRing,
  Reservoir,
  type ThresholdRule,
  trainModel,
} from "./train.ts";
import {
  type AlertPolicy,
  DEFAULT_ALERT_POLICY,
  EntityAlerter,
  type Hit,
  incidentLead,
  sameIncident,
} from "./alerting.ts";

/** Rule id of every anomaly alert. */
export const ANOMALY_RULE_ID = "sentinel-anomaly-iforest";

/** Rule title of every anomaly alert (demo-seed uses it too). */
export const ANOMALY_RULE_TITLE = "Anomalous activity (Isolation Forest)";

/** Options of {@link AnomalyDetector}. */
export interface AnomalyDetectorOptions {
  /** A trained model; without one the detector trains on the warm-up window. */
  model?: AnomalyModel;
  /** Where the model came from, for `rule.source` (e.g. its path). */
  modelSource?: string;
  /** Events to train on before scoring when there is no model. @default 2000 */
  warmup?: number;
  /**
   * Event time the warm-up must also cover, in ms. Windowed features (failed
   * logins per source per hour, …) only look like normal traffic once the
   * windows have filled; a model trained on the first seconds of a fast
   * stream would find most later events anomalous. @default 0
   */
  warmupSpanMs?: number;
  /** Feature spec for warm-up training. @default DEFAULT_FEATURE_SPEC */
  spec?: FeatureSpec;
  /** Forest parameters for warm-up training and re-fits. */
  params?: Partial<ForestParams>;
  /** Threshold rule for warm-up training and re-fits. */
  thresholdRule?: Partial<ThresholdRule>;
  /** Fixed alert threshold, overriding the model's. */
  threshold?: number;
  /** One alert per entity per this many ms of event time (default: the model's policy, 600 s). */
  suppressMs?: number;
  /** Hits an entity needs before it alerts (default: the model's policy, 2). */
  minHits?: number;
  /** Window of those hits in ms (default: the model's policy, 600 s). */
  hitWindowMs?: number;
  /** Re-fit on the reservoir every N scored events (0: never). @default 0 */
  refitEvery?: number;
  /** Reservoir size for re-fits. @default 4096 */
  reservoirSize?: number;
  /** Features listed in an alert's contributions. @default 3 */
  topFeatures?: number;
  /** Most entities remembered for suppression. @default 50000 */
  suppressEntities?: number;
  /** Wall clock, for `detected_at`. */
  now?: () => Date;
  logger?: Logger;
  /**
   * Called with each model the detector trains itself (the warm-up's, each
   * re-fit), after it is in use: e.g. to save it so a restart starts from
   * it. A callback that throws is logged, not fatal.
   */
  onModel?: (model: AnomalyModel, cause: "warm-up" | "re-fit") => void;
}

/** Isolation-Forest anomaly detection over enriched events. */
export class AnomalyDetector implements Detector {
  readonly name = "anomaly";
  #model: AnomalyModel | undefined;
  #fx: FeatureExtractor;
  readonly #vec: Float64Array;
  readonly #warmup: number;
  #warm: OrderedRing | null;
  #warmN = 0;
  #warmFrom = "";
  #warmFromMs = 0;
  /** Latest event time seen in warm-up (for the span the warning reports). */
  #warmLastMs = -Infinity;
  readonly #warmupSpanMs: number;
  readonly #opts: AnomalyDetectorOptions;
  #alerter: EntityAlerter;
  #policy: AlertPolicy = { ...DEFAULT_ALERT_POLICY };
  readonly #reservoir: Reservoir | null;
  #sinceRefit = 0;
  #refits = 0;
  #threshold = 1;
  // Figures for the summary.
  #observed = 0;
  #scored = 0;
  #above = 0;
  #beyondOnly = 0;
  #alerts = 0;
  /** Second alerts of one incident folded into the first (see sameIncident). */
  #merged = 0;

  constructor(opts: AnomalyDetectorOptions = {}) {
    this.#opts = opts;
    const spec = opts.model?.feature_spec ?? opts.spec ?? DEFAULT_FEATURE_SPEC;
    this.#fx = new FeatureExtractor(spec);
    if (opts.model?.state) this.#fx.importState(opts.model.state);
    this.#vec = new Float64Array(this.#fx.dim);
    this.#warmup = Math.max(2, opts.warmup ?? 2000);
    this.#warmupSpanMs = Math.max(0, opts.warmupSpanMs ?? 0);
    this.#warm = opts.model
      ? null
      : new OrderedRing(this.#warmup, this.#fx.dim);
    this.#alerter = new EntityAlerter(
      this.#policyFor(undefined),
      opts.suppressEntities ?? 50_000,
    );
    if (opts.model) this.#use(opts.model);
    const every = opts.refitEvery ?? 0;
    this.#reservoir = every > 0
      ? new Reservoir(
        opts.reservoirSize ?? 4096,
        this.#fx.dim,
        opts.params?.seed ?? 1,
      )
      : null;
  }

  /** The model in use (undefined while warming up). */
  get model(): AnomalyModel | undefined {
    return this.#model;
  }

  /** The alert threshold in use. */
  get threshold(): number {
    return this.#threshold;
  }

  observe(event: EnrichedEvent, raise: AlertSink): void {
    this.#observed++;
    const v = this.#vec;
    this.#fx.extract(event, v);
    const model = this.#model;
    if (!model) {
      const t = Date.parse(event.ts);
      this.#warm!.push(v, t, event);
      if (this.#warmN++ === 0) {
        this.#warmFrom = event.ts;
        this.#warmFromMs = t;
      }
      if (t > this.#warmLastMs) this.#warmLastMs = t;
      // The ring keeps the latest `warmup` events: enough of them, and
      // enough event time behind them for the windows to have filled
      // (the newest time seen, the figure the end-of-input warning gives).
      if (
        this.#warmN >= this.#warmup &&
        this.#warmLastMs - this.#warmFromMs >= this.#warmupSpanMs
      ) this.#trainWarmup(event.ts);
      return;
    }
    this.#scored++;
    if (this.#fx.watchedMs < this.#coldUntilMs) this.#floorColdWindows(v);
    // Only a score at or above the threshold matters here, so the forest
    // may stop walking once the threshold is out of reach (most events).
    const threshold = this.#threshold;
    const beyond = this.#beyondRange(v);
    let score = model.forest.scoreAtLeast(v, threshold);
    if (this.#reservoir) {
      this.#reservoir.offer(v);
      if (++this.#sinceRefit >= this.#opts.refitEvery!) {
        this.#refit(event.ts);
        // The re-fit moved the threshold this event is judged against.
        if (this.#threshold !== threshold) score = model.forest.score(v);
      }
    }
    const plain = score >= this.#threshold;
    if (!plain && beyond < 0) return;
    if (plain) this.#above++;
    else this.#beyondOnly++;
    // A hit below the threshold (a value beyond the training range) still
    // carries the exact score, computed once and only when some entity it
    // is about is not quiet after an alert (most such hits are).
    this.#hitScore = plain ? score : NaN;
    const t = isoTimeMs(event.ts);
    // A value beyond the training range is about the entity that feature
    // follows (a host's account changes are the host's, not its users').
    const beyondEntity = beyond < 0
      ? undefined
      : this.#fx.entityFor(beyond, event);
    const weight = beyondEntity ? this.#evidence(beyond, v) : 1;
    this.#hitBeyond = beyond;
    if (!plain && beyondEntity) {
      this.#hit(
        event,
        beyondEntity.type,
        beyondEntity.value,
        t,
        model,
        raise,
        weight,
      );
      return;
    }
    // The actors (see actorsOf): source address and user, else the host.
    const ip = event.source?.ip;
    const user = event.user?.name;
    const hasIp = typeof ip === "string" && ip !== "";
    const hasUser = typeof user === "string" && user !== "";
    const wIp = beyondEntity?.type === "source.ip" && beyondEntity.value === ip
      ? weight
      : 1;
    const wUser =
      beyondEntity?.type === "user.name" && beyondEntity.value === user
        ? weight
        : 1;
    if (hasIp && hasUser) {
      const byIp = this.#record(event, "source.ip", ip, t, model, wIp);
      const byUser = this.#record(event, "user.name", user, t, model, wUser);
      const ipEntity = { type: "source.ip", value: ip };
      const userEntity = { type: "user.name", value: user };
      if (byIp && byUser && sameIncident(byIp, byUser)) {
        // One incident, one alert (both entities now stay quiet): the
        // other entity is named in it, not alerted on as a second actor.
        this.#merged++;
        if (incidentLead(byIp, byUser) === 0) {
          this.#alert(event, ipEntity, byIp, model, raise, userEntity);
        } else this.#alert(event, userEntity, byUser, model, raise, ipEntity);
        return;
      }
      if (byIp) this.#alert(event, ipEntity, byIp, model, raise);
      if (byUser) this.#alert(event, userEntity, byUser, model, raise);
      return;
    }
    if (hasIp) this.#hit(event, "source.ip", ip, t, model, raise, wIp);
    if (hasUser) this.#hit(event, "user.name", user, t, model, raise, wUser);
    if (!hasIp && !hasUser) {
      const host = event.host?.name;
      if (typeof host === "string" && host !== "") {
        this.#hit(event, "host.name", host, t, model, raise);
      }
    }
  }

  /**
   * Events of its entity that a beyond-range value of feature `k` stands
   * for: for a windowed count the spec marks `window_evidence`, a value of
   * n is n events of that entity (capped at the policy's hits, all an
   * alert needs); otherwise the one event.
   */
  #evidence(k: number, v: Float64Array): number {
    const f = this.#model!.feature_spec.features[k];
    if (
      (f.kind !== "window_count" && f.kind !== "window_distinct") ||
      f.window_evidence !== true
    ) return 1;
    return Math.max(1, Math.min(Math.floor(v[k]), this.#policy.min_hits));
  }

  /** Score of the current hit; NaN until computed (see {@link observe}). */
  #hitScore = NaN;
  /** Feature beyond the training range in the current hit (−1: none). */
  #hitBeyond = -1;

  /** A hit against one actor; alerts when the actor has enough of them. */
  #hit(
    event: EnrichedEvent,
    type: string,
    value: string,
    t: number,
    model: AnomalyModel,
    raise: AlertSink,
    weight = 1,
  ): void {
    const hits = this.#record(event, type, value, t, model, weight);
    if (hits) this.#alert(event, { type, value }, hits, model, raise);
  }

  /** Records a hit against one actor; the hits of its alert when it has enough. */
  #record(
    event: EnrichedEvent,
    type: string,
    value: string,
    t: number,
    model: AnomalyModel,
    weight = 1,
  ): Hit[] | null {
    const state = this.#alerter.enter(event.tenant, type, value, t);
    if (state === null) return null; // quiet after an alert: counted, no score needed
    if (Number.isNaN(this.#hitScore)) {
      this.#hitScore = model.forest.score(this.#vec);
    }
    const beyond = this.#hitBeyond;
    return this.#alerter.record(state, {
      t,
      eventId: event.event_id,
      ts: event.ts,
      score: this.#hitScore,
      weight,
      beyond: beyond >= 0 ? beyond : undefined,
      beyondValue: beyond >= 0 ? this.#vec[beyond] : undefined,
    });
  }

  end(_raise: AlertSink): void {
    if (!this.#model && this.#warmN > 0) {
      // Name every condition still unmet, with its figures: a replay of a
      // large file often has the events but not the event-time span.
      const seenS = this.#warmSpanSeenS();
      const neededS = round1(this.#warmupSpanMs / 1000);
      const missing: string[] = [];
      if (this.#warmN < this.#warmup) {
        missing.push(
          `events: ${this.#warmN} of the ${this.#warmup} needed (--anomaly-warmup)`,
        );
      }
      if (!(this.#warmLastMs - this.#warmFromMs >= this.#warmupSpanMs)) {
        missing.push(
          `event time: ${seenS} s of the ${neededS} s needed from the first event's ts (--anomaly-warmup-span)`,
        );
      }
      this.#opts.logger?.warn(
        `anomaly model still warming up at end of input; nothing scored. Missing ${
          missing.join("; ")
        }. Train offline and pass --model, or lower what is missing for a short input`,
        {
          warmup_events: this.#warmN,
          warmup_needed: this.#warmup,
          warmup_span_seen_s: seenS,
          warmup_span_needed_s: neededS,
        },
      );
    }
  }

  /** Event time covered by the warm-up so far, in seconds (0.1 s steps). */
  #warmSpanSeenS(): number {
    const span = this.#warmLastMs - this.#warmFromMs;
    return span > 0 ? round1(span / 1000) : 0;
  }

  stats(): Record<string, unknown> {
    return {
      model_version: this.#model?.model_version ?? null,
      threshold: this.#model ? this.#threshold : null,
      observed: this.#observed,
      warmup_events: this.#warmN,
      scored: this.#scored,
      above_threshold: this.#above,
      beyond_range_below_threshold: this.#beyondOnly,
      alerts: this.#alerts,
      merged_alerts: this.#merged,
      cold_windows_raised: this.#coldRaised,
      suppressed: this.#alerter.suppressed,
      min_hits: this.#policy.min_hits,
      refits: this.#refits,
      ...this.#fx.stats(),
    };
  }

  /**
   * An Isolation Forest cannot score beyond its training range: a value far
   * above anything seen falls in the same leaf as the largest training
   * values, so 60 distinct DNS names look no worse than the busiest
   * training minute. Windowed counts, sums and DNS name shape therefore
   * also make a hit when clearly beyond the training maximum: counts by
   * max(1, 50 %), byte sums at twice the maximum, entropy by 0.5 bits.
   * Returns the feature index, or −1.
   */
  #beyondRange(v: Float64Array): number {
    const lim = this.#limits, added = this.#fx.added;
    for (let j = 0; j < lim.length; j += 2) {
      if (v[lim[j]] > lim[j + 1] && added[lim[j]] === 1) return lim[j];
    }
    return -1;
  }

  #limits: number[] = [];

  /** See {@link raiseColdWindows}; the longest of their windows (ms). */
  #coldFloors: number[] = [];
  #coldUntilMs = -Infinity;
  /** Events scored with a partial window raised to the training median. */
  #coldRaised = 0;

  #floorColdWindows(v: Float64Array): void {
    if (raiseColdWindows(v, 0, this.#fx.watchedMs, this.#coldFloors)) {
      this.#coldRaised++;
    }
  }

  #computeColdFloors(m: AnomalyModel): void {
    this.#coldFloors = coldWindowFloors(
      m.feature_spec,
      m.training.features.map((f) => f.p50),
    );
    let until = -Infinity;
    for (let j = 1; j < this.#coldFloors.length; j += 3) {
      until = Math.max(until, this.#coldFloors[j]);
    }
    this.#coldUntilMs = until;
  }

  /**
   * Per feature, the value at which a beyond-range hit is high severity, far
   * past anything in training: counts at four times the maximum and at
   * least 10 above it (3 failed logins against a maximum of 1 are not
   * high), byte sums at 16 times (log), DNS name entropy 1.5 bits above.
   * Infinity for features without a limit.
   */
  #highAt = new Float64Array(0);

  #computeLimits(m: AnomalyModel): void {
    const out: number[] = [];
    const highAt = new Float64Array(m.feature_spec.features.length).fill(
      Infinity,
    );
    m.feature_spec.features.forEach((f, k) => {
      const max = m.training.features[k].max;
      let limit: number | undefined;
      switch (f.kind) {
        case "window_count":
        case "window_distinct":
        case "text_length":
          limit = max + Math.max(1, 0.5 * max) - 1e-9;
          break;
        case "window_sum":
          limit = max + Math.LN2;
          break;
        case "label_entropy":
          limit = max + 0.5;
          break;
      }
      if (limit === undefined) return;
      highAt[k] = f.kind === "window_sum"
        ? max + Math.log(16)
        : f.kind === "label_entropy"
        ? max + 1.5
        : Math.max(4 * max, max + 10);
      // Features that stand for their whole window are checked first: when
      // one is beyond range it must be the one reported and weighted, even
      // if another feature of the same event is beyond range too.
      if ("window_evidence" in f && f.window_evidence === true) {
        out.unshift(k, limit);
      } else out.push(k, limit);
    });
    this.#limits = out;
    this.#highAt = highAt;
  }

  #policyFor(m: AnomalyModel | undefined): AlertPolicy {
    const o = this.#opts, base = m?.alert_policy ?? DEFAULT_ALERT_POLICY;
    return {
      min_hits: o.minHits ?? base.min_hits,
      window_s: o.hitWindowMs !== undefined
        ? o.hitWindowMs / 1000
        : base.window_s,
      suppress_s: o.suppressMs !== undefined
        ? o.suppressMs / 1000
        : base.suppress_s,
    };
  }

  #use(m: AnomalyModel): void {
    const first = this.#model === undefined;
    this.#model = m;
    this.#threshold = this.#opts.threshold ?? m.threshold;
    this.#computeLimits(m);
    this.#computeColdFloors(m);
    const p = this.#policyFor(m);
    if (
      first || p.min_hits !== this.#policy.min_hits ||
      p.window_s !== this.#policy.window_s ||
      p.suppress_s !== this.#policy.suppress_s
    ) {
      this.#alerter = new EntityAlerter(
        p,
        this.#opts.suppressEntities ?? 50_000,
      );
    }
    this.#policy = p;
  }

  #trainWarmup(lastTs: string): void {
    const t0 = performance.now();
    const h = this.#warm!.history();
    const m = trainModel(h.rows, h.n, this.#fx.spec, {
      params: this.#opts.params,
      threshold: this.#opts.thresholdRule,
      policy: this.#policyFor(undefined),
      calibration: { ...h, startMs: this.#fx.startMs },
      from: this.#warmFrom,
      to: lastTs,
    });
    this.#warm = null;
    this.#use(m);
    this.#opts.logger?.info("anomaly model trained on warm-up window", {
      events: this.#warmN,
      model_version: m.model_version,
      threshold: this.#threshold,
      ms: Math.round(performance.now() - t0),
    });
    this.#trained(m, "warm-up");
  }

  #trained(m: AnomalyModel, cause: "warm-up" | "re-fit"): void {
    try {
      this.#opts.onModel?.(m, cause);
    } catch (e) {
      this.#opts.logger?.warn(
        "handling the newly trained anomaly model failed",
        {
          cause,
          error: (e as Error)?.message ?? String(e),
        },
      );
    }
  }

  #refit(lastTs: string): void {
    this.#sinceRefit = 0;
    const r = this.#reservoir!;
    const prev = this.#model!;
    const m = trainModel(r.rows, r.size, this.#fx.spec, {
      params: {
        ...this.#opts.params,
        seed: (prev.params.seed + this.#refits + 1) >>> 0,
      },
      threshold: this.#opts.thresholdRule,
      policy: this.#policy,
      // A reservoir has no order to replay: keep the calibrated share of
      // training scores below the threshold.
      quantile: "quantile" in prev.threshold_rule
        ? prev.threshold_rule.quantile
        : undefined,
      fixedThreshold: "fixed" in prev.threshold_rule
        ? prev.threshold_rule.fixed
        : undefined,
      eventsSeen: r.seen,
      to: lastTs,
    });
    this.#refits++;
    this.#use(m);
    this.#opts.logger?.info("anomaly model re-fitted on reservoir sample", {
      rows: r.size,
      model_version: m.model_version,
      threshold: this.#threshold,
    });
    this.#trained(m, "re-fit");
  }

  #alert(
    event: EnrichedEvent,
    entity: { type: string; value: string },
    hits: Hit[],
    model: AnomalyModel,
    raise: AlertSink,
    also?: { type: string; value: string },
  ): void {
    const threshold = this.#threshold;
    // What made this alert: events scoring at or above the threshold only,
    // or (also) values beyond the training range, which the forest cannot
    // score (see #beyondRange). The message must not claim a score that
    // the fields contradict, since score and threshold are plotted.
    let score = 0, scored = 0, counted = 0;
    let range: Hit | undefined;
    for (const h of hits) {
      if (h.score > score) score = h.score;
      const w = h.weight ?? 1;
      counted += w;
      if (h.score >= threshold) scored++;
      if (h.beyond !== undefined && (h.score < threshold || w > 1)) range = h;
    }
    const last = hits[hits.length - 1];
    // The range feature leads the explanation when it is the completing
    // event's own: the forest cannot weigh what it never saw.
    const beyond = range !== undefined && range === last ? range.beyond! : -1;
    // Explanation from the event that completed the alert.
    const weights = model.forest.featureAttribution(this.#vec);
    const order = Array.from(weights.keys()).sort((a, b) =>
      weights[b] - weights[a]
    );
    const nTop = this.#opts.topFeatures ?? 3;
    let top = order.slice(0, nTop).filter((i) => weights[i] > 0);
    // A value beyond anything in training leads the explanation: the
    // forest cannot weigh what it never saw, the analyst should see it.
    if (beyond >= 0) {
      top = [beyond, ...top.filter((i) => i !== beyond)].slice(0, nTop);
    }
    const spec = model.feature_spec.features;
    const contributions = top.map((i) => {
      const value = round(this.#vec[i]);
      return {
        feature: spec[i].name,
        value,
        weight: round(weights[i]),
        explanation: this.#explain(model, i, value),
      };
    });
    const severity = anomalySeverity(
      score,
      threshold,
      range !== undefined && range.beyondValue! >= this.#highAt[range.beyond!],
    );
    const c0 = contributions[0];
    const first = hits[0];
    const span = Math.round((last.t - first.t) / 1000);
    const n = hits.length, th = threshold.toFixed(3), max = score.toFixed(3);
    let what: string;
    if (range === undefined) {
      what = `${n} events within ${span} s scored ≥ ${th} (max ${max})`;
    } else {
      const events = n === 1 ? "1 event" : `${n} events within ${span} s`;
      const window = counted > n
        ? `, whose window counts ${counted} of this ${entity.type}'s events`
        : "";
      const scores = scored === 0
        ? (n === 1
          ? `score ${max} below the threshold ${th}`
          : `none scored ≥ ${th} (max ${max})`)
        : scored === n
        ? (n === 1 ? `score ${max} ≥ ${th}` : `all scored ≥ ${th} (max ${max})`)
        : `${scored} of them scored ≥ ${th} (max ${max})`;
      what = `${
        this.#explain(model, range.beyond!, range.beyondValue!)
      }, beyond the training range; ${events}${window}; ${scores}`;
    }
    const alert: Alert = {
      record: "alert",
      alert_id: stableId(
        "anomaly",
        model.model_version,
        event.tenant,
        entity.type,
        entity.value,
        ...hits.map((h) => h.eventId),
      ),
      kind: "anomaly",
      tenant: event.tenant,
      rule: {
        id: ANOMALY_RULE_ID,
        title: ANOMALY_RULE_TITLE,
        level: severity,
        tags: [],
        description:
          "An entity with enough events unlike the model's training baseline: " +
          "scoring at or above the threshold, or with a windowed value beyond anything in training.",
        source: this.#opts.modelSource ?? "warm-up",
      },
      severity,
      mitre: { tactics: [], techniques: [] },
      ts: event.ts,
      detected_at: (this.#opts.now?.() ?? new Date()).toISOString(),
      entity,
      group: also
        ? { [entity.type]: entity.value, [also.type]: also.value }
        : { [entity.type]: entity.value },
      evidence: { event_ids: hits.map((h) => h.eventId), count: hits.length },
      window: { start: first.ts, end: last.ts },
      message: `${entity.type} ${entity.value}${
        also ? ` (with ${also.type} ${also.value}, same events)` : ""
      }: ${what}, last ${event.category}/${event.action}${
        c0 && range === undefined ? `; mostly ${c0.explanation}` : ""
      }`,
      score: round(score),
      threshold: round(threshold),
      model_version: model.model_version,
      contributions,
    };
    this.#alerts++;
    raise(alert);
  }

  /** Feature `k` at `value`, against its training figures, for people. */
  #explain(model: AnomalyModel, k: number, value: number): string {
    const st = model.training.features[k];
    return `${model.feature_spec.features[k].description}: ${
      fmt(round(value))
    } (training median ${fmt(st.p50)}, p99 ${fmt(st.p99)}, max ${fmt(st.max)})`;
  }
}

/** The actor of an event: source IP, else user, else host, else log source. */
export function primaryEntity(
  e: EnrichedEvent,
): { type: string; value: string } {
  if (e.source?.ip) return { type: "source.ip", value: e.source.ip };
  if (e.user?.name) return { type: "user.name", value: e.user.name };
  if (e.host?.name) return { type: "host.name", value: e.host.name };
  return { type: "source_name", value: e.source_name };
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

/** `x` rounded to one decimal (figures for people). */
function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * An anomaly alert's severity: high from a score halfway between the
 * threshold and 1 on, or for a value far beyond anything in training
 * (which the score cannot show); else medium. Also what demo-seed stores.
 */
export function anomalySeverity(
  score: number,
  threshold: number,
  farBeyondTraining = false,
): Severity {
  return score >= threshold + (1 - threshold) / 2 || farBeyondTraining
    ? "high"
    : "medium";
}
