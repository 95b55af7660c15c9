/**
 * The anomaly model's features, declared as data: a versioned
 * {@link FeatureSpec} lists each feature by kind and parameters, and
 * {@link FeatureExtractor} compiles it once into accessors and bounded
 * per-entity state. A model file embeds the spec it was trained with, so the
 * detector extracts exactly the features its model knows.
 *
 * Features read only an EnrichedEvent's normalized fields and entities,
 * never `ground_truth`.
 *
 * @module
 */
import type { EnrichedEvent } from "../../shared/contracts/mod.ts";
import { IsoTimeParser } from "../iso_time.ts";

/** Version of the spec *format* (the feature kinds this code understands). */
export const FEATURE_SPEC_FORMAT = 1;

/** Which events a windowed feature counts: field path → accepted values. */
export type EventFilter = Record<string, string[]>;

interface FeatureBase {
  /** snake_case name, unique in the spec. */
  name: string;
  /** What it measures, readable by an analyst (used in alert explanations). */
  description: string;
}

/** One feature. */
export type FeatureDef =
  & FeatureBase
  & (
    /** Hour of day (UTC, fractional) on the unit circle, so 23:59 is near 00:00. */
    | { kind: "hour_of_day"; part: "sin" | "cos" }
    /** −log2 of the value's smoothed frequency among recent events (0 when absent). */
    | { kind: "rarity"; field: string }
    /** log(1 + largest of the byte counters present). */
    | { kind: "log_bytes"; fields: string[] }
    /** Severity on 0 (informational) … 4 (critical). */
    | { kind: "severity" }
    /** 1 failure, 0.5 unknown, 0 success. */
    | { kind: "outcome" }
    /** Events of the entity matching `where` within the last `window_s`. */
    | {
      kind: "window_count";
      entity: string;
      window_s: number;
      where?: EventFilter;
      window_evidence?: boolean;
    }
    /** Distinct `value`s of the entity's events matching `where` within `window_s`. */
    | {
      kind: "window_distinct";
      entity: string;
      value: string;
      window_s: number;
      where?: EventFilter;
      /**
       * A value beyond the training range stands for the window's events,
       * not just the one that pushed it there, so that event alone can
       * make its entity alert (see the detector). For features where
       * training shows no such value at all is normal behaviour: a user in
       * two countries within the hour is two logins, the first of which
       * looked ordinary only because the second had not happened yet.
       */
      window_evidence?: boolean;
    }
    /** log(1 + sum of `value`) over the entity's matching events within `window_s`. */
    | {
      kind: "window_sum";
      entity: string;
      value: string;
      window_s: number;
      where?: EventFilter;
    }
    /** Length in characters of a text field (0 when absent). */
    | { kind: "text_length"; field: string }
    /** Shannon entropy (bits per character) of the longest dot-separated label of a text field. */
    | { kind: "label_entropy"; field: string }
    /**
     * 1 the first time the entity (joined with `with` fields) is seen among
     * events matching `where`, else 0. Events lacking a `with` value are
     * not counted (0).
     */
    | {
      kind: "first_seen";
      entity: string;
      with?: string[];
      where?: EventFilter;
    }
  );

/** A declarative, versioned feature set. */
export interface FeatureSpec {
  /** Spec format this code must understand ({@link FEATURE_SPEC_FORMAT}). */
  format: number;
  /** Name of this feature set. */
  id: string;
  /** Version of this feature set; bump whenever a feature changes. */
  version: string;
  /**
   * Entity fields whose state is kept per tenant: user `leo` of one tenant
   * and user `leo` of another are different people, `app-01` of two
   * tenants two hosts. Fields not listed (and every field in specs before
   * v3, which lack this) keep one state per value across tenants, which
   * suits public addresses: one internet host probing several tenants is
   * one actor.
   */
  tenant_scoped?: string[];
  limits: {
    /** Most entities remembered per entity field (least recently seen evicted). */
    entities: number;
    /** Most entries remembered per entity and windowed feature. */
    entries_per_entity: number;
    /** Most distinct values a rarity table keeps before it halves its counts. */
    rarity_values: number;
  };
  features: FeatureDef[];
}

const AUTH_FAILURE: EventFilter = { category: ["auth"], outcome: ["failure"] };

/** Privileged actions: a user becoming root. */
const PRIVILEGED: EventFilter = { action: ["sudo", "su"] };

/**
 * The default feature set, v3. v2 added what v1 could not see because an
 * Isolation Forest only isolates values relative to its training data:
 * privilege use per user, account changes per host, bytes sent to public
 * addresses per source, and a user logging in from a country never seen
 * for that user. v3 keeps user and host state per tenant (`tenant_scoped`):
 * in v2 the same user name in three tenants was one entity, so an ordinary
 * user already "logged in from" two or three countries an hour and
 * impossible travel looked like baseline.
 */
