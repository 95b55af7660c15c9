/**
 * Small, schema-valid records of every type the sink stores, covering the
 * shapes that are easy to get wrong in a table: string vs JSON-object
 * payloads, IPv4 vs IPv6, deep entities, Maps, optional alert fields.
 */
import type {
  Alert,
  DeadLetter,
  EnrichedEvent,
  RawEvent,
} from "../../stages/shared/contracts/mod.ts";
import type { ChdbStore, PendingRow } from "../../stages/sink/mod.ts";
import { readbackSql } from "../../stages/sink/readback.ts";
import type { AnyRecord } from "../../stages/shared/records.ts";

const base = {
  record: "enriched_event",
  received_at: "2026-11-24T10:00:00.500Z",
  tenant: "default",
  transport: "generator",
  ingest_node: "gen-1",
  ts_source: "event",
} as const;

/** An sshd failure (syslog line payload, public IPv4). */
export const sshFailure: EnrichedEvent = {
  ...base,
  event_id: "0b6c1d1e-1111-4222-8333-444455556601",
  source_name: "sshd",
  format: "rfc3164",
  ts: "2026-11-24T10:00:00.123Z",
  category: "auth",
  action: "ssh_login",
  outcome: "failure",
  severity: "low",
  host: { name: "web-01" },
  user: { name: "admin" },
  source: {
    ip: "203.0.113.9",
    port: 52311,
    ip_class: "public",
    geo: { country_iso_code: "NL", location: { lat: 52.37, lon: 4.89 } },
  },
  network: { protocol: "ssh", transport: "tcp" },
  fields: { pid: "1234", "sshd.method": "password" },
  payload:
    "Nov 24 10:00:00 web-01 sshd[1234]: Failed password for invalid user admin from 203.0.113.9 port 52311 ssh2",
  ground_truth: { scenario: "brute_force_ssh", role: "attempt" },
};

/** A firewall flow from an ECS JSON payload, IPv6 endpoints, byte counts. */
export const flowV6: EnrichedEvent = {
  ...base,
  event_id: "0b6c1d1e-1111-4222-8333-444455556602",
  source_name: "fw-edge-01",
  format: "json",
  ts: "2026-11-24T10:00:01.007Z",
  category: "network",
  action: "connection",
  outcome: "success",
  severity: "informational",
  source: {
    ip: "2001:db8::17",
    port: 40000,
    bytes: 5_000_000_000,
    packets: 12,
    ip_class: "reserved",
  },
  destination: {
    ip: "2001:db8:ffff::1",
    port: 443,
    bytes: 1200,
    ip_class: "reserved",
  },
  network: { transport: "tcp", direction: "outbound", bytes: 5_000_001_200 },
  enrichment: { "source.asset.owner": "alice" },
  fields: {},
  payload: {
    "@timestamp": "2026-11-24T10:00:01.007Z",
    event: { category: "network", action: "connection" },
    note: 'ünïcödé "quoted"\nnewline',
  },
};

/** A sudo shell with process, user target and hashes. */
export const sudoShell: EnrichedEvent = {
  ...base,
  event_id: "0b6c1d1e-1111-4222-8333-444455556603",
  source_name: "sudo",
  format: "rfc3164",
  ts: "2026-11-24T10:00:02.000Z",
  category: "auth",
  action: "sudo",
  outcome: "success",
  severity: "medium",
  host: { name: "web-01", ip: "10.0.0.5" },
  user: { name: "alice", target: { name: "root" } },
  process: {
    name: "bash",
    pid: 4242,
    command_line: "/bin/bash",
    hash: { sha256: "a".repeat(64) },
    parent: { name: "sudo", pid: 4241 },
  },
  file: { path: "/bin/bash", name: "bash" },
  fields: { tty: "pts/0", pwd: "/home/alice" },
  payload:
    "sudo: alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash",
};

/** DNS and web events. */
export const dnsQuery: EnrichedEvent = {
  ...base,
  event_id: "0b6c1d1e-1111-4222-8333-444455556604",
  source_name: "dns-resolver",
  format: "kv",
  ts: "2026-11-24T10:00:03.000Z",
  category: "dns",
  action: "dns_query",
  outcome: "failure",
  severity: "informational",
  source: { ip: "10.0.0.7", ip_class: "private" },
  dns: {
    question: { name: "x.example.org", type: "TXT" },
    response_code: "NXDOMAIN",
    answers: ["1.2.3.4"],
  },
  fields: {},
  payload: "query=x.example.org type=TXT rcode=NXDOMAIN",
};

export const webRequest: EnrichedEvent = {
  ...base,
  event_id: "0b6c1d1e-1111-4222-8333-444455556605",
  source_name: "web-01",
  format: "apache_access",
  ts: "2026-11-24T10:00:04.000Z",
  category: "web",
  action: "http_request",
  outcome: "failure",
  severity: "low",
  source: { ip: "198.51.100.4" },
  url: { original: "/login?u=a", path: "/login", query: "u=a" },
  http: {
    request: { method: "POST" },
    response: { status_code: 401, bytes: 12 },
    user_agent: "curl/8",
  },
  fields: { ident: "-" },
  payload:
    '198.51.100.4 - - [24/Nov/2026:10:00:04 +0000] "POST /login?u=a HTTP/1.1" 401 12 "-" "curl/8"',
};

