/**
 * Baseline traffic: what a quiet day on a few small networks looks like.
 * Authentication (SSH, web logins, sudo; mostly success), firewall
 * allow/deny and flows with bytes and packets, DNS queries (some NXDOMAIN),
 * process starts and web access, drawn from each tenant's entity pools.
 *
 * Baseline must never look like an attack, whatever the rate: failed logins
 * are rationed to at most one per source address per ten virtual minutes,
 * and bytes sent per source address per ten virtual minutes are capped, so
 * the rule pack's thresholds (≥ 10 failures, ≥ 200 MB) cannot be reached.
 * Distinct ports, names, targets and countries are bounded by the pools.
 */
import { type SeededRandom, WeightedChoice } from "./prng.ts";
import type { EventFacts, EventKind } from "./render.ts";
import type { PublicService, TenantProfile, UserProfile } from "./entities.ts";

/** One baseline event before rendering. */
export interface BaselineEvent {
  tenant: TenantProfile;
  facts: EventFacts;
}

const TEN_MINUTES = 600_000;
/** Bytes one source may send per ten-minute bucket (two buckets < 200 MB). */
const BYTES_PER_BUCKET = 60_000_000;

const USER_AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
  "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
];

const WEB_PATHS = [
  "/",
  "/index.html",
  "/products",
  "/products/1042",
  "/products/2210",
  "/cart",
  "/checkout",
  "/api/v1/orders",
  "/api/v1/catalog?page=2",
  "/static/css/site.css",
  "/static/js/app.js",
  "/images/logo.png",
  "/about",
  "/contact",
  "/favicon.ico",
];

const SUDO_COMMANDS = [
  "/usr/bin/systemctl restart nginx",
  "/usr/bin/systemctl status app",
  "/usr/bin/apt-get update",
  "/usr/bin/journalctl -u app --since today",
  "/usr/bin/tail -n 200 /var/log/syslog",
  "/usr/bin/docker ps",
  "/usr/sbin/ufw status",
];

/** Processes per server role: [name, executable, command line, user]. */
const ROLE_PROCESSES: Record<string, [string, string, string, string][]> = {
  web: [
    ["nginx", "/usr/sbin/nginx", "nginx: worker process", "www-data"],
    [
      "logrotate",
      "/usr/sbin/logrotate",
      "/usr/sbin/logrotate /etc/logrotate.conf",
      "root",
    ],
  ],
  app: [
    ["node", "/usr/bin/node", "node /srv/app/server.js", "deploy"],
    [
      "python3",
      "/usr/bin/python3",
      "/usr/bin/python3 /opt/app/worker.py --queue default",
      "deploy",
    ],
  ],
  db: [
    [
      "pg_dump",
      "/usr/bin/pg_dump",
      "pg_dump -Fc -f /var/backups/app.dump app",
      "postgres",
    ],
    [
      "postgres",
      "/usr/lib/postgresql/16/bin/postgres",
      "postgres: autovacuum worker",
      "postgres",
    ],
  ],
  bastion: [
    ["sshd", "/usr/sbin/sshd", "sshd: session [priv]", "root"],
  ],
  ci: [
    ["git", "/usr/bin/git", "git fetch --prune origin", "jenkins"],
    ["java", "/usr/bin/java", "java -jar /opt/jenkins/agent.jar", "jenkins"],
  ],
  mail: [
    ["postfix", "/usr/lib/postfix/sbin/qmgr", "qmgr -l -t unix -u", "postfix"],
  ],
};

const CRON_PROCESSES: [string, string, string, string][] = [
  [
    "run-parts",
    "/usr/bin/run-parts",
    "run-parts --report /etc/cron.hourly",
    "root",
  ],
  [
    "rsync",
    "/usr/bin/rsync",
    "rsync -a /srv/data/ backup@file-01:/backups/",
    "backup",
  ],
];

/** Ports a host on the internet may knock on (one per visitor). */
const NOISE_PORTS = [23, 3389, 445, 8080, 2323, 5900];

type BaselineKind =
  | EventKind
  | "admin_connection"
  | "server_flow";

const MIX = new WeightedChoice<BaselineKind>([
  ["flow", 16],
  ["server_flow", 5],
  ["firewall", 17],
  ["admin_connection", 4],
  ["dns_query", 20],
  ["http_request", 14],
  ["process_start", 9],
  ["ssh_login", 6],
  ["web_login", 5],
  ["sudo", 4],
]);

/** The baseline traffic source for a set of tenants. */
export class BaselineTraffic {
  readonly #rng: SeededRandom;
  readonly #tenants: TenantProfile[];
  readonly #tenantChoice: WeightedChoice<TenantProfile>;
  /** `tenant|ip` → ten-minute bucket in which it last failed a login. */
  readonly #lastFailure = new Map<string, number>();
  /** `tenant|ip` → [bucket, bytes sent in it]. */
  readonly #bytes = new Map<string, [number, number]>();

