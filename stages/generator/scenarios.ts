/**
 * Attack scenarios the generator injects (`--inject NAME[:key=value,...]`),
 * each exactly as /work/brief/SCENARIOS.md describes. A scenario is planned
 * up front as events at offsets from its start in natural timing; the
 * generator compresses the plan to fit a short run and labels each event
 * with `ground_truth: {scenario, role}` — the label never enters a payload.
 */
import { SeededRandom } from "./prng.ts";
import type { EventFacts } from "./render.ts";
import {
  addressIn,
  ATTACKER_RANGES,
  COUNTRY_PREFIXES,
  DROP_RANGES,
  hostIn,
  type PublicAddress,
  type TenantProfile,
} from "./entities.ts";

/** The names of every scenario, in the order of SCENARIOS.md. */
export const SCENARIO_NAMES = [
  "brute_force_ssh",
  "port_scan",
  "password_spray",
  "dns_tunneling",
  "data_exfiltration",
  "privilege_escalation",
  "lateral_movement",
  "impossible_travel",
] as const;

/** A scenario name. */
export type ScenarioName = typeof SCENARIO_NAMES[number];

/** A parsed `--inject` value. */
export interface InjectSpec {
  name: ScenarioName;
  /** Raw key/values after validation. */
  params: Record<string, string>;
}

/** A bad `--inject` value (the CLI turns it into exit code 2). */
export class InjectError extends Error {
  override name = "InjectError";
}

/** One planned event of a scenario. */
export interface PlannedEvent {
  /** Milliseconds after the scenario's start, in natural timing. */
  offsetMs: number;
  role: string;
  facts: EventFacts;
}

/** What a scenario needs to plan itself. */
export interface ScenarioContext {
  rng: SeededRandom;
  tenant: TenantProfile;
  params: Record<string, string>;
}

/** A scenario definition. */
export interface ScenarioDefinition {
  name: ScenarioName;
  summary: string;
  /** Natural duration of the attack, in seconds. */
  naturalSpanS: number;
  /** Scenario-specific keys accepted after the common ones. */
  keys: Record<string, string>;
  plan(ctx: ScenarioContext): PlannedEvent[];
}

/** Keys every scenario accepts. */
export const COMMON_KEYS: Record<string, string> = {
  at: "seconds into the run when the attack starts",
  span:
    "seconds the attack lasts (default: natural, compressed to fit the run)",
  tenant: "tenant attacked (default: the first)",
  count: "size of the attack (attempts, ports, users, queries, flows, targets)",
  source: "attacking IPv4 address",
  user: "user name involved",
};

const IPV4 =
  /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const DOMAIN = /^([a-z0-9-]{1,63}\.)+[a-z]{2,24}$/;

function num(ctx: ScenarioContext, key: string, dflt: number): number {
  const v = ctx.params[key];
  return v === undefined ? dflt : Number(v);
}

function port(rng: SeededRandom): number {
  return rng.range(32768, 60999);
}

function pid(rng: SeededRandom): number {
  return rng.range(1200, 64000);
}

function attackerAddress(rng: SeededRandom): PublicAddress {
  const r = rng.pick(ATTACKER_RANGES);
  return { ip: hostIn(r.ip, rng), country: r.country };
}

/** Spreads `n` events over `spanMs` with a little jitter, in order. */
function spread(rng: SeededRandom, n: number, spanMs: number): number[] {
  const out: number[] = [];
  const step = n > 1 ? spanMs / (n - 1) : 0;
  for (let i = 0; i < n; i++) {
    const jitter = i === 0 || i === n - 1
      ? 0
      : (rng.float() - 0.5) * step * 0.6;
    out.push(Math.max(0, Math.round(i * step + jitter)));
  }
  return out;
}

const INVALID_USERS = ["admin", "test", "oracle", "ubuntu", "guest", "ftpuser"];

const SCAN_PORTS = [
  21,
  22,
  23,
  25,
  53,
  80,
  110,
  111,
  135,
  139,
  143,
  443,
  445,
  993,
  995,
  1433,
  1521,
  1723,
  2049,
  3306,
  3389,
  5432,
  5900,
  5985,
  6379,
  8000,
  8080,
  8443,
  9000,
  9200,
  11211,
  27017,
];