/** A correlation alert with a window. */
export const bruteForceAlert: Alert = {
  record: "alert",
  alert_id: "0123456789abcdef0123456789abcdef",
  kind: "correlation",
  tenant: "default",
  rule: {
    id: "c1d5d1c4-0000-4000-8000-000000000001",
    title: "SSH brute force attempts",
    level: "high",
    tags: ["attack.credential_access", "attack.t1110"],
    source: "sigma/ssh_brute_force.yml",
  },
  severity: "high",
  mitre: { tactics: ["credential_access"], techniques: ["T1110"] },
  ts: "2026-11-24T10:00:00.123Z",
  detected_at: "2026-11-24T10:00:01.000Z",
  entity: { type: "source.ip", value: "203.0.113.9" },
  group: { "source.ip": "203.0.113.9" },
  evidence: { event_ids: [sshFailure.event_id], count: 12 },
  window: {
    start: "2026-11-24T09:59:00.000Z",
    end: "2026-11-24T10:00:00.123Z",
  },
  message: "12 failed SSH logins from 203.0.113.9 within 1 minute",
};

/** An anomaly alert with a score and contributions. */
export const anomalyAlert: Alert = {
  record: "alert",
  alert_id: "fedcba9876543210fedcba9876543210",
  kind: "anomaly",
  tenant: "default",
  rule: {
    id: "anomaly.iforest",
    title: "Anomalous entity behaviour",
    level: "medium",
    tags: [],
    description: "Isolation Forest score above threshold",
  },
  severity: "medium",
  mitre: { tactics: [], techniques: [] },
  ts: "2026-11-24T10:00:01.007Z",
  detected_at: "2026-11-24T10:00:02.000Z",
  entity: { type: "source.ip", value: "2001:db8::17" },
  group: {},
  evidence: { event_ids: [flowV6.event_id], count: 1 },
  message: "unusual outbound volume",
  score: 0.81,
  threshold: 0.7,
  model_version: "iforest-1",
  contributions: [{
    feature: "bytes_out",
    value: 5e9,
    weight: 0.6,
    explanation: "far above baseline",
  }, { feature: "ports", value: 1, weight: 0.1 }],
};

/** A dead letter from upstream. */
export const parserDeadLetter: DeadLetter = {
  record: "dead_letter",
  dead_letter_id: "00000000000000000000000000000abc",
  stage: "parser",
  reason_code: "unparseable",
  reason: "line 3: no known format matched",
  at: "2026-11-24T10:00:05.000Z",
  event_id: "0b6c1d1e-1111-4222-8333-444455556699",
  tenant: "default",
  input: "%%garbage%%",
  input_bytes: 11,
  input_truncated: false,
  line: 3,
};

export const EVENTS = [sshFailure, flowV6, sudoShell, dnsQuery, webRequest];
export const ALERTS = [bruteForceAlert, anomalyAlert];
export const DEAD_LETTERS = [parserDeadLetter];

/** NDJSON text of records. */
export function ndjson(records: readonly unknown[]): string {
  return records.map((r) => JSON.stringify(r)).join("\n") + "\n";
}

/** Raw events for the encoder tests: a line payload, and a JSON one with ground truth. */
export const RAW_EVENTS: RawEvent[] = [
  {
    record: "raw_event",
    event_id: "0b6c1d1e-2222-4333-8444-000000000003",
    received_at: "2026-11-24T10:00:00.001Z",
    tenant: "default",
    source_name: "sshd",
    transport: "generator",
    ingest_node: "gen-1",
    payload: "Nov 24 10:00:00 web-01 sshd[1]: hello",
  },
  {
    record: "raw_event",
    event_id: "0b6c1d1e-2222-4333-8444-000000000004",
    received_at: "2026-11-24T10:00:00.002Z",
    tenant: "default",
    source_name: "fw",
    transport: "generator",
    ingest_node: "gen-1",
    format: "ecs",
    payload: { "@timestamp": "2026-11-24T10:00:00.002Z", msg: "ö" },
    ground_truth: { scenario: "x", role: "benign" },
  },
];

/** Records as the sink's writer hands them to `store.insert`. */
export const pendingRows = (records: readonly AnyRecord[]): PendingRow[] =>
  records.map((record) => ({ record, line: JSON.stringify(record) }));

/** Every row of a table as JSON objects, in event-id order, deduplicated as a reader sees them. */
export async function storedRows(
  store: ChdbStore,
  table: "events" | "raw_events",
): Promise<Record<string, unknown>[]> {
  const sql = readbackSql(table);
  const text = await store.query(
    `SELECT * EXCEPT (inserted_at) FROM sentinel.${table} ORDER BY event_id ${
      sql.slice(sql.indexOf("SETTINGS"))
    }`,
    "JSONEachRow",
  );
  return text.split("\n").filter((l) => l).map((l) => JSON.parse(l));
}