  constructor(tenants: TenantProfile[], rng: SeededRandom) {
    this.#rng = rng;
    this.#tenants = tenants;
    this.#tenantChoice = new WeightedChoice(
      tenants.map((t, i) => [t, Math.max(1, tenants.length - i + 1)] as const),
    );
  }

  /** The next baseline event at virtual time `ms`. */
  next(ms: number): BaselineEvent {
    const rng = this.#rng;
    const t = this.#tenants.length === 1
      ? this.#tenants[0]
      : this.#tenantChoice.draw(rng);
    const kind = MIX.draw(rng);
    let facts: EventFacts;
    switch (kind) {
      case "flow":
        facts = this.#outboundFlow(t, ms);
        break;
      case "server_flow":
        facts = this.#serverFlow(t, ms);
        break;
      case "firewall":
        facts = this.#firewall(t, ms);
        break;
      case "admin_connection":
        facts = this.#adminConnection(t, ms);
        break;
      case "dns_query":
        facts = this.#dns(t);
        break;
      case "http_request":
        facts = this.#http(t);
        break;
      case "process_start":
        facts = this.#process(t);
        break;
      case "ssh_login":
        facts = this.#ssh(t, ms);
        break;
      case "web_login":
        facts = this.#webLogin(t, ms);
        break;
      default:
        facts = this.#sudo(t);
    }
    return { tenant: t, facts };
  }

  /** True when `ip` may fail a login now (rationed per ten minutes). */
  #mayFail(t: TenantProfile, ip: string, ms: number, p: number): boolean {
    if (!this.#rng.chance(p)) return false;
    const key = t.name + "|" + ip;
    const bucket = Math.floor(ms / TEN_MINUTES);
    if (this.#lastFailure.get(key) === bucket) return false;
    this.#lastFailure.set(key, bucket);
    return true;
  }

  /** Bytes `ip` may send now: `wanted`, or a trickle when over its cap. */
  #allowBytes(
    t: TenantProfile,
    ip: string,
    ms: number,
    wanted: number,
  ): number {
    const key = t.name + "|" + ip;
    const bucket = Math.floor(ms / TEN_MINUTES);
    let b = this.#bytes.get(key);
    if (!b || b[0] !== bucket) {
      b = [bucket, 0];
      this.#bytes.set(key, b);
    }
    const n = b[1] + wanted > BYTES_PER_BUCKET
      ? 40 + this.#rng.int(200)
      : wanted;
    b[1] += n;
    return n;
  }

  #port(): number {
    return this.#rng.range(32768, 60999);
  }

  #pid(): number {
    return this.#rng.range(1200, 64000);
  }

  #user(t: TenantProfile): UserProfile {
    return this.#rng.pick(t.users);
  }

  #outboundFlow(t: TenantProfile, ms: number): EventFacts {
    const rng = this.#rng;
    const u = this.#user(t);
    const svc: PublicService = rng.pick(u.services);
    const up = Math.round(rng.logNormal(1800, 1.0)) + 60;
    const down = Math.round(rng.logNormal(24000, 1.6)) + 60;
    const srcBytes = this.#allowBytes(t, u.workstationIp, ms, up);
    const dstBytes = this.#allowBytes(t, svc.ip, ms, down);
    return {
      kind: "flow",
      format: "ecs",
      outcome: "success",
      host: t.edgeFirewall,
      sourceIp: u.workstationIp,
      sourcePort: this.#port(),
      destinationIp: svc.ip,
      destinationPort: svc.port,
      transport: "tcp",
      sourceBytes: srcBytes,
      destinationBytes: dstBytes,
      sourcePackets: Math.max(1, Math.round(srcBytes / 900)),
      destinationPackets: Math.max(1, Math.round(dstBytes / 1300)),
    };
  }

  #serverFlow(t: TenantProfile, ms: number): EventFacts {
    const rng = this.#rng;
    const s = t.servers;
    // web → app:8080, app → db:5432, ci → app:22 deploys stay within pools.
    const hop = rng.int(2);
    const src = hop === 0
      ? rng.pick(t.webServers)
      : s.find((x) => x.role === "app")!;
    const dst = hop === 0
      ? s.find((x) => x.role === "app")!
      : s.find((x) => x.role === "db")!;
    const srcBytes = this.#allowBytes(
      t,
      src.ip,
      ms,
      Math.round(rng.logNormal(900, 0.8)) + 60,
    );
    const dstBytes = this.#allowBytes(
      t,
      dst.ip,
      ms,
      Math.round(rng.logNormal(6000, 1.2)) + 60,
    );
    return {
      kind: "flow",
      format: "ecs",
      outcome: "success",
      host: t.coreFirewall,
      sourceIp: src.ip,
      sourcePort: this.#port(),
      destinationIp: dst.ip,
      destinationPort: hop === 0 ? 8080 : 5432,
      transport: "tcp",
      sourceBytes: srcBytes,
      destinationBytes: dstBytes,
      sourcePackets: Math.max(1, Math.round(srcBytes / 700)),
      destinationPackets: Math.max(1, Math.round(dstBytes / 1200)),
    };
  }

  #firewall(t: TenantProfile, ms: number): EventFacts {
    const rng = this.#rng;
    const format = rng.chance(0.7) ? "cef" : "ecs";
    const r = rng.float();
    if (r < 0.45) {
      // Staff going out: allowed.
      const u = this.#user(t);
      const svc = rng.pick(u.services);
      return {
        kind: "firewall",
        format,
        outcome: "success",
        firewallAction: "allow",
        host: t.edgeFirewall,
        sourceIp: u.workstationIp,
        sourcePort: this.#port(),
        destinationIp: svc.ip,
        destinationPort: svc.port,
        transport: "tcp",
        sourceBytes: this.#allowBytes(
          t,
          u.workstationIp,
          ms,
          rng.range(200, 3000),
        ),
        destinationBytes: this.#allowBytes(t, svc.ip, ms, rng.range(400, 9000)),
      };
    }
    if (r < 0.8) {
      // Visitors reaching the public web site.
      const v = rng.pick(t.visitors);
      const web = rng.pick(t.webServers);
      return {
        kind: "firewall",
        format,
        outcome: "success",
        firewallAction: "allow",
        host: t.edgeFirewall,
        sourceIp: v.ip,
        sourcePort: this.#port(),
        destinationIp: web.ip,
        destinationPort: rng.chance(0.9) ? 443 : 80,
        transport: "tcp",
        sourceBytes: this.#allowBytes(t, v.ip, ms, rng.range(300, 2500)),
        destinationBytes: this.#allowBytes(
          t,
          web.ip,
          ms,
          rng.range(800, 40000),
        ),
      };
    }
    if (r < 0.95) {
      // Internet background noise: each visitor address knocks on one port.
      const i = rng.int(t.visitors.length);
      const v = t.visitors[i];
      return {
        kind: "firewall",
        format,
        outcome: "failure",
        firewallAction: rng.chance(0.5) ? "deny" : "drop",
        host: t.edgeFirewall,
        sourceIp: v.ip,
        sourcePort: this.#port(),
        destinationIp: rng.pick(t.webServers).ip,
        destinationPort: NOISE_PORTS[i % NOISE_PORTS.length],
        transport: "tcp",
        sourceBytes: 0,
        destinationBytes: 0,
      };
    }
    // Outbound SMTP from a workstation is blocked by policy.
    const u = this.#user(t);
    return {
      kind: "firewall",
      format,
      outcome: "failure",
      firewallAction: "deny",
      host: t.edgeFirewall,
      sourceIp: u.workstationIp,
      sourcePort: this.#port(),
      destinationIp: "142.250.102.27",
      destinationPort: 25,
      transport: "tcp",
      sourceBytes: 0,
      destinationBytes: 0,
    };
  }

  #adminConnection(t: TenantProfile, ms: number): EventFacts {
    const rng = this.#rng;
    const u = this.#user(t);
    const admin = u.admin;
    const dst = admin ? rng.pick(u.adminTargets) : t.fileServer;
    return {
      kind: "firewall",
      format: rng.chance(0.5) ? "cef" : "ecs",
      outcome: "success",
      firewallAction: "allow",
      host: t.coreFirewall,
      sourceIp: u.workstationIp,
      sourcePort: this.#port(),
      destinationIp: dst.ip,
      destinationPort: admin ? 22 : 445,
      transport: "tcp",
      sourceBytes: this.#allowBytes(
        t,
        u.workstationIp,
        ms,
        rng.range(2000, 60000),
      ),
      destinationBytes: this.#allowBytes(
        t,
        dst.ip,
        ms,
        rng.range(2000, 200000),
      ),
    };
  }

  #dns(t: TenantProfile): EventFacts {
    const rng = this.#rng;
    const u = this.#user(t);
    const name = rng.pick(u.dnsNames);
    const nx = name.startsWith("wpad.") || name === "githhub.com";
    const svc = u.services.find((s) => s.domain === name);
    return {
      kind: "dns_query",
      format: "ecs",
      outcome: nx ? "failure" : "success",
      host: t.resolver.name,
      sourceIp: u.workstationIp,
      sourcePort: this.#port(),
      destinationIp: t.resolver.ip,
      destinationPort: 53,
      transport: "udp",
      dnsName: name,
      dnsType: rng.chance(0.8) ? "A" : "AAAA",
      rcode: nx ? "NXDOMAIN" : "NOERROR",
      resolvedIp: nx ? undefined : svc?.ip,
    };
  }

  #http(t: TenantProfile): EventFacts {
    const rng = this.#rng;
    const web = rng.pick(t.webServers);
    const internal = rng.chance(0.2);
    const ip = internal ? this.#user(t).workstationIp : rng.pick(t.visitors).ip;
    const path = rng.pick(WEB_PATHS);
    const r = rng.float();
    const status = r < 0.82
      ? 200
      : r < 0.9
      ? 304
      : r < 0.94
      ? 301
      : r < 0.995
      ? 404
      : 500;
    const method = path.startsWith("/api/v1/orders") && rng.chance(0.3)
      ? "POST"
      : "GET";
    return {
      kind: "http_request",
      format: "apache",
      outcome: status < 400 ? "success" : "failure",
      host: web.name,
      sourceIp: ip,
      method,
      path,
      status,
      responseBytes: status === 304
        ? 0
        : Math.round(rng.logNormal(5200, 1.1)) + 120,
      referrer: rng.chance(0.5) ? `https://${t.webDomain}/` : undefined,
      userAgent: rng.pick(USER_AGENTS),
    };
  }

  #process(t: TenantProfile): EventFacts {
    const rng = this.#rng;
    const server = rng.pick(t.linuxServers);
    const list = ROLE_PROCESSES[server.role] ?? CRON_PROCESSES;
    const [name, exe, cmd, user] = rng.chance(0.2)
      ? rng.pick(CRON_PROCESSES)
      : rng.pick(list);
    return {
      kind: "process_start",
      format: "ecs",
      outcome: "success",
      host: server.name,
      user,
      pid: this.#pid(),
      processName: name,
      executable: exe,
      commandLine: cmd,
      parentName: user === "root" || name === "run-parts" ? "cron" : "systemd",
      parentPid: 1,
    };
  }

  #ssh(t: TenantProfile, ms: number): EventFacts {
    const rng = this.#rng;
    let user: string, srcIp: string, host: string;
    let method: "password" | "publickey";
    if (rng.chance(0.2)) {
      // CI deploying to the app servers with a key.
      const ci = t.servers.find((s) => s.role === "ci")!;
      user = "deploy";
      srcIp = ci.ip;
      host = rng.chance(0.5) ? "app-01" : "app-02";
      method = "publickey";
    } else {
      const u = rng.pick(t.admins);
      user = u.name;
      srcIp = u.workstationIp;
      host = rng.pick(u.adminTargets).name;
      method = rng.chance(0.8) ? "publickey" : "password";
    }
    const fail = method === "password" && this.#mayFail(t, srcIp, ms, 0.15);
    return {
      kind: "ssh_login",
      format: rng.chance(0.75) ? "syslog" : "ecs",
      outcome: fail ? "failure" : "success",
      host,
      sourceIp: srcIp,
      sourcePort: this.#port(),
      user,
      sshMethod: method,
      pid: this.#pid(),
      keyFingerprint: method === "publickey" ? rng.token(43, B64) : undefined,
    };
  }

  #webLogin(t: TenantProfile, ms: number): EventFacts {
    const rng = this.#rng;
    const u = this.#user(t);
    const remote = rng.chance(0.3);
    const ip = remote ? u.home.ip : u.workstationIp;
    const fail = this.#mayFail(t, ip, ms, 0.06);
    return {
      kind: "web_login",
      format: "ecs",
      outcome: fail ? "failure" : "success",
      host: "portal-01",
      sourceIp: ip,
      sourcePort: this.#port(),
      sourceCountry: remote ? u.home.country : undefined,
      user: u.name,
      url: `https://portal.${t.name}.com/login`,
      status: fail ? 401 : 302,
      userAgent: rng.pick(USER_AGENTS),
    };
  }

  #sudo(t: TenantProfile): EventFacts {
    const rng = this.#rng;
    const u = rng.pick(t.admins);
    return {
      kind: "sudo",
      format: "syslog",
      outcome: "success",
      host: rng.pick(u.adminTargets).name,
      user: u.name,
      targetUser: "root",
      tty: `pts/${rng.int(4)}`,
      cwd: `/home/${u.name}`,
      commandLine: rng.pick(SUDO_COMMANDS),
    };
  }
}

/** Characters of an SSH key fingerprint (base64 without padding). */
export const B64 =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
