-- SentinelStream storage schema. Applied by the ClickHouse container on first
-- start (docker-entrypoint-initdb.d) and by `sentinel-sink --create-schema`
-- against the embedded chDB store or a server. Every statement is idempotent
-- (IF NOT EXISTS), so it can be applied again at any time.
--
-- Conventions
--  * Entity groups (source, destination, user, process, dns, …) are named
--    Tuples whose element names follow the EnrichedEvent contract, so the
--    dashboards read like ECS: `source.ip`, `user.target.name`,
--    `dns.question.name`. Each element is stored as its own column file.
--  * IP addresses are IPv6 columns; IPv4 values are stored v4-mapped
--    (::ffff:203.0.113.9); the function `sentinel_ip_text(ip)` renders them
--    back as 203.0.113.9 for panels and tables.
--  * Optional scalars are Nullable so "absent" stays distinguishable from
--    "empty"; the original payload is kept verbatim as String.
--  * Write speed (events, raw_events: the high-volume tables). Measured in
--    chDB with JSONEachRow, a LowCardinality column costs ~1.7x a String
--    column per value to insert, so these tables use plain String (LZ4 on the
--    sorted parts compresses repeated values well) and keep LowCardinality for
--    the low-volume tables and the rollups. Parts below 256 MiB are written
--    compact (one file instead of two per column stream, ~170 streams here);
--    merges turn big parts wide again.
--  * ReplacingMergeTree on the record ids: replaying the same records (Kafka
--    redelivery, a retried insert) collapses to one row on merge; read with
--    FINAL for exact counts. The sorting key holds only values that are
--    deterministic for a given record, so a replayed row lands on the same key.
--  * non_replicated_deduplication_window also drops a byte-identical retried
--    insert block at once (and its materialized-view rows).
--  * Retention counts from when a row was stored, never from the event's own
--    time: every table expires a row `inserted_at` + N days (events,
--    raw_events, dead_letters 30 days; alerts 90). ClickHouse applies a
--    delete TTL to each part it writes, so a TTL on `ts` made rows older than
--    the retention (replayed history, a sender's clock) or with a ts past
--    2106-02-07 (where toDateTime wraps to 1970) vanish at insert while the
--    sink counted them stored. Now any ts is kept for the full retention
--    after it arrived; monthly partitions stay by event time for the
--    dashboards' time filters. `inserted_at` is set by the database (the
--    sink never sends it). The rollups keep the latest insert time of the
--    rows they aggregate (SimpleAggregateFunction(max), DEFAULT now()), so a
--    minute lives until the retention has passed since its last event.
--    Expired rows are removed by background merges (eventually; OPTIMIZE
--    TABLE … FINAL forces it). Stores created before this rule are moved
--    over when the sink applies this file (docs/deploy.md, "Retention").
--  * TTL lines carry a `-- ttl:NAME` marker: `sentinel-sink --events-ttl-days`
--    etc. rewrite the number when they apply this file, and existing tables
--    are brought to it (stages/sink/schema.ts: missing columns added, TTLs
--    and materialized views' SELECTs altered where they differ).

CREATE DATABASE IF NOT EXISTS sentinel;

-- IPv6 column value as text, with v4-mapped addresses shown as plain IPv4.
CREATE FUNCTION IF NOT EXISTS sentinel_ip_text AS (ip) ->
    if(isNull(ip), '', if(startsWith(toString(ip), '::ffff:') AND position(toString(ip), '.') > 0,
        substring(toString(ip), 8), toString(ip)));

-- Enriched events (topic events.enriched).
CREATE TABLE IF NOT EXISTS sentinel.events
(
    event_id     UUID,
    received_at  DateTime64(3, 'UTC'),
    tenant       String,
    source_name  String,
    transport    String,
    ingest_node  String,
    format       String,
    ts           DateTime64(3, 'UTC'),
    ts_source    String,
    category     String,
    action       String,
    outcome      String,
    severity     Enum8('informational' = 1, 'low' = 2, 'medium' = 3, 'high' = 4, 'critical' = 5),
    host         Tuple(name Nullable(String), ip Nullable(IPv6)),
    user         Tuple(
                     name Nullable(String),
                     domain Nullable(String),
                     target Tuple(name Nullable(String), domain Nullable(String))),
    source       Tuple(
                     ip Nullable(IPv6),
                     port Nullable(UInt16),
                     domain Nullable(String),
                     bytes Nullable(UInt64),
                     packets Nullable(UInt64),
                     ip_class Nullable(String),
                     geo Tuple(
                         country_iso_code Nullable(String),
                         country_name Nullable(String),
                         city_name Nullable(String),
                         location Tuple(lat Nullable(Float64), lon Nullable(Float64)))),
    destination  Tuple(
                     ip Nullable(IPv6),
                     port Nullable(UInt16),
                     domain Nullable(String),
                     bytes Nullable(UInt64),
                     packets Nullable(UInt64),
                     ip_class Nullable(String),
                     geo Tuple(
                         country_iso_code Nullable(String),
                         country_name Nullable(String),
                         city_name Nullable(String),
                         location Tuple(lat Nullable(Float64), lon Nullable(Float64)))),
    network      Tuple(
                     transport Nullable(String),
                     protocol Nullable(String),
                     direction Nullable(String),
                     bytes Nullable(UInt64),
                     packets Nullable(UInt64)),
    process      Tuple(
                     name Nullable(String),
                     pid Nullable(UInt32),
                     executable Nullable(String),
                     command_line Nullable(String),
                     hash Tuple(md5 Nullable(String), sha1 Nullable(String), sha256 Nullable(String), imphash Nullable(String)),
                     parent Tuple(
                         name Nullable(String),
                         pid Nullable(UInt32),
                         executable Nullable(String),
                         command_line Nullable(String))),
    file         Tuple(
                     path Nullable(String),
                     name Nullable(String),
                     hash Tuple(md5 Nullable(String), sha1 Nullable(String), sha256 Nullable(String), imphash Nullable(String))),
    dns          Tuple(
                     question Tuple(name Nullable(String), type Nullable(String)),
                     response_code Nullable(String),
                     answers Array(String)),
    url          Tuple(
                     original Nullable(String),
                     domain Nullable(String),
                     path Nullable(String),
                     query Nullable(String)),
    http         Tuple(
                     request Tuple(method Nullable(String), referrer Nullable(String)),
                     response Tuple(status_code Nullable(UInt16), bytes Nullable(UInt64)),
                     user_agent Nullable(String)),
    enrichment   Map(String, String),
    fields       Map(String, String),
    -- The original payload: the log line, or the JSON object's text.
    payload      String,
    -- 'json' when the payload was a JSON object (set by the sink), else 'string'.
    payload_type Enum8('string' = 1, 'json' = 2) DEFAULT 'string',
    ground_truth Tuple(scenario Nullable(String), role Nullable(String)),
    inserted_at  DateTime64(3, 'UTC') DEFAULT now64(3),
    CONSTRAINT event_time_set CHECK ts > toDateTime64('1971-01-01 00:00:00', 3, 'UTC'),
    CONSTRAINT tenant_set CHECK tenant != ''
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, category, ts, event_id)
TTL toDateTime(inserted_at) + toIntervalDay(30) -- ttl:events
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 1000,
    min_bytes_for_wide_part = 268435456; -- insert-sized parts stay compact (one file)

-- Alerts (topic alerts).
CREATE TABLE IF NOT EXISTS sentinel.alerts
(
    alert_id      FixedString(32),
    kind          LowCardinality(String),
    tenant        LowCardinality(String),
    rule          Tuple(
                      id LowCardinality(String),
                      title LowCardinality(String),
                      level Enum8('informational' = 1, 'low' = 2, 'medium' = 3, 'high' = 4, 'critical' = 5),
                      tags Array(LowCardinality(String)),
                      description Nullable(String),
                      source Nullable(String)),
    severity      Enum8('informational' = 1, 'low' = 2, 'medium' = 3, 'high' = 4, 'critical' = 5),
    mitre         Tuple(tactics Array(LowCardinality(String)), techniques Array(LowCardinality(String))),
    ts            DateTime64(3, 'UTC'),
    detected_at   DateTime64(3, 'UTC'),
    entity        Tuple(type LowCardinality(String), value String),
    group         Map(String, String),
    evidence      Tuple(event_ids Array(String), count UInt32),
    window        Tuple(start Nullable(DateTime64(3, 'UTC')), end Nullable(DateTime64(3, 'UTC'))),
    message       String,
    score         Nullable(Float64),
    threshold     Nullable(Float64),
    model_version LowCardinality(Nullable(String)),
    contributions Array(Tuple(feature String, value Float64, weight Float64, explanation Nullable(String))),
    inserted_at   DateTime64(3, 'UTC') DEFAULT now64(3),
    CONSTRAINT alert_time_set CHECK ts > toDateTime64('1971-01-01 00:00:00', 3, 'UTC'),
    CONSTRAINT alert_rule_set CHECK rule.id != '' AND rule.title != ''
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
-- The day (not the exact time) keeps range scans cheap while staying stable
-- if a replayed correlation reports a slightly different last-event time.
ORDER BY (tenant, toDate(ts), alert_id)
TTL toDateTime(inserted_at) + toIntervalDay(90) -- ttl:alerts
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 1000;

-- Dead letters from every stage (and the sink's own rejects).
CREATE TABLE IF NOT EXISTS sentinel.dead_letters
(
    dead_letter_id  FixedString(32),
    stage           LowCardinality(String),
    reason_code     LowCardinality(String),
    reason          String,
    at              DateTime64(3, 'UTC'),
    ts              DateTime64(3, 'UTC') ALIAS at,
    event_id        Nullable(String),
    tenant          LowCardinality(Nullable(String)),
    input           String,
    input_bytes     UInt64,
    input_truncated Bool,
    line            Nullable(UInt64),
    inserted_at     DateTime64(3, 'UTC') DEFAULT now64(3),
    CONSTRAINT dead_letter_time_set CHECK at > toDateTime64('1971-01-01 00:00:00', 3, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (stage, reason_code, dead_letter_id)
TTL toDateTime(inserted_at) + toIntervalDay(30) -- ttl:dead_letters
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 1000;

-- Raw events, when a raw stream is sunk directly (archive before parsing).
CREATE TABLE IF NOT EXISTS sentinel.raw_events
(
    event_id     UUID,
    received_at  DateTime64(3, 'UTC'),
    ts           DateTime64(3, 'UTC') ALIAS received_at,
    tenant       String,
    source_name  String,
    transport    String,
    ingest_node  String,
    format       Nullable(String),
    payload      String,
    payload_type Enum8('string' = 1, 'json' = 2) DEFAULT 'string',
    ground_truth Tuple(scenario Nullable(String), role Nullable(String)),
    inserted_at  DateTime64(3, 'UTC') DEFAULT now64(3),
    CONSTRAINT raw_time_set CHECK received_at > toDateTime64('1971-01-01 00:00:00', 3, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY (tenant, source_name, received_at, event_id)
TTL toDateTime(inserted_at) + toIntervalDay(30) -- ttl:raw_events
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 1000,
    min_bytes_for_wide_part = 268435456;

-- Per-minute rollups for the dashboards. Counts are uniq() states over the
-- record ids (exact at these cardinalities), so a replayed batch that slips
-- past insert deduplication does not inflate them. Read with uniqMerge().
-- A minute is a DateTime, which ends at 2106-02-07 06:28:15: a later time (a
-- sender's broken clock, a year 9999) is counted at the last minute it can
-- hold, 2106-02-07 06:28, instead of wrapping round to a minute in 1970. So
-- the rollups still count every stored row, and such rows show apart, at the
-- far end of time, never among real minutes; the tables keep the exact time.
CREATE TABLE IF NOT EXISTS sentinel.events_per_minute
(
    minute     DateTime('UTC'),
    tenant     LowCardinality(String),
    category   LowCardinality(String),
    action     LowCardinality(String),
    outcome    LowCardinality(String),
    severity   Enum8('informational' = 1, 'low' = 2, 'medium' = 3, 'high' = 4, 'critical' = 5),
    events     AggregateFunction(uniq, UUID),
    sources    AggregateFunction(uniq, Nullable(IPv6)),
    bytes_max  SimpleAggregateFunction(max, UInt64),
    -- The latest insert of an aggregated row (the views leave it to the
    -- default); the retention counts from it.
    inserted_at SimpleAggregateFunction(max, DateTime('UTC')) DEFAULT now()
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant, minute, category, action, outcome, severity)
TTL inserted_at + toIntervalDay(30) -- ttl:events
;

CREATE MATERIALIZED VIEW IF NOT EXISTS sentinel.events_per_minute_mv
TO sentinel.events_per_minute AS
SELECT
    toStartOfMinute(least(ts, toDateTime64('2106-02-07 06:28:00', 3, 'UTC'))) AS minute,
    tenant,
    category,
    action,
    outcome,
    severity,
    uniqState(event_id) AS events,
    uniqState(source.ip) AS sources,
    max(ifNull(network.bytes, 0)) AS bytes_max
FROM sentinel.events
GROUP BY minute, tenant, category, action, outcome, severity;

CREATE TABLE IF NOT EXISTS sentinel.alerts_per_minute
(
    minute     DateTime('UTC'),
    tenant     LowCardinality(String),
    kind       LowCardinality(String),
    rule_id    LowCardinality(String),
    rule_title LowCardinality(String),
    severity   Enum8('informational' = 1, 'low' = 2, 'medium' = 3, 'high' = 4, 'critical' = 5),
    alerts     AggregateFunction(uniq, FixedString(32)),
    entities   AggregateFunction(uniq, String),
    -- The latest insert of an aggregated row (the views leave it to the
    -- default); the retention counts from it.
    inserted_at SimpleAggregateFunction(max, DateTime('UTC')) DEFAULT now()
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant, minute, kind, rule_id, severity, rule_title)
TTL inserted_at + toIntervalDay(90) -- ttl:alerts
;

CREATE MATERIALIZED VIEW IF NOT EXISTS sentinel.alerts_per_minute_mv
TO sentinel.alerts_per_minute AS
SELECT
    toStartOfMinute(least(ts, toDateTime64('2106-02-07 06:28:00', 3, 'UTC'))) AS minute,
    tenant,
    kind,
    rule.id AS rule_id,
    rule.title AS rule_title,
    severity,
    uniqState(alert_id) AS alerts,
    uniqState(entity.value) AS entities
FROM sentinel.alerts
GROUP BY minute, tenant, kind, rule_id, rule_title, severity;

CREATE TABLE IF NOT EXISTS sentinel.dead_letters_per_minute
(
    minute      DateTime('UTC'),
    stage       LowCardinality(String),
    reason_code LowCardinality(String),
    dead_letters AggregateFunction(uniq, FixedString(32)),
    -- The latest insert of an aggregated row (the views leave it to the
    -- default); the retention counts from it.
    inserted_at SimpleAggregateFunction(max, DateTime('UTC')) DEFAULT now()
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (minute, stage, reason_code)
TTL inserted_at + toIntervalDay(30) -- ttl:dead_letters
;

CREATE MATERIALIZED VIEW IF NOT EXISTS sentinel.dead_letters_per_minute_mv
TO sentinel.dead_letters_per_minute AS
SELECT
    toStartOfMinute(least(at, toDateTime64('2106-02-07 06:28:00', 3, 'UTC'))) AS minute,
    stage,
    reason_code,
    uniqState(dead_letter_id) AS dead_letters
FROM sentinel.dead_letters
GROUP BY minute, stage, reason_code;