export const DEFAULT_FEATURE_SPEC: FeatureSpec = {
  format: FEATURE_SPEC_FORMAT,
  id: "sentinel-security-events",
  version: "3",
  tenant_scoped: ["user.name", "host.name"],
  limits: { entities: 50_000, entries_per_entity: 1024, rarity_values: 65_536 },
  features: [
    {
      name: "hour_sin",
      kind: "hour_of_day",
      part: "sin",
      description: "hour of day (sine)",
    },
    {
      name: "hour_cos",
      kind: "hour_of_day",
      part: "cos",
      description: "hour of day (cosine)",
    },
    {
      name: "dst_port_rarity",
      kind: "rarity",
      field: "destination.port",
      description: "rarity of the destination port (bits)",
    },
    {
      name: "action_rarity",
      kind: "rarity",
      field: "action",
      description: "rarity of the action (bits)",
    },
    {
      name: "log_bytes",
      kind: "log_bytes",
      fields: [
        "source.bytes",
        "destination.bytes",
        "network.bytes",
        "http.response.bytes",
      ],
      description: "bytes transferred by the event (log)",
    },
    { name: "severity", kind: "severity", description: "event severity (0–4)" },
    {
      name: "outcome_failure",
      kind: "outcome",
      description: "event failed (1) or succeeded (0)",
    },
    {
      name: "src_failed_logins_5m",
      kind: "window_count",
      entity: "source.ip",
      window_s: 300,
      where: AUTH_FAILURE,
      description: "failed logins from this source in the last 5 min",
    },
    {
      name: "src_distinct_dst_ports_1m",
      kind: "window_distinct",
      entity: "source.ip",
      value: "destination.port",
      window_s: 60,
      description:
        "distinct destination ports this source reached in the last minute",
    },
    {
      name: "src_distinct_dst_ips_5m",
      kind: "window_distinct",
      entity: "source.ip",
      value: "destination.ip",
      window_s: 300,
      description:
        "distinct destination hosts this source reached in the last 5 min",
    },
    {
      name: "src_distinct_users_10m",
      kind: "window_distinct",
      entity: "source.ip",
      value: "user.name",
      window_s: 600,
      where: { category: ["auth"] },
      description: "distinct user names this source tried in the last 10 min",
    },
    {
      name: "src_bytes_out_10m",
      kind: "window_sum",
      entity: "source.ip",
      value: "source.bytes",
      window_s: 600,
      description: "bytes this source sent in the last 10 min (log)",
    },
    {
      name: "src_distinct_dns_names_5m",
      kind: "window_distinct",
      entity: "source.ip",
      value: "dns.question.name",
      window_s: 300,
      where: { category: ["dns"] },
      description: "distinct DNS names this source queried in the last 5 min",
    },
    {
      name: "dns_query_length",
      kind: "text_length",
      field: "dns.question.name",
      description: "length of the DNS query name",
    },
    {
      name: "dns_query_entropy",
      kind: "label_entropy",
      field: "dns.question.name",
      description: "entropy of the longest DNS label (bits/char)",
    },
    {
      name: "src_first_seen",
      kind: "first_seen",
      entity: "source.ip",
      description: "first event ever seen from this source",
    },
    {
      name: "user_action_first_seen",
      kind: "first_seen",
      entity: "user.name",
      with: ["action"],
      description: "first time this user performed this action",
    },
    {
      name: "user_distinct_countries_1h",
      kind: "window_distinct",
      entity: "user.name",
      value: "source.geo.country_iso_code",
      window_s: 3600,
      where: { outcome: ["success"] },
      description:
        "countries this user logged in from successfully in the last hour",
      // Geo velocity: the second country within the hour is the alert.
      window_evidence: true,
    },
    {
      name: "user_country_first_seen",
      kind: "first_seen",
      entity: "user.name",
      with: ["source.geo.country_iso_code"],
      where: { category: ["auth"], outcome: ["success"] },
      description: "first successful login of this user from this country",
    },
    {
      name: "user_privileged_actions_1h",
      kind: "window_count",
      entity: "user.name",
      window_s: 3600,
      where: PRIVILEGED,
      description: "sudo/su by this user in the last hour",
    },
    {
      name: "host_account_changes_1h",
      kind: "window_count",
      entity: "host.name",
      window_s: 3600,
      where: { action: ["user_created", "user_modified"] },
      description:
        "local accounts created or changed on this host in the last hour",
    },
    {
      name: "src_bytes_to_public_10m",
      kind: "window_sum",
      entity: "source.ip",
      value: "source.bytes",
      window_s: 600,
      where: { "destination.ip_class": ["public"] },
      description:
        "bytes this source sent to public addresses in the last 10 min (log)",
    },
  ],
};

/** A spec that cannot be compiled. */
export class FeatureSpecError extends Error {
  override name = "FeatureSpecError";
}

type Getter = (e: EnrichedEvent) => unknown;

/**
 * Compiles a dotted path ("source.geo.country_iso_code", "fields.group")
 * into a getter. Each getter is generated code of its own, so each property
 * read has its own inline cache and stays monomorphic over events of the
 * same shape (one shared closure reading `e[key]` for every path would turn
 * megamorphic and look every key up the slow way). Keys are embedded as
 * JSON string literals, so no path can inject code.
 */
export function fieldGetter(path: string): Getter {
  const keys = path.startsWith("fields.")
    ? ["fields", path.slice(7)]
    : path.split(".");
  let body = "let v = e;\n";
  for (const k of keys) {
    body +=
      `if (v === null || typeof v !== "object") return undefined;\nv = v[${
        JSON.stringify(k)
      }];\n`;
  }
  body += "return v;";
  return new Function("e", body) as Getter;
}