const SPRAY_EXTRA_USERS = [
  "admin",
  "administrator",
  "test",
  "support",
  "helpdesk",
  "info",
  "sales",
  "hr",
];

const TUNNEL_DOMAINS = [
  "cdn-telemetry-sync.net",
  "update-check-svc.com",
  "stats-collector.org",
];

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

const ADMIN_PORTS = [22, 445, 3389, 5985];

const FOREIGN_COUNTRIES = ["RU", "CN", "BR", "NG", "VN"];

/** Every scenario, by name. */
export const SCENARIOS: Record<ScenarioName, ScenarioDefinition> = {
  brute_force_ssh: {
    name: "brute_force_ssh",
    summary:
      "≥ 12 failed SSH logins from one public address (mostly one user) within ~1 min, then one accepted login",
    naturalSpanS: 60,
    keys: { host: "server attacked (default bastion-01)" },
    plan(ctx) {
      const { rng, tenant } = ctx;
      const n = num(ctx, "count", 14);
      const ip = ctx.params.source ?? attackerAddress(rng).ip;
      const user = ctx.params.user ?? rng.pick(tenant.admins).name;
      const host = ctx.params.host ?? "bastion-01";
      const times = spread(rng, n + 1, 60_000);
      const out: PlannedEvent[] = [];
      for (let i = 0; i < n; i++) {
        const other = i % 5 === 3;
        out.push({
          offsetMs: times[i],
          role: "guess",
          facts: {
            kind: "ssh_login",
            format: "syslog",
            outcome: "failure",
            host,
            sourceIp: ip,
            sourcePort: port(rng),
            user: other ? rng.pick(INVALID_USERS) : user,
            invalidUser: other,
            sshMethod: "password",
            pid: pid(rng),
          },
        });
      }
      out.push({
        offsetMs: times[n],
        role: "breach",
        facts: {
          kind: "ssh_login",
          format: "syslog",
          outcome: "success",
          host,
          sourceIp: ip,
          sourcePort: port(rng),
          user,
          sshMethod: "password",
          pid: pid(rng),
        },
      });
      return out;
    },
  },

  port_scan: {
    name: "port_scan",
    summary:
      "one address probes ≥ 25 distinct ports of one host within ~30 s through the edge firewall, mostly denied",
    naturalSpanS: 25,
    keys: { target: "IPv4 address scanned (default web-01)" },
    plan(ctx) {
      const { rng, tenant } = ctx;
      const n = num(ctx, "count", 30);
      const ip = ctx.params.source ?? attackerAddress(rng).ip;
      const target = ctx.params.target ?? tenant.webServers[0].ip;
      const ports = rng.sample(SCAN_PORTS, Math.min(n, SCAN_PORTS.length));
      while (ports.length < n) {
        const p = rng.range(1024, 49151);
        if (!ports.includes(p)) ports.push(p);
      }
      const times = spread(rng, n, 25_000);
      return ports.map((p, i) => {
        const open = p === 80 || p === 443;
        return {
          offsetMs: times[i],
          role: "probe",
          facts: {
            kind: "firewall",
            format: "cef",
            outcome: open ? "success" : "failure",
            firewallAction: open ? "allow" : rng.chance(0.5) ? "deny" : "drop",
            host: tenant.edgeFirewall,
            sourceIp: ip,
            sourcePort: port(rng),
            destinationIp: target,
            destinationPort: p,
            transport: "tcp",
            sourceBytes: open ? 60 : 0,
            destinationBytes: 0,
          } satisfies EventFacts,
        };
      });
    },
  },

  password_spray: {
    name: "password_spray",
    summary:
      "one address fails logins for ≥ 15 distinct users within ~2 min (web portal by default, or via=ssh)",
    naturalSpanS: 100,
    keys: { via: "web (default) or ssh" },
    plan(ctx) {
      const { rng, tenant } = ctx;
      const n = num(ctx, "count", 18);
      const attacker = ctx.params.source
        ? { ip: ctx.params.source, country: undefined }
        : attackerAddress(rng);
      const pool = [
        ...rng.sample(tenant.users.map((u) => u.name), tenant.users.length),
        ...SPRAY_EXTRA_USERS,
      ];
      const users = pool.slice(0, n);
      while (users.length < n) users.push(`user${users.length}`);
      if (ctx.params.user) users[0] = ctx.params.user;
      const times = spread(rng, n, 100_000);
      const ssh = ctx.params.via === "ssh";
      return users.map((u, i) => ({
        offsetMs: times[i],
        role: "spray",
        facts: ssh
          ? {
            kind: "ssh_login",
            format: "syslog",
            outcome: "failure",
            host: "bastion-01",
            sourceIp: attacker.ip,
            sourcePort: port(rng),
            user: u,
            sshMethod: "password",
            pid: pid(rng),
          }
          : {
            kind: "web_login",
            format: "ecs",
            outcome: "failure",
            host: "portal-01",
            sourceIp: attacker.ip,
            sourcePort: port(rng),
            sourceCountry: attacker.country,
            user: u,
            url: `https://portal.${tenant.name}.com/login`,
            status: 401,
            userAgent: "python-requests/2.32.3",
          },
      }));
    },
  },

  dns_tunneling: {
    name: "dns_tunneling",
    summary:
      "one internal address resolves ≥ 40 long random subdomains (≥ 40-char labels) of one domain, mostly TXT",
    naturalSpanS: 150,
    keys: { domain: "tunnel domain (default: a look-alike CDN name)" },
    plan(ctx) {
      const { rng, tenant } = ctx;
      const n = num(ctx, "count", 60);
      const ip = ctx.params.source ?? rng.pick(tenant.staff).workstationIp;
      const domain = ctx.params.domain ?? rng.pick(TUNNEL_DOMAINS);
      const times = spread(rng, n, 150_000);
      return times.map((offsetMs) => {
        const label = rng.token(rng.range(48, 60), BASE32);
        const r = rng.float();
        return {
          offsetMs,
          role: "tunnel_query",
          facts: {
            kind: "dns_query",
            format: "ecs",
            outcome: "success",
            host: tenant.resolver.name,
            sourceIp: ip,
            sourcePort: port(rng),
            destinationIp: tenant.resolver.ip,
            destinationPort: 53,
            transport: "udp",
            dnsName: `${label}.${domain}`,
            dnsType: r < 0.7 ? "TXT" : r < 0.9 ? "A" : "CNAME",
            rcode: "NOERROR",
          } satisfies EventFacts,
        };
      });
    },
  },

  data_exfiltration: {
    name: "data_exfiltration",
    summary:
      "one internal host sends ≥ 500 MB in several flows to one public address within ~5 min",
    naturalSpanS: 240,
    keys: {
      mb: "total megabytes sent (default 600)",
      target: "public IPv4 receiving the data",
    },
    plan(ctx) {
      const { rng, tenant } = ctx;
      const n = num(ctx, "count", 8);
      const total = num(ctx, "mb", 600) * 1_000_000;
      const ip = ctx.params.source ??
        tenant.servers.find((s) => s.role === "db")!.ip;
      const drop = ctx.params.target ?? hostIn(rng.pick(DROP_RANGES).ip, rng);
      const times = spread(rng, n, 240_000);
      const base = total / n;
      let sent = 0;
      return times.map((offsetMs, i) => {
        const bytes = i === n - 1
          ? Math.max(1, Math.round(total - sent))
          : Math.round(base * (0.85 + rng.float() * 0.3));
        sent += bytes;
        const back = rng.range(20_000, 200_000);
        return {
          offsetMs,
          role: "exfil_flow",
          facts: {
            kind: "flow",
            format: "ecs",
            outcome: "success",
            host: tenant.edgeFirewall,
            sourceIp: ip,
            sourcePort: port(rng),
            destinationIp: drop,
            destinationPort: 443,
            transport: "tcp",
            sourceBytes: bytes,
            destinationBytes: back,
            sourcePackets: Math.round(bytes / 1400),
            destinationPackets: Math.round(back / 600),
          } satisfies EventFacts,
        };
      });
    },
  },

  privilege_escalation: {
    name: "privilege_escalation",
    summary:
      "a non-admin user runs a root shell with sudo, then creates a local user and adds it to the sudo group",
    naturalSpanS: 120,
    keys: {
      host: "server (default app-01)",
      account: "name of the account created (default svc-backup)",
      group: "privileged group (default sudo)",
    },
    plan(ctx) {
      const { rng, tenant } = ctx;
      const user = ctx.params.user ?? rng.pick(tenant.staff).name;
      const host = ctx.params.host ?? "app-01";
      const account = ctx.params.account ?? "svc-backup";
      const group = ctx.params.group ?? "sudo";
      const tty = `pts/${rng.int(3)}`;
      return [
        {
          offsetMs: 0,
          role: "root_shell",
          facts: {
            kind: "sudo",
            format: "syslog",
            outcome: "success",
            host,
            user,
            targetUser: "root",
            tty,
            cwd: `/home/${user}`,
            commandLine: "/bin/bash",
          },
        },
        {
          offsetMs: 45_000,
          role: "account_created",
          facts: {
            kind: "user_created",
            format: "syslog",
            outcome: "success",
            host,
            targetUser: account,
            tty,
            pid: pid(rng),
          },
        },
        {
          offsetMs: 90_000,
          role: "group_grant",
          facts: {
            kind: "user_modified",
            format: "syslog",
            outcome: "success",
            host,
            targetUser: account,
            group,
            pid: pid(rng),
          },
        },
      ];
    },
  },

  lateral_movement: {
    name: "lateral_movement",
    summary:
      "one internal address connects to ≥ 8 distinct internal hosts on admin ports (22, 445, 3389, 5985) within ~2 min",
    naturalSpanS: 100,
    keys: {},
    plan(ctx) {
      const { rng, tenant } = ctx;
      const n = num(ctx, "count", 10);
      const src = ctx.params.source ?? rng.pick(tenant.staff).workstationIp;
      const candidates = [
        ...tenant.servers.map((s) => s.ip),
        ...tenant.users.map((u) => u.workstationIp),
      ].filter((ip) => ip !== src);
      const targets = rng.sample(candidates, n);
      const times = spread(rng, targets.length, 100_000);
      return targets.map((dst, i) => ({
        offsetMs: times[i],
        role: "pivot",
        facts: {
          kind: "firewall",
          format: "ecs",
          outcome: "success",
          firewallAction: "allow",
          host: tenant.coreFirewall,
          sourceIp: src,
          sourcePort: port(rng),
          destinationIp: dst,
          destinationPort: ADMIN_PORTS[i % ADMIN_PORTS.length],
          transport: "tcp",
          sourceBytes: rng.range(1500, 9000),
          destinationBytes: rng.range(1500, 30000),
        } satisfies EventFacts,
      }));
    },
  },

  impossible_travel: {
    name: "impossible_travel",
    summary:
      "one user logs in successfully from two public addresses in different countries within 10 min",
    naturalSpanS: 300,
    keys: { country: "ISO country of the second login (default: a far one)" },
    plan(ctx) {
      const { rng, tenant } = ctx;
      const named = ctx.params.user;
      const profile = tenant.users.find((u) => u.name === named) ??
        rng.pick(tenant.staff);
      const user = named ?? profile.name;
      const home = profile.home;
      const far = ctx.params.country ??
        rng.pick(FOREIGN_COUNTRIES.filter((c) => c !== home.country));
      const n = num(ctx, "count", 1);
      const foreign = ctx.params.source
        ? { ip: ctx.params.source, country: far }
        : addressIn(far in COUNTRY_PREFIXES ? far : "RU", rng);
      const login = (ip: string, country: string): EventFacts => ({
        kind: "web_login",
        format: "ecs",
        outcome: "success",
        host: "portal-01",
        sourceIp: ip,
        sourcePort: port(rng),
        sourceCountry: country,
        user,
        url: `https://portal.${tenant.name}.com/login`,
        status: 302,
        userAgent:
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
      });
      const out: PlannedEvent[] = [{
        offsetMs: 0,
        role: "home_login",
        facts: login(home.ip, home.country),
      }];
      const times = spread(rng, n + 1, 300_000);
      for (let i = 1; i <= n; i++) {
        out.push({
          offsetMs: times[i],
          role: "foreign_login",
          facts: login(foreign.ip, far),
        });
      }
      return out;
    },
  },
};

