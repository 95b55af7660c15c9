/**
 * Demo data: realistic enriched events and alerts spread over the last few
 * hours, in the vocabulary the parser and detector produce
 * (`/work/brief/SCENARIOS.md`), so dashboards have something to show without
 * running the pipe. Deterministic for a given seed, tenant and end time (event ids included).
 *
 * @module
 */
import { mulberry32 } from "../shared/random.ts";
import type { Alert, EnrichedEvent } from "../shared/contracts/mod.ts";
import { stableId, uuidFromRandom } from "../shared/ids.ts";
import { mitreFromTags } from "../detector/sigma/alert.ts";
import {
  ANOMALY_RULE_ID,
  ANOMALY_RULE_TITLE,
  anomalySeverity,
} from "../detector/anomaly/detector.ts";

/** Options of {@link seedRecords}. */
export interface SeedOptions {
  /** @default 600 */
  events?: number;
  /** @default 200 */
  alerts?: number;
  /** @default 3 */
  hours?: number;
  /** @default 1 */
  seed?: number;
  /** End of the time span (ms). @default now */
  endMs?: number;
  /** @default "default" */
  tenant?: string;
}

/** Seeded helpers over the shared generator. */
function rng(seed: number) {
  const next = mulberry32(seed);
  return {
    u32: next,
    float: () => next() / 4294967296,
    int: (lo: number, hi: number) => lo + (next() % (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[next() % xs.length],
  };
}
type Rng = ReturnType<typeof rng>;

const HOSTS = ["web-01", "web-02", "db-01", "bastion-01", "fw-edge-01"];
const USERS = ["alice", "bob", "carol", "deploy", "backup"];
const ATTACKERS = [["203.0.113.9", "NL"], ["198.51.100.23", "RU"], [
  "192.0.2.77",
  "CN",
], ["203.0.113.150", "BR"]] as const;
const DOMAINS = [
  "example.com",
  "updates.example.net",
  "cdn.example.org",
  "mail.example.com",
];

const iso = (ms: number) => new Date(ms).toISOString();
const privateIp = (r: Rng) =>
  r.float() < 0.7
    ? `10.0.${r.int(0, 3)}.${r.int(2, 250)}`
    : `192.168.1.${r.int(2, 250)}`;

/** A rule alerts are seeded for, as the detector reports it. */
export interface SeedRule {
  /** Rule id, title, level and tags exactly as the pack (or the anomaly detector) has them. */
  id: string;
  title: string;
  level: Alert["severity"];
  kind: Alert["kind"];
  tags: string[];
  /**
   * A correlation's `group-by` (its first field is the alert's entity); for
   * a single-event rule or the anomaly model, the one entity field.
   */
  groupBy: string[];
  /** The rule's file inside the pack (`rule.source` is `./sigma/<file>`). */
  file?: string;
}

/**
 * The rules alerts are seeded for: ids, titles, levels and tags as the
 * project's pack (`sigma/`) and the anomaly detector report them, so a store
 * shared with the live pipe shows each rule once (a test loads the pack
 * with the detector's own loader and compares).
 */
export const SEED_RULES: SeedRule[] = [
  {
    id: "9aacbf0a-dbd9-4cdc-bc6b-a01692468a65",
    title: "SSH Brute Force Attempts",
    level: "high",
    kind: "correlation",
    tags: ["attack.credential-access", "attack.t1110.001"],
    groupBy: ["source.ip", "user.name"],
    file: "auth/ssh_brute_force.yml",
  },
  {
    id: "f18f82ba-b0d3-46bd-902a-3d239c7c1087",
    title: "SSH Brute Force Followed By Successful Login",
    level: "critical",
    kind: "correlation",
    tags: [
      "attack.credential-access",
      "attack.initial-access",
      "attack.t1110.001",
      "attack.t1078",
    ],
    groupBy: ["source.ip"],
    file: "auth/ssh_brute_force.yml",
  },
  {
    id: "9da380b9-6c08-48a5-ad48-da9af3c5801c",
    title: "Port Scan",
    level: "medium",
    kind: "correlation",
    tags: ["attack.discovery", "attack.t1046"],
    groupBy: ["source.ip"],
    file: "network/port_scan.yml",
  },
  {
    id: "fce9d011-c03d-4c13-96c1-5f741cee6f84",
    title: "Password Spraying",
    level: "high",
    kind: "correlation",
    tags: ["attack.credential-access", "attack.t1110.003"],
    groupBy: ["source.ip"],
    file: "auth/password_spray.yml",
  },
  {
    id: "1fde50db-6cc2-4d3f-a45a-b52e8485183f",
    title: "DNS Tunnelling Volume",
    level: "high",
    kind: "correlation",
    tags: [
      "attack.exfiltration",
      "attack.command-and-control",
      "attack.t1071.004",
      "attack.t1048.003",
    ],
    groupBy: ["source.ip"],
    file: "dns/dns_rules.yml",
  },
  {
    id: "b4e1a18c-2244-4187-b243-7db1accde002",
    title: "Sudo Root Shell",
    level: "high",
    kind: "sigma",
    tags: ["attack.privilege-escalation", "attack.t1548.003"],
    groupBy: ["user.name"],
    file: "auth/sudo_su_root.yml",
  },
  {
    id: "1a54bc09-4a54-4d8a-9579-8734aa8878c9",
    title: "New Local User Created",
    level: "medium",
    kind: "sigma",
    tags: ["attack.persistence", "attack.t1136.001"],
    groupBy: ["user.target.name"],
    file: "auth/local_accounts.yml",
  },
  {
    id: "a3591577-d213-49e9-a16b-e39dcd352d23",
    title: "Lateral Movement Over Admin Protocols",
    level: "high",
    kind: "correlation",
    tags: ["attack.lateral-movement", "attack.t1021"],
    groupBy: ["source.ip"],
    file: "network/lateral_movement.yml",
  },
  {
    // Its alerts are medium or high by score, as the detector decides
    // (anomalySeverity).
    id: ANOMALY_RULE_ID,
    title: ANOMALY_RULE_TITLE,
    level: "medium",
    kind: "anomaly",
    tags: [],
    groupBy: ["source.ip"],
  },
];

const LATERAL_MOVEMENT = "a3591577-d213-49e9-a16b-e39dcd352d23";
const DNS_TUNNELLING = "1fde50db-6cc2-4d3f-a45a-b52e8485183f";

function event(
  r: Rng,
  eventId: string,
  tenant: string,
  tsMs: number,
): EnrichedEvent {
  const base = {
    record: "enriched_event" as const,
    event_id: eventId,
    received_at: iso(tsMs + r.int(5, 400)),
    tenant,
    transport: "generator" as const,
    ingest_node: "demo-seed",
    ts: iso(tsMs),
    ts_source: "event" as const,
    fields: {} as Record<string, string>,
  };
  const host = r.pick(HOSTS);
  const kind = r.float();
  if (kind < 0.3) {
    const attack = r.float() < 0.4;
    const [ip, cc] = attack ? r.pick(ATTACKERS) : [privateIp(r), undefined];
    const ok = attack ? r.float() < 0.05 : r.float() < 0.9;
    const user = attack
      ? r.pick(["admin", "root", "oracle", "test"])
      : r.pick(USERS);
    const port = r.int(30000, 65000);
    const pid = r.int(1000, 40000);
    return {
      ...base,
      source_name: "sshd",
      format: "rfc3164",
      category: "auth",
      action: "ssh_login",
      outcome: ok ? "success" : "failure",
      severity: ok ? "informational" : "low",
      host: { name: host },
      user: { name: user },
      source: {
        ip,
        port,
        ip_class: attack ? "public" : "private",
        ...(cc ? { geo: { country_iso_code: cc } } : {}),
      },
      network: { protocol: "ssh", transport: "tcp" },
      fields: { pid: String(pid), method: "password" },
      payload: `${new Date(tsMs).toUTCString().slice(8, 11)} ${
        new Date(tsMs).getUTCDate()
      } ${iso(tsMs).slice(11, 19)} ${host} sshd[${pid}]: ${
        ok ? "Accepted" : "Failed"
      } password for ${user} from ${ip} port ${port} ssh2`,
    };
  }
  if (kind < 0.65) {
    const scan = r.float() < 0.2;
    const src = scan ? r.pick(ATTACKERS)[0] : privateIp(r);
    const dport = scan ? r.int(1, 1024) : r.pick([443, 80, 53, 22, 5432]);
    const allowed = !scan && r.float() < 0.95;
    const bytes = r.int(200, 200_000);
    return {
      ...base,
      source_name: "fw-edge-01",
      format: "json",
      category: "network",
      action: "connection",
      outcome: allowed ? "success" : "failure",
      severity: allowed ? "informational" : "low",
      host: { name: "fw-edge-01" },
      source: {
        ip: src,
        port: r.int(30000, 65000),
        bytes,
        ip_class: scan ? "public" : "private",
      },
      destination: {
        ip: `10.0.0.${r.int(2, 40)}`,
        port: dport,
        bytes: r.int(100, 50_000),
        ip_class: "private",
      },
      network: {
        transport: "tcp",
        bytes,
        direction: scan ? "inbound" : "outbound",
      },
      payload: {
        "@timestamp": iso(tsMs),
        event: {
          category: "network",
          action: "connection",
          outcome: allowed ? "success" : "failure",
        },
        source: { ip: src },
        destination: { port: dport },
      },
    };
  }
  if (kind < 0.85) {
    const name = r.float() < 0.1
      ? `${stableId(r.u32()).slice(0, 28)}${
        stableId(r.u32()).slice(0, 20)
      }.t.example.net`
      : r.pick(DOMAINS);
    const nx = r.float() < 0.08;
    return {
      ...base,
      source_name: "dns-resolver",
      format: "kv",
      category: "dns",
      action: "dns_query",
      outcome: nx ? "failure" : "success",
      severity: "informational",
      source: { ip: privateIp(r), ip_class: "private" },
      dns: {
        question: { name, type: name.length > 40 ? "TXT" : "A" },
        response_code: nx ? "NXDOMAIN" : "NOERROR",
      },
      payload: `query=${name} rcode=${nx ? "NXDOMAIN" : "NOERROR"}`,
    };
  }
  if (kind < 0.95) {
    const status = r.pick([200, 200, 200, 304, 404, 401, 500]);
    const path = r.pick(["/", "/login", "/api/v1/items", "/static/app.js"]);
    const ip = r.float() < 0.3 ? r.pick(ATTACKERS)[0] : privateIp(r);
    const method = path === "/login" ? "POST" : "GET";
    return {
      ...base,
      source_name: "web-01",
      format: "apache_access",
      category: "web",
      action: "http_request",
      outcome: status < 400 ? "success" : "failure",
      severity: status >= 500 ? "medium" : "informational",
      host: { name: "web-01" },
      source: { ip },
      url: { original: path, path },
      http: {
        request: { method },
        response: { status_code: status, bytes: r.int(100, 9000) },
      },
      payload: `${ip} - - [${
        iso(tsMs)
      }] "${method} ${path} HTTP/1.1" ${status} 512 "-" "Mozilla/5.0"`,
    };
  }
  const user = r.pick(USERS);
  return {
    ...base,
    source_name: "sudo",
    format: "rfc3164",
    category: "auth",
    action: "sudo",
    outcome: "success",
    severity: "medium",
    host: { name: host },
    user: { name: user, target: { name: "root" } },
    process: { name: "sudo", command_line: "/usr/bin/systemctl restart nginx" },
    fields: { tty: "pts/0" },
    payload:
      `sudo: ${user} : TTY=pts/0 ; PWD=/home/${user} ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx`,
  };
}

/**
 * The `i`th seeded event's id: a UUID from the seed, the tenant and the end
 * time, so the same seeding repeated collapses in the store while a second
 * tenant or a later run adds events instead of replacing the first ones.
 */
function seedEventId(
  seed: number,
  tenant: string,
  endMs: number,
  i: number,
): string {
  const h = stableId("demo-seed event", seed, tenant, endMs, i);
  let k = 0;
  return uuidFromRandom(() => parseInt(h.slice(8 * k, 8 * ++k), 16));
}

/** A value of `field` for an alert of `rule`. */
function groupValue(r: Rng, rule: SeedRule, field: string): string {
  switch (field) {
    case "source.ip":
      // Lateral movement and DNS tunnelling come from inside.
      return rule.id === LATERAL_MOVEMENT || rule.id === DNS_TUNNELLING
        ? privateIp(r)
        : r.pick(ATTACKERS)[0];
    case "user.target.name":
      return r.pick(["svc-backup", "tmpadmin", "support"]);
    default:
      // user.name: the accounts an attacker guesses, or the operators.
      return rule.kind === "correlation"
        ? r.pick(["admin", "root", "oracle", "test"])
        : r.pick(USERS);
  }
}

/** Builds `events` enriched events and `alerts` alerts over the last `hours`. */
export function seedRecords(
  opts: SeedOptions = {},
): { events: EnrichedEvent[]; alerts: Alert[] } {
  const seed = opts.seed ?? 1;
  const r = rng(seed);
  const tenant = opts.tenant ?? "default";
  const end = opts.endMs ?? Date.now();
  const span = (opts.hours ?? 3) * 3_600_000;
  const nEvents = opts.events ?? 600;
  const events: EnrichedEvent[] = [];
  for (let i = 0; i < nEvents; i++) {
    const tsMs = end - span + Math.floor(r.float() * span);
    events.push(event(r, seedEventId(seed, tenant, end, i), tenant, tsMs));
  }
  events.sort((a, b) => a.ts.localeCompare(b.ts));
  const alerts: Alert[] = [];
  const nAlerts = opts.alerts ?? 200;
  for (let i = 0; i < nAlerts; i++) {
    const rule = SEED_RULES[r.u32() % SEED_RULES.length];
    const evidence = events.length ? [events[r.u32() % events.length]] : [];
    const tsMs = evidence.length
      ? Date.parse(evidence[0].ts)
      : end - Math.floor(r.float() * span);
    const startMs = rule.kind === "sigma" ? tsMs : tsMs - r.int(10, 300) * 1000;
    // The group's values, entity first (as the detector reports them).
    const group: Record<string, string> = {};
    for (const field of rule.groupBy) group[field] = groupValue(r, rule, field);
    const entity = { type: rule.groupBy[0], value: group[rule.groupBy[0]] };
    const groupText = rule.groupBy.map((f) => `${f}=${group[f]}`).join(", ");
    const count = rule.kind === "correlation" ? r.int(10, 60) : 1;
    const host = evidence[0]?.host?.name;
    const a: Alert = {
      record: "alert",
      alert_id: stableId(
        rule.id,
        tenant,
        ...rule.groupBy.map((f) => group[f]),
        startMs,
      ),
      kind: rule.kind,
      tenant,
      rule: {
        id: rule.id,
        title: rule.title,
        level: rule.level,
        tags: rule.tags,
        source: rule.file ? `./sigma/${rule.file}` : "warm-up",
      },
      severity: rule.level,
      mitre: mitreFromTags(rule.tags),
      ts: iso(tsMs),
      detected_at: iso(tsMs + r.int(50, 2000)),
      entity,
      group: rule.kind === "sigma" ? {} : group,
      evidence: { event_ids: evidence.map((e) => e.event_id), count },
      window: { start: iso(startMs), end: iso(tsMs) },
      message: rule.kind === "correlation"
        ? `${rule.title}: ${count} events within ${
          Math.ceil((tsMs - startMs) / 60_000)
        }m for ${groupText}`
        : rule.kind === "sigma"
        ? `${rule.title} (${entity.type} ${entity.value}${
          host ? ` on ${host}` : ""
        })`
        : `${entity.type} ${entity.value}: outbound bytes far above the training baseline`,
    };
    if (rule.kind === "anomaly") {
      const score = Math.round((0.7 + r.float() * 0.3) * 1000) / 1000;
      a.score = score;
      a.threshold = 0.7;
      a.rule.level = a.severity = anomalySeverity(score, a.threshold);
      a.model_version = "iforest-demo-1";
      a.contributions = [{
        feature: "bytes_out_5m",
        value: r.int(1e6, 1e9),
        weight: 0.6,
        explanation: "far above the entity's baseline",
      }];
    }
    alerts.push(a);
  }
  return { events, alerts };
}