/**
 * Strings of the integers 0–65535 (ports, counts), made once: the same
 * string object every time, so no allocation per event and its hash is
 * computed once for all Map lookups.
 */
const SMALL_INTS: (string | undefined)[] = new Array(65_536);

/** A key for entity maps: strings and numbers only; anything else is absent. */
function keyOf(v: unknown): string | undefined {
  if (typeof v === "string") return v.length ? v : undefined;
  if (typeof v === "number") {
    if ((v & 0xffff) === v) return SMALL_INTS[v] ??= String(v);
    return Number.isFinite(v) ? String(v) : undefined;
  }
  return undefined;
}

function compileFilter(
  where: EventFilter | undefined,
): ((e: EnrichedEvent) => boolean) | null {
  if (!where) return null;
  const tests = Object.entries(where).map(([path, values]) => {
    const get = fieldGetter(path);
    const set = new Set(values.map(String));
    return (e: EnrichedEvent) => {
      const v = get(e);
      return v !== undefined && v !== null && set.has(String(v));
    };
  });
  return (e) => {
    for (const t of tests) if (!t(e)) return false;
    return true;
  };
}

/**
 * A node of an intrusive doubly linked list kept in least-recently-used
 * order. Moving a node to the recent end is a few pointer writes, where a
 * Map re-insertion (delete + set) would rehash the key on every event.
 */
class LruNode {
  prev: LruNode | null = null;
  next: LruNode | null = null;
  constructor(readonly key: string) {}
}

/** Least recently used first (`head`), most recently used last (`tail`). */
class LruList {
  head: LruNode | null = null;
  tail: LruNode | null = null;

  push(n: LruNode): void {
    n.prev = this.tail;
    n.next = null;
    if (this.tail) this.tail.next = n;
    else this.head = n;
    this.tail = n;
  }

  remove(n: LruNode): void {
    if (n.prev) n.prev.next = n.next;
    else this.head = n.next;
    if (n.next) n.next.prev = n.prev;
    else this.tail = n.prev;
    n.prev = n.next = null;
  }

  /** Moves `n` (already in the list) to the most recent end. */
  touch(n: LruNode): void {
    if (this.tail === n) return;
    this.remove(n);
    this.push(n);
  }
}

/**
 * Events with their times in a sliding window, oldest first, capped. With a
 * value per event it also keeps the running sum. A ring buffer in typed
 * arrays (grown by doubling up to the cap), so sliding allocates nothing.
 */
class TimeWindow {
  ts = new Float64Array(4);
  vals = new Float64Array(4);
  head = 0;
  /** Entries held. */
  count = 0;
  sum = 0;
  /**
   * Time of the oldest entry (Infinity when empty), kept beside the
   * counters: most events expire nothing, and this answers that without
   * reaching into the arrays (two more dependent loads per window).
   */
  first = Infinity;
  /** `log1p(max(0, sum))` of the sum `loggedSum` (for window_sum features). */
  logSum = 0;
  loggedSum = 0;

  add(t: number, v: number, cap: number): void {
    if (this.count === 0) this.first = t;
    if (this.count === this.ts.length) this.#grow();
    let at = this.head + this.count;
    if (at >= this.ts.length) at -= this.ts.length;
    this.ts[at] = t;
    this.vals[at] = v;
    this.count++;
    this.sum += v;
    if (this.count > cap) {
      this.#drop();
      this.first = this.ts[this.head];
    }
  }

  expire(now: number, windowMs: number): void {
    const limit = now - windowMs;
    // Nothing old enough (or empty: the count only reaches 0 below, where
    // the sum is reset, so an empty window's sum is already 0).
    if (this.first > limit) return;
    while (this.count > 0 && this.ts[this.head] <= limit) this.#drop();
    if (this.count === 0) {
      this.sum = 0; // no float drift when empty
      this.first = Infinity;
    } else this.first = this.ts[this.head];
  }

  #drop(): void {
    this.sum -= this.vals[this.head];
    if (++this.head === this.ts.length) this.head = 0;
    this.count--;
  }

  #grow(): void {
    const n = this.ts.length;
    const ts = new Float64Array(n * 2), vals = new Float64Array(n * 2);
    for (let k = 0, i = this.head; k < this.count; k++) {
      ts[k] = this.ts[i];
      vals[k] = this.vals[i];
      if (++i === n) i = 0;
    }
    this.ts = ts;
    this.vals = vals;
    this.head = 0;
  }
}

/** A distinct value with the time it was last seen. */
class SeenValue extends LruNode {
  t = 0;
}

/**
 * Distinct values with the time each was last seen, kept in last-seen
 * order (re-seen values move to the end), so expiry and eviction only ever
 * look at the front.
 */
class DistinctWindow extends LruList {
  readonly seen = new Map<string, SeenValue>();
  /** Distinct values held (`seen.size`, without reaching into the Map). */
  size = 0;
  /** Last-seen time of the least recent value (Infinity when empty). */
  first = Infinity;

