/**
 * Kafka settings from a `kafka://` URI and the environment: brokers, client
 * id, consumer group, topic names per record type, TLS/SASL, tuning. Pure
 * code (no connection), so it is unit-tested without a broker.
 *
 * URI: `kafka://HOST:PORT[,HOST:PORT]/TOPIC[,TOPIC]?group=NAME&client_id=ID&…`
 * (a source may read several topics, e.g. the sink's
 * `/events.enriched,alerts,events.deadletter`).
 *
 * Query parameters (all optional):
 * - `group` consumer group (default: the stage name and the topic(s),
 *   `parser.events.raw`, so instances reading different topics never share
 *   a group; instances of one stage on one topic do, and scale out)
 * - `client_id` (default `sentinel-<stage>`)
 * - `brokers=h1:p1,h2:p2` more brokers (the URL host may hold only one)
 * - `topic.raw_event`, `topic.enriched_event`, `topic.alert`,
 *   `topic.dead_letter` override the topic of a record type on the sink side
 * - `partitions=N` partitions of topics this stage creates (default 3),
 *   `replication=N` (default: the broker's default)
 * - `from=earliest|latest` where a new consumer group starts (earliest)
 * - `max_batch=N` most records per input batch (default 5000)
 * - `max_inflight=N` most records handed to the stage and not yet committed
 *   (default 50000); the consumer pauses beyond it
 * - `idle_exit_ms=N` end the source after N ms without new records (batch
 *   runs and tests; default 0 = run until stopped)
 * - `session_timeout_ms` (default 10000), `heartbeat_ms` (default 1000)
 * - `compression=none|gzip|zstd` of produced batches (default none); any
 *   of gzip, snappy, lz4 and zstd is read (kafka_codecs.ts)
 * - `max_request_bytes=N` most record bytes per produce request (default
 *   1 MiB; larger writes are split)
 * - `retry_ms=N` how long the sink keeps retrying an unacknowledged write
 *   before failing (default 0 = until stopped)
 * - `tls=true`, `tls.ca=PATH`, `tls.cert=PATH`, `tls.key=PATH`,
 *   `tls.insecure=true` (skip certificate verification; testing only); any
 *   `tls.*` setting turns TLS on by itself (`tls=false` beside one is an
 *   error)
 * - `sasl=plain|scram-sha-256|scram-sha-512`; the user name and password come
 *   from the URI (`kafka://USER:PASS@host…`) or, better, from the environment.
 *   Credentials without a mechanism are a usage error (never a silent
 *   unauthenticated connection).
 *
 * Environment twins (they win over the URI, so secrets stay out of flags):
 * `SENTINEL_KAFKA_BROKERS`, `SENTINEL_KAFKA_USERNAME`,
 * `SENTINEL_KAFKA_PASSWORD`, `SENTINEL_KAFKA_SASL_MECHANISM`,
 * `SENTINEL_KAFKA_TLS` (1/true), `SENTINEL_KAFKA_TLS_CA`,
 * `SENTINEL_KAFKA_TLS_CERT`, `SENTINEL_KAFKA_TLS_KEY`,
 * `SENTINEL_KAFKA_PARTITIONS`.
 *
 * Sink path (`--out`): the record types go to their own topics, so the path
 * names the topic family, not one topic. Empty (or `/`) means the default
 * topics; a default topic name (e.g. `/events.enriched`) also means the
 * defaults; a default name after a prefix (`/prod.events.raw`) means that
 * prefix (`prod.events.enriched`, `prod.alerts`, …); anything else is a
 * prefix put before every default name (`/prod` → `prod.events.raw`, …; a
 * prefix ending in `.`, `-` or `_` is used as is). See {@link sinkPrefix}.
 *
 * @module
 */
import type { RecordType } from "../records.ts";
import { UsageError } from "../cli.ts";

/** Default topic of each record type. */
export const DEFAULT_TOPICS: Readonly<Record<RecordType, string>> = {
  raw_event: "events.raw",
  enriched_event: "events.enriched",
  alert: "alerts",
  dead_letter: "events.deadletter",
};

/** TLS settings (kafkajs `ssl`). */
export interface KafkaTls {
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized: boolean;
}

/** SASL settings (kafkajs `sasl`). */
export interface KafkaSasl {
  mechanism: "plain" | "scram-sha-256" | "scram-sha-512";
  username: string;
  password: string;
}

/** The `compression=` values a sink may produce with. */
export const PRODUCED_COMPRESSIONS = ["none", "gzip", "zstd"] as const;
export type ProducedCompression = typeof PRODUCED_COMPRESSIONS[number];

