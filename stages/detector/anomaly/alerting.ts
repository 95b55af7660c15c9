/**
 * When an anomaly score becomes an alert: about an entity, not a single
 * event.
 *
 * A single unusual event (one failed login, one visitor knocking on an odd
 * port, one large download) is normal in any network: scoring events one
 * by one and alerting on the top 0.5 % gave ~50 false alerts per 8000
 * baseline events. Attacks, on the other hand, are behaviour: a brute force
 * is a dozen failures, a scan dozens of ports, an exfiltration several big
 * flows, a privilege escalation a root shell followed by account changes,
 * an impossible travel two logins. So an event whose score reaches the
 * threshold is a *hit* against each entity acting in it (its source
 * address, its user, or — for host-local events with neither — its host),
 * and an entity raises an alert only once it has {@link AlertPolicy.min_hits}
 * hits within {@link AlertPolicy.window_s}. An event whose windowed count,
 * sum or name shape is clearly beyond the training range is a hit too,
 * whatever its score (the forest cannot score beyond what it saw; see
 * {@link Hit.beyond}), and an alert made with such hits says so rather
 * than claiming a score. A hit made by some windowed counts beyond the
 * training range already stands for several of the entity's events (see
 * {@link Hit.weight}). When the hits of one event complete alerts on both
 * its source address and its user with the same events, that is one
 * incident and one alert (see {@link sameIncident}). The threshold itself
 * is then calibrated by replaying the training history through exactly this policy
 * (see `calibrateThreshold` in train.ts), so the expected false-alert rate
 * on baseline traffic is a stated number rather than a side effect.
 *
 * @module
 */
import type { EnrichedEvent } from "../../shared/contracts/mod.ts";

/** How hits become alerts. Stored in the model so calibration and scoring agree. */
export interface AlertPolicy {
  /** Hits (events scoring ≥ threshold) an entity needs before it alerts. */
  min_hits: number;
  /** Hits count when they fall within this many seconds of each other. */
  window_s: number;
  /** After an alert, the entity stays quiet for this many seconds of event time. */
  suppress_s: number;
}

/** The defaults: two hits within 10 min; at most one alert per entity per 10 min. */
export const DEFAULT_ALERT_POLICY: Readonly<AlertPolicy> = Object.freeze({
  min_hits: 2,
  window_s: 600,
  suppress_s: 600,
});

/** An entity an alert can be about. */
export interface ActorEntity {
  type: string;
  value: string;
}

/**
 * The entities acting in an event: its source address and its user; for
 * events with neither (useradd, usermod, host-local process starts), its
 * host. At most two.
 */
export function actorsOf(e: EnrichedEvent): ActorEntity[] {
  const out: ActorEntity[] = [];
  const ip = e.source?.ip;
  if (typeof ip === "string" && ip) out.push({ type: "source.ip", value: ip });
  const user = e.user?.name;
  if (typeof user === "string" && user) {
    out.push({ type: "user.name", value: user });
  }
  if (out.length === 0) {
    const host = e.host?.name;
    if (typeof host === "string" && host) {
      out.push({ type: "host.name", value: host });
    }
  }
  return out;
}

/** Map key of an actor within a tenant. */
export function actorKey(tenant: string, a: ActorEntity): string {
  return `${tenant}\u0000${a.type}\u0000${a.value}`;
}

/** One event that scored at or above the threshold. */
export interface Hit {
  t: number;
  eventId: string;
  ts: string;
  score: number;
  /**
   * Events of the entity this hit stands for (default 1). A hit made by a
   * windowed count beyond anything seen in training, on a feature the spec
   * marks `window_evidence`, stands for the events in that window: two
   * logins from two countries within the hour are two events of behaviour
   * even though only the second one looks odd.
   */
  weight?: number;
  /**
   * Feature of the event beyond the training range (index in the model's
   * spec), when it had one; with {@link beyondValue}, its value. A hit
   * whose score is below the threshold is only a hit because of it, and an
   * alert made of such hits says so instead of claiming a score.
   */
  beyond?: number;
  /** The value of {@link beyond} in the event. */
  beyondValue?: number;
}

/** An entity's alerting state, opaque outside this module. */
export interface EntityState {
  readonly key: string;
}

/** An entity's recent hits, in a least-recently-hit list. */
class EntityHits implements EntityState {
  hits: Hit[] = [];
  quietUntil = -Infinity;
  prev: EntityHits | null = null;
  next: EntityHits | null = null;
  /** The map holding this entity, under `key`. */
  constructor(
    readonly home: Map<string, EntityHits>,
    readonly key: string,
  ) {}
}

/**
 * Per-entity hit bookkeeping, bounded: at most `maxEntities` entities
 * (least recently hit evicted) and `min_hits` hits each. Entities are found
 * by tenant, type and value through nested maps keyed by the event's own
 * strings (whose hashes V8 has already computed), so a hit builds no key
 * string; recency is an intrusive list, so a hit re-inserts nothing.
 */
export class EntityAlerter {
  readonly #policy: AlertPolicy;
  readonly #windowMs: number;
  readonly #suppressMs: number;
  readonly #byKey = new Map<string, EntityHits>();
  readonly #byTenant = new Map<string, Map<string, Map<string, EntityHits>>>();
  readonly #max: number;
  #size = 0;
  #head: EntityHits | null = null;
  #tail: EntityHits | null = null;
  /** Hits that arrived while their entity was quiet after an alert. */
  suppressed = 0;