  add(value: string, t: number, cap: number): void {
    const head = this.head;
    // The value of the entity's previous event again (one port, one
    // destination in a row): already the most recent, so no Map lookup and
    // no relinking.
    const tail = this.tail as SeenValue | null;
    if (tail !== null && tail.key === value) {
      tail.t = t;
      if (tail === head) this.first = t;
      return;
    }
    let n = this.seen.get(value);
    if (n !== undefined) {
      n.t = t;
      this.touch(n);
      // The oldest time only changes when the head moved or was re-seen.
      if (this.head === head && n !== head) return;
    } else {
      n = new SeenValue(value);
      n.t = t;
      this.seen.set(value, n);
      this.push(n);
      if (++this.size > cap) {
        const old = this.head!;
        this.remove(old);
        this.seen.delete(old.key);
        this.size--;
      }
    }
    this.first = (this.head as SeenValue).t;
  }

  expire(now: number, windowMs: number): void {
    const limit = now - windowMs;
    if (this.first > limit) return; // most events: nothing to expire
    let n = this.head as SeenValue | null;
    while (n !== null && n.t <= limit) {
      this.remove(n);
      this.seen.delete(n.key);
      this.size--;
      n = this.head as SeenValue | null;
    }
    this.first = n === null ? Infinity : n.t;
  }
}

/** A value's count in a {@link RarityTable} (boxed: one lookup per event). */
interface Count {
  c: number;
}

/** Smoothed value frequencies with halving, so the table stays bounded and recent. */
class RarityTable {
  readonly counts = new Map<string, Count>();
  total = 0;

  constructor(readonly maxValues: number) {}

  /** Rarity of `value` among events so far, in bits; then counts it. */
  observe(value: string): number {
    const box = this.counts.get(value);
    const c = box === undefined ? 0 : box.c;
    const r = -Math.log2((c + 1) / (this.total + 2));
    if (box === undefined) this.counts.set(value, { c: 1 });
    else box.c = c + 1;
    this.total++;
    if (this.total >= 65_536 || this.counts.size > this.maxValues) {
      this.#halve();
    }
    return r;
  }

  #halve(): void {
    let total = 0;
    for (const [k, box] of this.counts) {
      const h = box.c >> 1;
      if (h === 0) this.counts.delete(k);
      else {
        box.c = h;
        total += h;
      }
    }
    this.total = total;
  }
}

/** Per-entity state: one slot per windowed feature on that entity field. */
class EntityState extends LruNode {
  /** Latest event time seen for this entity (windows slide on it). */
  now = -Infinity;
  readonly slots: (TimeWindow | DistinctWindow | null)[];
  constructor(
    key: string,
    nSlots: number,
    /** The scope's map holding this state, under `key`. */
    readonly home: Map<string, EntityState>,
  ) {
    super(key);
    this.slots = new Array(nSlots).fill(null);
  }
}

/** Entities of one field (e.g. all source IPs), least recently seen first. */
class EntityTable {
  /** Scope (tenant, or "" when global) → entity value → state. */
  readonly #scopes = new Map<string, Map<string, EntityState>>();
  readonly #order = new LruList();
  /** Entities held, over all scopes. */
  size = 0;
  evicted = 0;
  /** Windowed features kept per entity (known once the spec is compiled). */
  nSlots = 0;
  /** The current event's state for this field (null: the event has none). */
  current: EntityState | null = null;
  constructor(
    readonly field: string,
    readonly get: Getter,
    readonly cap: number,
    /** State per tenant (the field is in the spec's `tenant_scoped`). */
    readonly byTenant: boolean,
  ) {}

  /** The state of entity `key` within `scope`, made the most recent. */
  state(scope: string, key: string): EntityState {
    // The entity of the previous event again: it is already the most
    // recent (nothing was added since, so nothing was evicted).
    const last = this.#last;
    if (last !== null && last.key === key && this.#lastScope === scope) {
      return last;
    }
    const s = this.#lookup(scope, key);
    this.#last = s;
    this.#lastScope = scope;
    return s;
  }

  /** The state returned by the previous call, and its scope. */
  #last: EntityState | null = null;
  #lastScope = "";

  #lookup(scope: string, key: string): EntityState {
    // Nested maps keyed by the event's own strings: no joined key per event.
    let home = this.#scopes.get(scope);
    if (home === undefined) this.#scopes.set(scope, home = new Map());
    let s = home.get(key);
    if (s !== undefined) {
      this.#order.touch(s); // move to the most recent end
      return s;
    }
    s = new EntityState(key, this.nSlots, home);
    if (this.size >= this.cap) {
      const old = this.#order.head as EntityState;
      this.#order.remove(old);
      old.home.delete(old.key);
      this.size--;
      this.evicted++;
    }
    home.set(key, s);
    this.#order.push(s);
    this.size++;
    return s;
  }
}

/** A bounded set of keys, least recently seen evicted first. */
class SeenSet {
  /** Keys of features without `with` (the entity alone). */
  readonly #flat = new Map<string, SeenKey>();
  /** Entity → `with` values → key: no joined string built per event. */
  readonly #nested = new Map<string, Map<string, SeenKey>>();
  readonly #order = new LruList();
  #size = 0;
  constructor(readonly cap: number) {}

  /** True when `k` was not seen before (or was evicted); marks it seen. */
  firstTime(k: string): boolean {
    const n = this.#flat.get(k);
    if (n !== undefined) {
      this.#order.touch(n);
      return false;
    }
    this.#add(new SeenKey(k, this.#flat, null));
    return true;
  }