/** Human list of scenarios and keys, for `--help` and errors. */
export function describeScenarios(): string {
  return SCENARIO_NAMES.map((n) => {
    const s = SCENARIOS[n];
    const keys = Object.keys({ ...COMMON_KEYS, ...s.keys }).join(",");
    return `  ${n.padEnd(21)} ${s.summary}\n  ${"".padEnd(21)} keys: ${keys}`;
  }).join("\n");
}

/**
 * Parses `NAME[:key=value,...]`. Throws {@link InjectError} with a precise
 * message for an unknown name, an unknown key or a bad value.
 */
export function parseInject(
  text: string,
  tenants?: readonly string[],
): InjectSpec {
  const colon = text.indexOf(":");
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  if (!(SCENARIO_NAMES as readonly string[]).includes(name)) {
    throw new InjectError(
      `--inject '${text}': unknown scenario '${name}'; known scenarios: ${
        SCENARIO_NAMES.join(", ")
      }`,
    );
  }
  const def = SCENARIOS[name as ScenarioName];
  const params: Record<string, string> = {};
  const rest = colon < 0 ? "" : text.slice(colon + 1);
  for (const part of rest.split(",")) {
    if (part.trim() === "") continue;
    const eq = part.indexOf("=");
    if (eq < 0) {
      throw new InjectError(
        `--inject '${text}': expected key=value, got '${part}'`,
      );
    }
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!(key in COMMON_KEYS) && !(key in def.keys)) {
      throw new InjectError(
        `--inject '${text}': unknown key '${key}' for ${name}; allowed: ${
          Object.keys({ ...COMMON_KEYS, ...def.keys }).join(", ")
        }`,
      );
    }
    checkValue(text, name, key, value, tenants);
    params[key] = value;
  }
  return { name: name as ScenarioName, params };
}