  constructor(policy: AlertPolicy, maxEntities = 50_000) {
    this.#policy = policy;
    this.#windowMs = policy.window_s * 1000;
    this.#suppressMs = policy.suppress_s * 1000;
    this.#max = maxEntities;
  }

  /**
   * Records a hit against `key` ({@link actorKey}); returns the hits that
   * make up an alert when the entity now has enough of them within the
   * window, else null.
   */
  hit(key: string, h: Hit): Hit[] | null {
    const s = this.#touch(this.#byKey, key);
    if (h.t < s.quietUntil) {
      this.suppressed++;
      return null;
    }
    return this.#record(s, h);
  }

  /**
   * The first half of {@link hit} for the actor (`type`, `value`) of
   * `tenant` at event time `t`: its state, made the most recently hit, or
   * null when it is quiet after an alert (the hit is counted as
   * suppressed). Pass the state to {@link record} with the hit.
   */
  enter(
    tenant: string,
    type: string,
    value: string,
    t: number,
  ): EntityState | null {
    let byType = this.#byTenant.get(tenant);
    if (byType === undefined) this.#byTenant.set(tenant, byType = new Map());
    let home = byType.get(type);
    if (home === undefined) byType.set(type, home = new Map());
    const s = this.#touch(home, value);
    if (t < s.quietUntil) {
      this.suppressed++;
      return null;
    }
    return s;
  }

  /** The second half of {@link hit}: records `h` on a state from {@link enter}. */
  record(state: EntityState, h: Hit): Hit[] | null {
    return this.#record(state as EntityHits, h);
  }

  /** Entities currently tracked. */
  get size(): number {
    return this.#size;
  }

  /** The entity under `key` in `home`, made the most recently hit. */
  #touch(home: Map<string, EntityHits>, key: string): EntityHits {
    let s = home.get(key);
    if (s !== undefined) {
      if (this.#tail !== s) {
        this.#unlink(s);
        this.#push(s);
      }
      return s;
    }
    s = new EntityHits(home, key);
    if (this.#size >= this.#max && this.#head !== null) {
      const old = this.#head;
      this.#unlink(old);
      old.home.delete(old.key);
      this.#size--;
    }
    home.set(key, s);
    this.#push(s);
    this.#size++;
    return s;
  }

  #record(s: EntityHits, h: Hit): Hit[] | null {
    const limit = h.t - this.#windowMs;
    const hits = s.hits;
    let drop = 0;
    while (drop < hits.length && hits[drop].t < limit) drop++;
    if (drop) hits.splice(0, drop);
    hits.push(h);
    const need = this.#policy.min_hits;
    let total = 0;
    for (let k = 0; k < hits.length; k++) total += hits[k].weight ?? 1;
    // Keep only the latest hits that are enough on their own.
    while (hits.length > 1 && total - (hits[0].weight ?? 1) >= need) {
      total -= hits[0].weight ?? 1;
      hits.shift();
    }
    if (total < need) return null;
    s.hits = [];
    s.quietUntil = h.t + this.#suppressMs;
    return hits;
  }

  #push(s: EntityHits): void {
    s.prev = this.#tail;
    s.next = null;
    if (this.#tail) this.#tail.next = s;
    else this.#head = s;
    this.#tail = s;
  }

  #unlink(s: EntityHits): void {
    if (s.prev) s.prev.next = s.next;
    else this.#head = s.next;
    if (s.next) s.next.prev = s.prev;
    else this.#tail = s.prev;
    s.prev = s.next = null;
  }
}

/**
 * Whether two alerts completed by the same event are one incident: every
 * event of the shorter evidence is in the other's. A brute force is a hit
 * against both its source address and the account it guesses, and would
 * otherwise raise two alerts with the same evidence, one of them naming
 * the victim as if it were the actor.
 */
export function sameIncident(a: readonly Hit[], b: readonly Hit[]): boolean {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  for (const h of short) {
    let found = false;
    for (const g of long) {
      if (g === h || g.eventId === h.eventId) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

/**
 * Of two alerts that are {@link sameIncident}, the one to raise: the one
 * with more evidence, else the first (actors come source address first,
 * so a tie names the attacker's side rather than its target).
 */
export function incidentLead(a: readonly Hit[], b: readonly Hit[]): 0 | 1 {
  return b.length > a.length ? 1 : 0;
}

/**
 * Counts the alerts {@link EntityAlerter} would raise over an ordered
 * history at `threshold`: `scores[i]`, `times[i]` (ms) and `actors[i]`
 * (actor keys) describe event i. Alerts of one event that are
 * {@link sameIncident} count once, as the detector raises them.
 */
export function countAlerts(
  threshold: number,
  scores: ArrayLike<number>,
  times: ArrayLike<number>,
  actors: readonly (readonly string[])[],
  policy: AlertPolicy,
): number {
  const alerter = new EntityAlerter(policy, Number.MAX_SAFE_INTEGER);
  let n = 0;
  for (let i = 0; i < scores.length; i++) {
    if (scores[i] < threshold) continue;
    const h: Hit = {
      t: times[i],
      eventId: String(i),
      ts: "",
      score: scores[i],
    };
    let first: Hit[] | null = null;
    for (const k of actors[i]) {
      const hits = alerter.hit(k, h);
      if (hits === null) continue;
      if (first !== null && sameIncident(first, hits)) continue;
      first ??= hits;
      n++;
    }
  }
  return n;
}