  /** {@link firstTime} of the entity joined with its `with` values. */
  firstTimeWith(entity: string, rest: string): boolean {
    let home = this.#nested.get(entity);
    if (home === undefined) this.#nested.set(entity, home = new Map());
    const n = home.get(rest);
    if (n !== undefined) {
      this.#order.touch(n);
      return false;
    }
    this.#add(new SeenKey(rest, home, entity));
    return true;
  }

  #add(node: SeenKey): void {
    node.home.set(node.key, node);
    this.#order.push(node);
    if (++this.#size > this.cap) {
      const old = this.#order.head as SeenKey;
      this.#order.remove(old);
      old.home.delete(old.key);
      if (old.entity !== null && old.home.size === 0) {
        this.#nested.delete(old.entity);
      }
      this.#size--;
    }
  }

  /** Keys (entity and `with` values joined by NUL), least recently seen first. */
  ordered(): string[] {
    const out: string[] = [];
    for (let n = this.#order.head as SeenKey | null; n !== null;) {
      out.push(n.entity === null ? n.key : n.entity + "\u0000" + n.key);
      n = n.next as SeenKey | null;
    }
    return out;
  }
}

/** A key of a {@link SeenSet}: `key` in `home`, under `entity` when nested. */
class SeenKey extends LruNode {
  constructor(
    key: string,
    readonly home: Map<string, SeenKey>,
    readonly entity: string | null,
  ) {
    super(key);
  }
}

type Step = (
  e: EnrichedEvent,
  t: number,
  out: Float64Array,
  off: number,
) => void;

const SEVERITY: Record<string, number> = {
  informational: 0,
  low: 1,
  medium: 2,
  high: 3,
  critical: 4,
};

/** Serializable long-memory state of a {@link FeatureExtractor}. */
export interface ExtractorState {
  /** first_seen feature name → keys seen, least recent first. */
  seen: Record<string, string[]>;
  /** rarity feature name → value counts. */
  rarity: Record<string, { total: number; counts: [string, number][] }>;
}

/** Where an alert about a feature points: the entity field the feature follows. */
export interface FeatureEntity {
  type: string;
  value: string;
}

/**
 * Turns events into feature vectors, one event at a time, in stream order.
 * Windowed features slide on each entity's latest event time; a late event
 * counts as if it happened at that time. Memory is bounded by the spec's
 * limits.
 */
export class FeatureExtractor {
  readonly spec: FeatureSpec;
  readonly names: readonly string[];
  readonly dim: number;
  readonly #steps: Step[] = [];
  readonly #tables = new Map<string, EntityTable>();
  /** The same tables as an array, walked once per event. */
  #tableList: EntityTable[] = [];
  readonly #entityOf: (Getter | null)[] = [];
  readonly #entityField: (string | null)[] = [];
  readonly #seen = new Map<string, SeenSet>();
  /**
   * first_seen feature name → NUL-separated leading parts of a stored key
   * that name its nested map (0: flat; 1: entity or tenant; 2: both).
   */
  readonly #seenOuter = new Map<string, number>();
  readonly #rarity = new Map<string, RarityTable>();
  #lastTime = 0;
  /** Event time of the first event extracted (NaN before it). */
  #startTime = NaN;
  /** Entity fields whose state is per tenant (spec `tenant_scoped`). */
  readonly #tenantScoped: ReadonlySet<string>;
  /**
   * Per feature, after {@link extract}: 1 when this event entered the
   * feature's window (or the feature is not windowed), else 0. A windowed
   * value is only news on the event that changed it.
   */
  readonly added: Uint8Array;