function checkValue(
  text: string,
  name: string,
  key: string,
  value: string,
  tenants?: readonly string[],
): void {
  const bad = (why: string) =>
    new InjectError(`--inject '${text}': ${key}=${value}: ${why}`);
  switch (key) {
    case "at":
    case "span":
    case "mb": {
      const n = Number(value);
      if (value === "" || !Number.isFinite(n) || n < 0) {
        throw bad("expected a number ≥ 0");
      }
      if (key === "mb" && n <= 0) throw bad("expected a number > 0");
      return;
    }
    case "count": {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 100_000) {
        throw bad("expected an integer from 1 to 100000");
      }
      if (name === "lateral_movement" && n > 60) {
        throw bad("at most 60 distinct targets exist");
      }
      return;
    }
    case "source":
    case "target":
      if (!IPV4.test(value)) throw bad("expected an IPv4 address");
      return;
    case "tenant":
      if (tenants && !tenants.includes(value)) {
        throw bad(`no such tenant; tenants: ${tenants.join(", ")}`);
      }
      return;
    case "domain":
      if (!DOMAIN.test(value)) throw bad("expected a lowercase domain name");
      return;
    case "via":
      if (value !== "web" && value !== "ssh") throw bad("expected web or ssh");
      return;
    case "country":
      if (!/^[A-Z]{2}$/.test(value)) {
        throw bad("expected an ISO 3166 alpha-2 code");
      }
      return;
    default:
      if (!NAME.test(value)) {
        throw bad("expected letters, digits, '.', '_' or '-'");
      }
  }
}

/** Plans one injected scenario with its own seeded stream. */
export function planScenario(
  spec: InjectSpec,
  tenant: TenantProfile,
  seed: string,
  index: number,
): PlannedEvent[] {
  const rng = new SeededRandom(`${seed}|inject|${index}|${spec.name}`);
  return SCENARIOS[spec.name].plan({ rng, tenant, params: spec.params });
}