/** Everything the adapter needs, resolved from URI + environment. */
export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  groupId: string;
  /** Source topic (the URI path); "" when none was given. */
  topic: string;
  /** Sink topic per record type. */
  topics: Record<RecordType, string>;
  partitions: number;
  /** -1: broker default. */
  replication: number;
  fromBeginning: boolean;
  maxBatch: number;
  maxInflight: number;
  idleExitMs: number;
  sessionTimeoutMs: number;
  heartbeatMs: number;
  compression: ProducedCompression;
  maxRequestBytes: number;
  retryMs: number;
  tls?: KafkaTls;
  sasl?: KafkaSasl;
}

/** A configuration mistake in a `kafka://` URI (the CLI maps it to exit 2). */
export class KafkaConfigError extends UsageError {
  override name = "KafkaConfigError";
}

type Env = (name: string) => string | undefined;

const denoEnv: Env = (name) => {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env: behave as if unset
  }
};

const KNOWN_PARAMS = new Set([
  "group",
  "client_id",
  "brokers",
  "partitions",
  "replication",
  "from",
  "max_batch",
  "max_inflight",
  "idle_exit_ms",
  "session_timeout_ms",
  "heartbeat_ms",
  "compression",
  "max_request_bytes",
  "retry_ms",
  "tls",
  "tls.ca",
  "tls.cert",
  "tls.key",
  "tls.insecure",
  "sasl",
  ...Object.keys(DEFAULT_TOPICS).map((t) => `topic.${t}`),
]);

/**
 * Rewrites the multi-broker form `kafka://h1:p1,h2:p2/topic?…` (which the
 * WHATWG URL parser rejects) into `kafka://h1:p1/topic?…&brokers=h1:p1,h2:p2`.
 * Single-broker URIs are parsed unchanged.
 */
