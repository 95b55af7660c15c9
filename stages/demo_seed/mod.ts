/**
 * Demo data: realistic enriched events and alerts spread over the last few
 * hours, in the vocabulary the parser and detector produce
 * (`/work/brief/SCENARIOS.md`), so dashboards have something to show without
 * running the pipe. Deterministic for a given seed and end time.
 *
 * @module
 */
import { mulberry32 } from "../shared/random.ts";
import type { Alert, EnrichedEvent } from "../shared/contracts/mod.ts";
import { stableId, uuidFromRandom } from "../shared/ids.ts";

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

interface RuleDef {
  id: string;
  title: string;
  level: Alert["severity"];
  kind: Alert["kind"];
  tags: string[];
  entity: string;
}

/** The rules alerts are seeded for (titles as in the project's Sigma pack). */
export const SEED_RULES: RuleDef[] = [
  {
    id: "sentinel-ssh-brute-force",
    title: "SSH brute force attempts",
    level: "high",
    kind: "correlation",
    tags: ["attack.credential_access", "attack.t1110.001"],
    entity: "source.ip",
  },
  {
    id: "sentinel-ssh-brute-force-success",
    title: "SSH brute force followed by successful login",
    level: "critical",
    kind: "correlation",
    tags: [
      "attack.credential_access",
      "attack.initial_access",
      "attack.t1110",
      "attack.t1078",
    ],
    entity: "source.ip",
  },
  {
    id: "sentinel-port-scan",
    title: "Port scan from a single source",
    level: "medium",
    kind: "correlation",
    tags: ["attack.discovery", "attack.t1046"],
    entity: "source.ip",
  },
  {
    id: "sentinel-password-spray",
    title: "Password spray against many accounts",
    level: "high",
    kind: "correlation",
    tags: ["attack.credential_access", "attack.t1110.003"],
    entity: "source.ip",
  },
  {
    id: "sentinel-dns-tunneling",
    title: "DNS tunneling via long subdomains",
    level: "high",
    kind: "correlation",
    tags: ["attack.command_and_control", "attack.t1071.004"],
    entity: "source.ip",
  },
  {
    id: "sentinel-sudo-shell",
    title: "Sudo to root with an interactive shell",
    level: "high",
    kind: "sigma",
    tags: ["attack.privilege_escalation", "attack.t1548.003"],
    entity: "user.name",
  },
  {
    id: "sentinel-new-local-user",
    title: "New local user created",
    level: "medium",
    kind: "sigma",
    tags: ["attack.persistence", "attack.t1136.001"],
    entity: "user.target.name",
  },
  {
    id: "sentinel-lateral-admin-ports",
    title: "Lateral movement on admin ports",
    level: "high",
    kind: "correlation",
    tags: ["attack.lateral_movement", "attack.t1021"],
    entity: "source.ip",
  },
  {
    id: "anomaly.iforest",
    title: "Anomalous entity behaviour",
    level: "medium",
    kind: "anomaly",
    tags: [],
    entity: "source.ip",
  },
];

function mitre(tags: string[]): Alert["mitre"] {
  const tactics: string[] = [];
  const techniques: string[] = [];
  for (const t of tags) {
    const v = t.slice("attack.".length);
    if (/^t\d{4}(\.\d{3})?$/.test(v)) techniques.push(v.toUpperCase());
    else if (t.startsWith("attack.")) tactics.push(v);
  }
  return { tactics, techniques };
}

function event(r: Rng, tenant: string, tsMs: number): EnrichedEvent {
  const base = {
    record: "enriched_event" as const,
    event_id: uuidFromRandom(r.u32),
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

/** Builds `events` enriched events and `alerts` alerts over the last `hours`. */
export function seedRecords(
  opts: SeedOptions = {},
): { events: EnrichedEvent[]; alerts: Alert[] } {
  const r = rng(opts.seed ?? 1);
  const tenant = opts.tenant ?? "default";
  const end = opts.endMs ?? Date.now();
  const span = (opts.hours ?? 3) * 3_600_000;
  const nEvents = opts.events ?? 600;
  const events: EnrichedEvent[] = [];
  for (let i = 0; i < nEvents; i++) {
    events.push(event(r, tenant, end - span + Math.floor(r.float() * span)));
  }
  events.sort((a, b) => a.ts.localeCompare(b.ts));
  const alerts: Alert[] = [];
  const nAlerts = opts.alerts ?? 200;
  for (let i = 0; i < nAlerts; i++) {
    // Attack rules more often than the anomaly model.
    const rule = SEED_RULES[r.u32() % SEED_RULES.length];
    const evidence = events.length ? [events[r.u32() % events.length]] : [];
    const tsMs = evidence.length
      ? Date.parse(evidence[0].ts)
      : end - Math.floor(r.float() * span);
    const startMs = tsMs - r.int(10, 300) * 1000;
    const value = rule.entity === "source.ip"
      ? (rule.id === "sentinel-lateral-admin-ports" ||
          rule.id === "sentinel-dns-tunneling"
        ? privateIp(r)
        : r.pick(ATTACKERS)[0])
      : rule.entity === "user.target.name"
      ? r.pick(["svc-backup", "tmpadmin", "support"])
      : r.pick(USERS);
    const count = rule.kind === "correlation" ? r.int(10, 60) : 1;
    const a: Alert = {
      record: "alert",
      alert_id: stableId(rule.id, tenant, value, startMs),
      kind: rule.kind,
      tenant,
      rule: {
        id: rule.id,
        title: rule.title,
        level: rule.level,
        tags: rule.tags,
        source: rule.kind === "anomaly"
          ? "models/iforest.json"
          : `sigma/${rule.id}.yml`,
      },
      severity: rule.level,
      mitre: mitre(rule.tags),
      ts: iso(tsMs),
      detected_at: iso(tsMs + r.int(50, 2000)),
      entity: { type: rule.entity, value },
      group: rule.kind === "correlation" ? { [rule.entity]: value } : {},
      evidence: { event_ids: evidence.map((e) => e.event_id), count },
      message: `${rule.title}: ${rule.entity} ${value}${
        count > 1 ? ` (${count} events)` : ""
      }`,
    };
    if (rule.kind === "correlation") {
      a.window = { start: iso(startMs), end: iso(tsMs) };
    }
    if (rule.kind === "anomaly") {
      a.score = Math.round((0.7 + r.float() * 0.3) * 1000) / 1000;
      a.threshold = 0.7;
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