  constructor(spec: FeatureSpec = DEFAULT_FEATURE_SPEC) {
    validateSpec(spec);
    this.spec = spec;
    this.#tenantScoped = new Set(spec.tenant_scoped ?? []);
    this.names = spec.features.map((f) => f.name);
    this.dim = spec.features.length;
    this.added = new Uint8Array(this.dim).fill(1);
    spec.features.forEach((f, i) => this.#steps.push(this.#compile(f, i)));
    this.#tableList = [...this.#tables.values()];
  }

  /**
   * Writes the event's features into `out[off .. off + dim)`. Updates the
   * entity state, so call it exactly once per event, in order.
   */
  extract(e: EnrichedEvent, out: Float64Array, off = 0): void {
    let t = isoTimeMs(e.ts);
    if (Number.isNaN(t)) t = this.#lastTime; // schema-valid events always parse
    else this.#lastTime = t;
    if (this.#startTime !== this.#startTime) this.#startTime = t; // NaN: the first event
    // Each entity is looked up (and moved to the recent end) once per
    // event, however many windowed features follow it.
    const tables = this.#tableList;
    const tenant = e.tenant;
    for (let j = 0; j < tables.length; j++) {
      const table = tables[j];
      const k = keyOf(table.get(e));
      if (k === undefined) table.current = null;
      else {
        const st = table.state(table.byTenant ? tenant : "", k);
        if (t > st.now) st.now = t;
        table.current = st;
      }
    }
    const steps = this.#steps;
    for (let i = 0; i < steps.length; i++) steps[i](e, t, out, off + i);
  }

  /**
   * Event time from the first event extracted to the last one: how long
   * this extractor has watched the stream. A window longer than that holds
   * only part of what happened in it, because the events before the first
   * were never seen (a detector just started), not because there were
   * none; its value can only be too low.
   */
  get watchedMs(): number {
    return this.#lastTime - this.#startTime;
  }

  /** Event time of the first event extracted (NaN before it). */
  get startMs(): number {
    return this.#startTime;
  }

  /** The entity feature `i` is about in event `e`, when it follows one. */
  entityFor(i: number, e: EnrichedEvent): FeatureEntity | undefined {
    const get = this.#entityOf[i];
    if (!get) return undefined;
    const v = keyOf(get(e));
    return v === undefined
      ? undefined
      : { type: this.#entityField[i]!, value: v };
  }

  /** State sizes, for the end-of-run summary. */
  stats(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [field, t] of this.#tables) {
      out[`entities.${field}`] = t.size;
      if (t.evicted) out[`evicted.${field}`] = t.evicted;
    }
    return out;
  }

  /**
   * The long-memory part of the state (first-seen sets, rarity tables), to
   * store with a model so a restarted detector does not find every entity
   * new and every value rare. Windows are short-lived and not kept.
   */
  exportState(): ExtractorState {
    const seen: Record<string, string[]> = {};
    for (const [name, s] of this.#seen) seen[name] = s.ordered();
    const rarity: Record<
      string,
      { total: number; counts: [string, number][] }
    > = {};
    for (const [name, t] of this.#rarity) {
      const counts: [string, number][] = [];
      for (const [k, box] of t.counts) counts.push([k, box.c]);
      rarity[name] = { total: t.total, counts };
    }
    return { seen, rarity };
  }

  /** Restores {@link exportState} output (unknown feature names are ignored). */
  importState(state: ExtractorState): void {
    for (const [name, keys] of Object.entries(state.seen ?? {})) {
      const s = this.#seen.get(name);
      if (s && Array.isArray(keys)) {
        const outer = this.#seenOuter.get(name) ?? 0;
        for (const k of keys) {
          if (typeof k !== "string") continue;
          let cut = -1;
          for (let p = 0; p < outer; p++) {
            cut = k.indexOf("\u0000", cut + 1);
            if (cut < 0) break;
          }
          if (outer === 0) s.firstTime(k);
          else if (cut > 0) s.firstTimeWith(k.slice(0, cut), k.slice(cut + 1));
        }
      }
    }
    for (const [name, r] of Object.entries(state.rarity ?? {})) {
      const t = this.#rarity.get(name);
      if (!t || !Array.isArray(r?.counts)) continue;
      t.counts.clear();
      let total = 0;
      for (const [k, c] of r.counts) {
        if (typeof k === "string" && Number.isInteger(c) && c > 0) {
          t.counts.set(k, { c });
          total += c;
        }
      }
      t.total = total;
    }
  }

  #table(field: string): EntityTable {
    let t = this.#tables.get(field);
    if (!t) {
      t = new EntityTable(
        field,
        fieldGetter(field),
        this.spec.limits.entities,
        this.#tenantScoped.has(field),
      );
      this.#tables.set(field, t);
    }
    return t;
  }

  #compile(f: FeatureDef, i: number): Step {
    this.#entityOf[i] = null;
    this.#entityField[i] = null;
    const cap = this.spec.limits.entries_per_entity;
    switch (f.kind) {
      case "hour_of_day": {
        const k = (2 * Math.PI) / 86_400_000;
        // Events often share a millisecond: the value of the last time is
        // kept. One literal per function, so each call site sees one target.
        let lastT = NaN, last = 0;
        if (f.part === "sin") {
          return (_e, t, out, o) => {
            if (t !== lastT) {
              lastT = t;
              last = Math.sin(
                (((t % 86_400_000) + 86_400_000) % 86_400_000) * k,
              );
            }
            out[o] = last;
          };
        }
        return (_e, t, out, o) => {
          if (t !== lastT) {
            lastT = t;
            last = Math.cos((((t % 86_400_000) + 86_400_000) % 86_400_000) * k);
          }
          out[o] = last;
        };
      }
      case "rarity": {
        const get = fieldGetter(f.field);
        const table = new RarityTable(this.spec.limits.rarity_values);
        this.#rarity.set(f.name, table);
        return (e, _t, out, o) => {
          const v = keyOf(get(e));
          out[o] = v === undefined ? 0 : table.observe(v);
        };
      }
      case "log_bytes": {
        const gets = f.fields.map(fieldGetter);
        return (e, _t, out, o) => {
          let m = 0;
          for (const g of gets) {
            const v = g(e);
            if (typeof v === "number" && v > m) m = v;
          }
          out[o] = Math.log1p(m);
        };
      }
      case "severity":
        return (e, _t, out, o) => {
          out[o] = SEVERITY[e.severity] ?? 0;
        };
      case "outcome":
        return (e, _t, out, o) => {
          out[o] = e.outcome === "failure"
            ? 1
            : e.outcome === "success"
            ? 0
            : 0.5;
        };
      case "text_length": {
        const get = fieldGetter(f.field);
        return (e, _t, out, o) => {
          const v = get(e);
          out[o] = typeof v === "string" ? v.length : 0;
        };
      }
      case "label_entropy": {
        const get = fieldGetter(f.field);
        return (e, _t, out, o) => {
          const v = get(e);
          out[o] = typeof v === "string" ? longestLabelEntropy(v) : 0;
        };
      }
      case "first_seen": {
        const getEntity = fieldGetter(f.entity);
        this.#entityOf[i] = getEntity;
        this.#entityField[i] = f.entity;
        const withGets = (f.with ?? []).map(fieldGetter);
        const match = compileFilter(f.where);
        const seen = new SeenSet(this.spec.limits.entities);
        this.#seen.set(f.name, seen);
        const byTenant = this.#tenantScoped.has(f.entity);
        // Stored keys: [tenant NUL] entity [NUL with-values]; the part
        // before the last of `outer` NULs is the nested map's key.
        this.#seenOuter.set(
          f.name,
          (byTenant ? 1 : 0) + (withGets.length > 0 ? 1 : 0),
        );
        if (withGets.length === 0) {
          return (e, _t, out, o) => {
            const k = keyOf(getEntity(e));
            out[o] = k === undefined || (match !== null && !match(e))
              ? 0
              : (byTenant ? seen.firstTimeWith(e.tenant, k) : seen.firstTime(k))
              ? 1
              : 0;
          };
        }
        return (e, _t, out, o) => {
          out[o] = 0;
          const k = keyOf(getEntity(e));
          if (k === undefined || (match !== null && !match(e))) return;
          let rest: string | undefined = undefined;
          for (const g of withGets) {
            const w = keyOf(g(e));
            if (w === undefined) return;
            rest = rest === undefined ? w : rest + "\u0000" + w;
          }
          const outer = byTenant ? e.tenant + "\u0000" + k : k;
          out[o] = seen.firstTimeWith(outer, rest!) ? 1 : 0;
        };
      }
      case "window_count":
      case "window_distinct":
      case "window_sum": {
        const table = this.#table(f.entity);
        this.#entityOf[i] = table.get;
        this.#entityField[i] = f.entity;
        const slot = table.nSlots++;
        const match = compileFilter(f.where);
        const windowMs = f.window_s * 1000;
        const added = this.added;
        if (f.kind === "window_distinct") {
          const getValue = fieldGetter(f.value);
          return (e, _t, out, o) => {
            const s = table.current;
            if (s === null) {
              out[o] = 0;
              added[i] = 0;
              return;
            }
            const w =
              (s.slots[slot] ??= new DistinctWindow()) as DistinctWindow;
            w.expire(s.now, windowMs);
            added[i] = 0;
            if (match === null || match(e)) {
              const v = keyOf(getValue(e));
              if (v !== undefined) {
                w.add(v, s.now, cap);
                added[i] = 1;
              }
            }
            out[o] = w.size;
          };
        }
        const getValue = f.kind === "window_sum" ? fieldGetter(f.value) : null;
        const isSum = f.kind === "window_sum";
        return (e, _t, out, o) => {
          const s = table.current;
          if (s === null) {
            out[o] = 0;
            added[i] = 0;
            return;
          }
          const w = (s.slots[slot] ??= new TimeWindow()) as TimeWindow;
          w.expire(s.now, windowMs);
          added[i] = 0;
          if (match === null || match(e)) {
            if (getValue) {
              const v = getValue(e);
              if (typeof v === "number" && v > 0) {
                w.add(s.now, v, cap);
                added[i] = 1;
              }
            } else {
              w.add(s.now, 0, cap);
              added[i] = 1;
            }
          }
          if (isSum) {
            // log1p only when the sum moved since this window's last event.
            if (w.sum !== w.loggedSum) {
              w.loggedSum = w.sum;
              w.logSum = Math.log1p(Math.max(0, w.sum));
            }
            out[o] = w.logSum;
          } else out[o] = w.count;
        };
      }
    }
  }
}