export function parseKafkaUri(uri: string): URL {
  const m = /^kafka:\/\/(?:([^@/?#]*)@)?([^/?#]*)(.*)$/.exec(uri);
  if (!m) throw new KafkaConfigError(`'${uri}' is not a kafka:// URI`);
  const [, userinfo, hosts, rest] = m;
  if (!hosts.includes(",")) {
    try {
      return new URL(uri);
    } catch {
      throw new KafkaConfigError(`'${uri}' is not a valid kafka:// URI`);
    }
  }
  const first = hosts.split(",")[0];
  const auth = userinfo !== undefined ? `${userinfo}@` : "";
  let url: URL;
  try {
    url = new URL(`kafka://${auth}${first}${rest}`);
  } catch {
    throw new KafkaConfigError(`'${uri}' is not a valid kafka:// URI`);
  }
  const extra = url.searchParams.get("brokers");
  url.searchParams.set("brokers", extra ? `${hosts},${extra}` : hosts);
  return url;
}

function intParam(
  name: string,
  raw: string | null | undefined,
  dflt: number,
  min: number,
): number {
  if (raw === null || raw === undefined || raw === "") return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    throw new KafkaConfigError(
      `kafka URI: ${name} must be an integer >= ${min}, got '${raw}'`,
    );
  }
  return n;
}

/** A yes/no parameter; anything but the usual spellings is a usage error. */
function flagParam(name: string, raw: string): boolean {
  const v = raw.toLowerCase();
  if (v === "" || v === "1" || v === "true" || v === "yes") return true;
  if (v === "0" || v === "false" || v === "no") return false;
  throw new KafkaConfigError(
    `kafka URI: ${name} must be true or false, got '${raw}'`,
  );
}

function checkBroker(b: string): string {
  if (!/^[^\s:,/]+:\d{1,5}$/.test(b)) {
    throw new KafkaConfigError(
      `kafka URI: broker '${b}' must be HOST:PORT`,
    );
  }
  return b;
}

/**
 * The prefix a sink path puts before every default topic name. A path that
 * is a full topic name — a default name, or a default name after a prefix
 * (`prod.events.raw`, `t1-alerts`) — gives that prefix, so `/prod.events.raw`
 * writes raw events to `prod.events.raw`, never `prod.events.raw.events.raw`.
 * Any other path is a bare prefix (`/prod` → `prod.events.raw`; one ending in
 * `.`, `-` or `_` is used as is).
 */
export function sinkPrefix(path: string): string {
  if (path === "") return "";
  for (const name of DEFAULT_TOPIC_NAMES) {
    if (path === name) return "";
    if (
      path.endsWith(name) && /[._-]$/.test(path.slice(0, -name.length))
    ) {
      return path.slice(0, -name.length);
    }
  }
  return /[._-]$/.test(path) ? path : `${path}.`;
}

/** Default names, longest first, so `events.deadletter` is tried before shorter ones. */
const DEFAULT_TOPIC_NAMES = Object.values(DEFAULT_TOPICS).sort((a, b) =>
  b.length - a.length
);

/** Resolves the settings of a `kafka://` URI for `stage`. */
export function kafkaSettings(
  url: URL,
  stage: string,
  defaultGroup?: string,
  env: Env = denoEnv,
): KafkaSettings {
  if (url.protocol !== "kafka:") {
    throw new KafkaConfigError(`'${url.href}' is not a kafka:// URI`);
  }
  const q = url.searchParams;
  for (const k of q.keys()) {
    if (!KNOWN_PARAMS.has(k)) {
      throw new KafkaConfigError(
        `kafka URI: unknown parameter '${k}' (known: ${
          [...KNOWN_PARAMS].join(", ")
        })`,
      );
    }
  }
  const brokerList = env("SENTINEL_KAFKA_BROKERS") ??
    [url.host, q.get("brokers") ?? ""].filter(Boolean).join(",");
  const brokers = [
    ...new Set(
      brokerList.split(",").map((b) => b.trim()).filter(Boolean).map(
        checkBroker,
      ),
    ),
  ];
  if (brokers.length === 0) {
    throw new KafkaConfigError(
      "kafka URI: no broker given (kafka://HOST:PORT/TOPIC)",
    );
  }

  const path = decodeURIComponent(url.pathname.replace(/^\/+/, ""));
  const prefix = sinkPrefix(path);
  const topics = {} as Record<RecordType, string>;
  for (const [type, name] of Object.entries(DEFAULT_TOPICS)) {
    topics[type as RecordType] = q.get(`topic.${type}`) || prefix + name;
  }

  const from = q.get("from") ?? "earliest";
  if (from !== "earliest" && from !== "latest") {
    throw new KafkaConfigError(
      `kafka URI: from must be earliest or latest, got '${from}'`,
    );
  }
  const compression = (q.get("compression") ?? "none") as ProducedCompression;
  if (!PRODUCED_COMPRESSIONS.includes(compression)) {
    throw new KafkaConfigError(
      `kafka URI: compression must be none, gzip or zstd, got '${compression}'`,
    );
  }

  // Any TLS setting turns TLS on: a CA, client certificate or "insecure"
  // given without tls=true would otherwise be dropped silently and the
  // stage would talk plaintext. An explicit tls=false next to one is a
  // contradiction, not a choice.
  const tlsRaw = env("SENTINEL_KAFKA_TLS") ?? q.get("tls");
  const tlsExtras = [
    ["tls.ca", q.get("tls.ca") ?? env("SENTINEL_KAFKA_TLS_CA")],
    ["tls.cert", q.get("tls.cert") ?? env("SENTINEL_KAFKA_TLS_CERT")],
    ["tls.key", q.get("tls.key") ?? env("SENTINEL_KAFKA_TLS_KEY")],
    ["tls.insecure", q.get("tls.insecure")],
  ].filter(([, v]) => v !== null && v !== undefined).map(([k]) => k);
  const tlsFlag = tlsRaw === null || tlsRaw === undefined
    ? undefined
    : flagParam("tls", tlsRaw);
  if (tlsFlag === false && tlsExtras.length > 0) {
    throw new KafkaConfigError(
      `kafka URI: tls=false contradicts ${
        tlsExtras.join(", ")
      } (drop them, or set tls=true)`,
    );
  }
  const tlsOn = tlsFlag === true || tlsExtras.length > 0;
  let tls: KafkaTls | undefined;
  if (tlsOn) {
    const read = (p: string | null | undefined, what: string) => {
      if (!p) return undefined;
      try {
        return Deno.readTextFileSync(p);
      } catch (e) {
        throw new KafkaConfigError(
          `kafka TLS ${what} '${p}' cannot be read: ${(e as Error).message}`,
        );
      }
    };
    tls = {
      ca: read(env("SENTINEL_KAFKA_TLS_CA") ?? q.get("tls.ca"), "CA file"),
      cert: read(
        env("SENTINEL_KAFKA_TLS_CERT") ?? q.get("tls.cert"),
        "certificate",
      ),
      key: read(env("SENTINEL_KAFKA_TLS_KEY") ?? q.get("tls.key"), "key"),
      rejectUnauthorized: !(q.has("tls.insecure") &&
        flagParam("tls.insecure", q.get("tls.insecure")!)),
    };
  }

  const mech = (env("SENTINEL_KAFKA_SASL_MECHANISM") ?? q.get("sasl") ?? "")
    .toLowerCase();
  let sasl: KafkaSasl | undefined;
  if (!mech) {
    // Credentials without a mechanism would connect unauthenticated: the
    // broker then refuses (or, worse, accepts) a client the user meant to
    // log in. Which mechanism the broker wants cannot be guessed.
    const given = [
      url.username ? "a user name in the URI" : "",
      url.password ? "a password in the URI" : "",
      env("SENTINEL_KAFKA_USERNAME") ? "SENTINEL_KAFKA_USERNAME" : "",
      env("SENTINEL_KAFKA_PASSWORD") ? "SENTINEL_KAFKA_PASSWORD" : "",
    ].filter(Boolean);
    if (given.length > 0) {
      throw new KafkaConfigError(
        `kafka credentials given (${
          given.join(", ")
        }) but no SASL mechanism: add ?sasl=plain|scram-sha-256|scram-sha-512 (or set SENTINEL_KAFKA_SASL_MECHANISM)`,
      );
    }
  } else {
    if (
      mech !== "plain" && mech !== "scram-sha-256" && mech !== "scram-sha-512"
    ) {
      throw new KafkaConfigError(
        `kafka URI: sasl must be plain, scram-sha-256 or scram-sha-512, got '${mech}'`,
      );
    }
    const username = env("SENTINEL_KAFKA_USERNAME") ??
      decodeURIComponent(url.username);
    const password = env("SENTINEL_KAFKA_PASSWORD") ??
      decodeURIComponent(url.password);
    if (!username) {
      throw new KafkaConfigError(
        "kafka SASL needs a user name (SENTINEL_KAFKA_USERNAME or kafka://USER:PASS@…)",
      );
    }
    sasl = { mechanism: mech, username, password };
  }

  return {
    brokers,
    clientId: q.get("client_id") || `sentinel-${stage}`,
    // The default group names the topic too: a group's partitions are shared
    // out among all its members, so a second parser on another topic in
    // the same group would get none of its own topic, silently.
    groupId: q.get("group") ||
      `${defaultGroup || `sentinel-${stage}`}${path ? `.${path}` : ""}`,
    topic: path,
    topics,
    partitions: intParam(
      "partitions",
      q.get("partitions") ?? env("SENTINEL_KAFKA_PARTITIONS"),
      3,
      1,
    ),
    replication: intParam("replication", q.get("replication"), -1, -1),
    fromBeginning: from === "earliest",
    maxBatch: intParam("max_batch", q.get("max_batch"), 5000, 1),
    maxInflight: intParam("max_inflight", q.get("max_inflight"), 50000, 1),
    idleExitMs: intParam("idle_exit_ms", q.get("idle_exit_ms"), 0, 0),
    sessionTimeoutMs: intParam(
      "session_timeout_ms",
      q.get("session_timeout_ms"),
      10000,
      1000,
    ),
    heartbeatMs: intParam("heartbeat_ms", q.get("heartbeat_ms"), 1000, 100),
    compression,
    maxRequestBytes: intParam(
      "max_request_bytes",
      q.get("max_request_bytes"),
      1 << 20,
      1024,
    ),
    retryMs: intParam("retry_ms", q.get("retry_ms"), 0, 0),
    tls,
    sasl,
  };
}

// deno-lint-ignore no-explicit-any
type Loose = any;

/**
 * The partition key of a record. Kafka sends equal keys to one partition and
 * a consumer group gives each partition to exactly one member, so the key
 * decides which detector instance sees an entity:
 *
 * - enriched events: `source.ip`, else `source.domain`, else `user.name`,
 *   else `host.name`, else `event_id`. Correlation rules group mostly by the attacking source
 *   (brute force, port scan), so all of one source's events meet in one
 *   detector instance and its windows stay correct when scaled out. A rule
 *   grouping by a different field (e.g. many source IPs against one user)
 *   only sees the whole picture with one detector instance, or with a key
 *   matching that field.
 * - raw events: `event_id`, else `source_name` (the parser is stateless, so
 *   spreading evenly is what matters).
 * - alerts: the alert's entity value (one entity's alerts stay in order).
 * - dead letters: `event_id`, else `dead_letter_id`.
 */
export function partitionKey(record: Loose): string | null {
  switch (record.record) {
    case "enriched_event":
      // The source's name when it has no address (pam's rhost= resolved
      // by sshd): one source's events stay in one detector instance.
      return record.source?.ip ?? record.source?.domain ?? record.user?.name ??
        record.host?.name ?? record.event_id ?? null;
    case "raw_event":
      return record.event_id ?? record.source_name ?? null;
    case "alert":
      return record.entity?.value ?? record.alert_id ?? null;
    case "dead_letter":
      return record.event_id ?? record.dead_letter_id ?? null;
    default:
      return null;
  }
}