/**
 * What {@link raiseColdWindows} needs of a model: for each windowed feature
 * whose training median is above 0, [feature index, window ms, median].
 */
export function coldWindowFloors(
  spec: FeatureSpec,
  medians: readonly number[],
): number[] {
  const out: number[] = [];
  spec.features.forEach((f, k) => {
    const w = windowMsOf(f);
    if (w > 0 && medians[k] > 0) out.push(k, w, medians[k]);
  });
  return out;
}

/** The length of a feature's window in ms; 0 for a feature without one. */
function windowMsOf(f: FeatureDef): number {
  return f.kind === "window_count" || f.kind === "window_distinct" ||
      f.kind === "window_sum"
    ? f.window_s * 1000
    : 0;
}

/**
 * A window longer than the stream watched so far (`watchedMs`: event time
 * since the first event) holds only what arrived since, because the events
 * before were never seen, not because there were none: its value is a
 * lower bound. A detector that has just started would find every entity
 * quieter than ever (a workstation that queries a dozen DNS names every 5
 * minutes has "2" in its first minute, its bytes sent in 10 minutes start
 * at 0), and the forest scores such values as anomalous: each restart
 * raised a burst of false alerts about ordinary sources. So while a window
 * is partial, a value below the training median says nothing and is raised
 * to the median; values above it (a port scan in the first minute) stay.
 * `floors` from {@link coldWindowFloors}; the vector starts at `v[off]`.
 * Returns whether any value was raised.
 */
export function raiseColdWindows(
  v: Float64Array,
  off: number,
  watchedMs: number,
  floors: readonly number[],
): boolean {
  let raised = false;
  for (let j = 0; j < floors.length; j += 3) {
    const at = off + floors[j];
    if (watchedMs < floors[j + 1] && v[at] < floors[j + 2]) {
      v[at] = floors[j + 2];
      raised = true;
    }
  }
  return raised;
}

const eventTimes = new IsoTimeParser();

/**
 * `Date.parse` for event times, fast for the canonical form every stage
 * writes (`YYYY-MM-DDTHH:MM:SS.sssZ`); see {@link IsoTimeParser}.
 */
export function isoTimeMs(ts: string): number {
  return eventTimes.parse(ts);
}

const counts = new Int32Array(65_536);

/** Shannon entropy in bits per character of the longest dot-separated label. */
export function longestLabelEntropy(name: string): number {
  let best = 0, bestLen = 0, start = 0;
  for (let i = 0; i <= name.length; i++) {
    if (i === name.length || name.charCodeAt(i) === 46) {
      if (i - start > bestLen) {
        bestLen = i - start;
        best = start;
      }
      start = i + 1;
    }
  }
  if (bestLen <= 1) return 0;
  for (let i = best; i < best + bestLen; i++) counts[name.charCodeAt(i)]++;
  let h = 0;
  for (let i = best; i < best + bestLen; i++) {
    const c = name.charCodeAt(i);
    const n = counts[c];
    if (n > 0) {
      const p = n / bestLen;
      h -= p * Math.log2(p);
      counts[c] = 0; // reset as we go; each character counted once
    }
  }
  return h;
}

const KINDS = new Set([
  "hour_of_day",
  "rarity",
  "log_bytes",
  "severity",
  "outcome",
  "window_count",
  "window_distinct",
  "window_sum",
  "text_length",
  "label_entropy",
  "first_seen",
]);

/** Checks a spec (e.g. one read from a model file); throws {@link FeatureSpecError}. */
export function validateSpec(spec: unknown): asserts spec is FeatureSpec {
  const fail = (msg: string): never => {
    throw new FeatureSpecError(`feature spec: ${msg}`);
  };
  if (typeof spec !== "object" || spec === null) fail("expected an object");
  const s = spec as Partial<FeatureSpec>;
  if (s.format !== FEATURE_SPEC_FORMAT) {
    fail(
      `format ${
        JSON.stringify(s.format)
      } is not supported (this build reads format ${FEATURE_SPEC_FORMAT})`,
    );
  }
  if (typeof s.id !== "string" || typeof s.version !== "string") {
    fail("needs string 'id' and 'version'");
  }
  if (
    s.tenant_scoped !== undefined &&
    !(Array.isArray(s.tenant_scoped) &&
      s.tenant_scoped.every((f) => typeof f === "string" && f !== ""))
  ) {
    fail("tenant_scoped must list entity field paths");
  }
  const l = s.limits;
  if (
    !l || !(l.entities >= 1) || !(l.entries_per_entity >= 1) ||
    !(l.rarity_values >= 1)
  ) {
    fail(
      "limits.entities, limits.entries_per_entity and limits.rarity_values must be ≥ 1",
    );
  }
  if (!Array.isArray(s.features) || s.features.length === 0) {
    fail("needs at least one feature");
  }
  const names = new Set<string>();
  s.features!.forEach((f, i) => {
    const where = `features[${i}]`;
    if (typeof f !== "object" || f === null) {
      fail(`${where}: expected an object`);
    }
    if (typeof f.name !== "string" || !f.name) fail(`${where}: missing name`);
    if (names.has(f.name)) fail(`${where}: duplicate name '${f.name}'`);
    names.add(f.name);
    if (!KINDS.has(f.kind)) {
      fail(`${where} (${f.name}): unknown kind '${String(f.kind)}'`);
    }
    const rec = f as unknown as Record<string, unknown>;
    const needString = (k: string) => {
      if (typeof rec[k] !== "string" || !rec[k]) {
        fail(`${where} (${f.name}): '${k}' must be a field path`);
      }
    };
    switch (f.kind) {
      case "rarity":
      case "text_length":
      case "label_entropy":
        needString("field");
        break;
      case "first_seen":
        needString("entity");
        break;
      case "window_count":
      case "window_distinct":
      case "window_sum":
        needString("entity");
        if (f.kind !== "window_count") needString("value");
        if (
          rec.window_evidence !== undefined &&
          (rec.kind === "window_sum" ||
            typeof rec.window_evidence !== "boolean")
        ) {
          fail(
            `${where} (${f.name}): window_evidence must be a boolean, on a window_count or window_distinct feature`,
          );
        }
        if (!(typeof f.window_s === "number" && f.window_s > 0)) {
          fail(`${where} (${f.name}): window_s must be a positive number`);
        }
        break;
      case "log_bytes":
        if (!Array.isArray(f.fields) || f.fields.length === 0) {
          fail(`${where} (${f.name}): 'fields' must list field paths`);
        }
        break;
      case "hour_of_day":
        if (f.part !== "sin" && f.part !== "cos") {
          fail(`${where} (${f.name}): part must be sin or cos`);
        }
        break;
    }
  });
}
