/**
 * Turns the facts of one synthetic event into the payload a real system
 * would have written: an sshd/sudo/useradd syslog line, a CEF firewall line,
 * an Apache access line, or an ECS-shaped JSON object (what Beats and
 * Elastic Agent write). No format hint is set: the parser must detect it.
 */
import { apacheAccessLine, cefLine, isoTime, syslogLine } from "./formats.ts";

/** What one synthetic event is, independent of how it is written. */
export type EventKind =
  | "ssh_login"
  | "web_login"
  | "sudo"
  | "user_created"
  | "user_modified"
  | "firewall"
  | "flow"
  | "dns_query"
  | "process_start"
  | "http_request";

/** How the event is written. */
export type PayloadFormat = "syslog" | "ecs" | "cef" | "apache";

/** Normalized category of an event kind (see SCENARIOS.md). */
export const KIND_CATEGORY: Record<EventKind, string> = {
  ssh_login: "auth",
  web_login: "auth",
  sudo: "auth",
  user_created: "auth",
  user_modified: "auth",
  firewall: "network",
  flow: "network",
  dns_query: "dns",
  process_start: "process",
  http_request: "web",
};

/**
 * The facts of one synthetic event. Fields are optional because each kind
 * uses a subset; the renderer for the kind documents which.
 */
export interface EventFacts {
  kind: EventKind;
  format: PayloadFormat;
  outcome: "success" | "failure";
  /** The system that wrote the record (syslog host, firewall, web server). */
  host: string;
  sourceIp?: string;
  sourcePort?: number;
  /** Country of a public source address, written as source.geo in ECS. */
  sourceCountry?: string;
  destinationIp?: string;
  destinationPort?: number;
  transport?: "tcp" | "udp";
  user?: string;
  targetUser?: string;
  group?: string;
  sshMethod?: "password" | "publickey";
  invalidUser?: boolean;
  pid?: number;
  processName?: string;
  executable?: string;
  commandLine?: string;
  parentName?: string;
  parentPid?: number;
  tty?: string;
  cwd?: string;
  firewallAction?: "allow" | "deny" | "drop";
  sourceBytes?: number;
  destinationBytes?: number;
  sourcePackets?: number;
  destinationPackets?: number;
  dnsName?: string;
  dnsType?: string;
  rcode?: string;
  resolvedIp?: string;
  method?: string;
  path?: string;
  url?: string;
  status?: number;
  responseBytes?: number;
  userAgent?: string;
  referrer?: string;
  /** SSH key fingerprint for publickey logins. */
  keyFingerprint?: string;
}

/** A rendered payload and the source name that wrote it. */
export interface RenderedPayload {
  sourceName: string;
  payload: string | Record<string, unknown>;
}

const ECS_CATEGORY: Record<EventKind, string> = {
  ssh_login: "authentication",
  web_login: "authentication",
  sudo: "authentication",
  user_created: "authentication",
  user_modified: "authentication",
  firewall: "network",
  flow: "network",
  dns_query: "dns",
  process_start: "process",
  http_request: "web",
};

const ECS_ACTION: Record<EventKind, string> = {
  ssh_login: "ssh_login",
  web_login: "web_login",
  sudo: "sudo",
  user_created: "user_created",
  user_modified: "user_modified",
  firewall: "connection",
  flow: "connection",
  dns_query: "dns_query",
  process_start: "process_start",
  http_request: "http_request",
};

/** True for RFC 1918 IPv4 addresses (firewall policy names only). */
function isInternal(ip: string | undefined): boolean {
  if (ip === undefined) return false;
  if (ip.startsWith("10.") || ip.startsWith("192.168.")) return true;
  if (!ip.startsWith("172.")) return false;
  const second = Number(ip.split(".")[1]);
  return second >= 16 && second <= 31;
}

/** Renders `f` at event time `ms`. */
export function renderEvent(f: EventFacts, ms: number): RenderedPayload {
  switch (f.format) {
    case "syslog":
      return renderSyslog(f, ms);
    case "cef":
      return { sourceName: f.host, payload: renderCef(f, ms) };
    case "apache":
      return { sourceName: f.host, payload: renderApache(f, ms) };
    default:
      return renderEcs(f, ms);
  }
}

function renderSyslog(f: EventFacts, ms: number): RenderedPayload {
  switch (f.kind) {
    case "ssh_login": {
      let msg: string;
      if (f.outcome === "failure") {
        msg = `Failed ${f.sshMethod ?? "password"} for ${
          f.invalidUser ? "invalid user " : ""
        }${f.user} from ${f.sourceIp} port ${f.sourcePort} ssh2`;
      } else {
        msg = `Accepted ${
          f.sshMethod ?? "password"
        } for ${f.user} from ${f.sourceIp} port ${f.sourcePort} ssh2${
          f.sshMethod === "publickey" && f.keyFingerprint
            ? `: ED25519 SHA256:${f.keyFingerprint}`
            : ""
        }`;
      }
      return {
        sourceName: "sshd",
        payload: syslogLine(ms, f.host, "sshd", f.pid, msg),
      };
    }
    case "sudo": {
      const head = f.outcome === "failure"
        ? `${f.user} : 3 incorrect password attempts ; `
        : `${f.user} : `;
      const msg = `${head}TTY=${f.tty ?? "pts/0"} ; PWD=${
        f.cwd ?? `/home/${f.user}`
      } ; USER=${f.targetUser ?? "root"} ; COMMAND=${f.commandLine}`;
      return {
        sourceName: "sudo",
        payload: syslogLine(ms, f.host, "sudo", undefined, msg),
      };
    }
    case "user_created": {
      const uid = 1000 + ((f.pid ?? 1) % 900);
      const msg =
        `new user: name=${f.targetUser}, UID=${uid}, GID=${uid}, home=/home/${f.targetUser}, shell=/bin/bash, from=/dev/${
          f.tty ?? "pts/0"
        }`;
      return {
        sourceName: "useradd",
        payload: syslogLine(ms, f.host, "useradd", f.pid, msg),
      };
    }
    case "user_modified": {
      const msg = `add '${f.targetUser}' to group '${f.group}'`;
      return {
        sourceName: "usermod",
        payload: syslogLine(ms, f.host, "usermod", f.pid, msg),
      };
    }
    default:
      return renderEcs(f, ms);
  }
}

const CEF_VENDOR = {
  vendor: "Fortinet",
  product: "FortiGate",
  version: "7.2.5",
};

function renderCef(f: EventFacts, ms: number): string {
  const act = f.firewallAction ?? (f.outcome === "success" ? "allow" : "deny");
  const ext: Record<string, string | number> = {
    act,
    src: f.sourceIp ?? "",
    spt: f.sourcePort ?? 0,
    dst: f.destinationIp ?? "",
    dpt: f.destinationPort ?? 0,
    proto: (f.transport ?? "tcp").toUpperCase(),
  };
  if (f.sourceBytes !== undefined) ext.out = f.sourceBytes;
  if (f.destinationBytes !== undefined) ext.in = f.destinationBytes;
  ext.rt = ms;
  ext.dvchost = f.host;
  return cefLine(ms, f.host, {
    ...CEF_VENDOR,
    signatureId: act === "allow" ? "0000000013" : "0000000014",
    name: `traffic:forward ${act}`,
    severity: act === "allow" ? 3 : 5,
  }, ext);
}

function renderApache(f: EventFacts, ms: number): string {
  return apacheAccessLine(ms, {
    clientIp: f.sourceIp ?? "-",
    user: f.user,
    method: f.method ?? "GET",
    path: f.path ?? "/",
    status: f.status ?? 200,
    bytes: f.responseBytes ?? 0,
    referrer: f.referrer,
    userAgent: f.userAgent ?? "-",
  });
}

function renderEcs(f: EventFacts, ms: number): RenderedPayload {
  const p: Record<string, unknown> = {
    "@timestamp": isoTime(ms),
    event: {
      category: ECS_CATEGORY[f.kind],
      action: ECS_ACTION[f.kind],
      outcome: f.outcome,
    },
  };
  if (f.sourceIp !== undefined) {
    const src: Record<string, unknown> = { ip: f.sourceIp };
    if (f.sourcePort !== undefined) src.port = f.sourcePort;
    if (f.sourceBytes !== undefined) src.bytes = f.sourceBytes;
    if (f.sourcePackets !== undefined) src.packets = f.sourcePackets;
    if (f.sourceCountry !== undefined) {
      src.geo = { country_iso_code: f.sourceCountry };
    }
    p.source = src;
  }
  if (f.destinationIp !== undefined) {
    const dst: Record<string, unknown> = { ip: f.destinationIp };
    if (f.destinationPort !== undefined) dst.port = f.destinationPort;
    if (f.destinationBytes !== undefined) dst.bytes = f.destinationBytes;
    if (f.destinationPackets !== undefined) {
      dst.packets = f.destinationPackets;
    }
    p.destination = dst;
  }
  let sourceName = f.host;
  switch (f.kind) {
    case "flow":
    case "firewall": {
      const net: Record<string, unknown> = { transport: f.transport ?? "tcp" };
      if (f.sourceBytes !== undefined || f.destinationBytes !== undefined) {
        net.bytes = (f.sourceBytes ?? 0) + (f.destinationBytes ?? 0);
      }
      if (f.sourcePackets !== undefined || f.destinationPackets !== undefined) {
        net.packets = (f.sourcePackets ?? 0) + (f.destinationPackets ?? 0);
      }
      p.network = net;
      if (f.kind === "firewall") {
        p.rule = {
          name: f.outcome === "failure"
            ? "default-deny"
            : isInternal(f.sourceIp) && isInternal(f.destinationIp)
            ? "allow-internal"
            : "allow-outbound",
        };
      }
      break;
    }
    case "dns_query": {
      p.network = { transport: "udp", protocol: "dns" };
      const dns: Record<string, unknown> = {
        question: { name: f.dnsName, type: f.dnsType ?? "A" },
        response_code: f.rcode ?? "NOERROR",
      };
      if (f.resolvedIp) dns.resolved_ip = [f.resolvedIp];
      p.dns = dns;
      sourceName = "dns-resolver";
      break;
    }
    case "ssh_login":
      p.user = { name: f.user };
      p.network = { transport: "tcp", protocol: "ssh" };
      p.process = { name: "sshd", pid: f.pid };
      sourceName = "sshd";
      break;
    case "web_login":
      p.user = { name: f.user };
      p.url = { original: f.url };
      p.http = {
        request: { method: "POST" },
        response: {
          status_code: f.status ?? (f.outcome === "success" ? 302 : 401),
        },
      };
      if (f.userAgent) p.user_agent = { original: f.userAgent };
      break;
    case "process_start": {
      p.event = { ...(p.event as object), type: "start" };
      p.process = {
        name: f.processName,
        pid: f.pid,
        executable: f.executable,
        command_line: f.commandLine,
        parent: { name: f.parentName, pid: f.parentPid },
      };
      p.user = { name: f.user };
      sourceName = "auditd";
      break;
    }
    case "http_request":
      p.url = { original: f.url ?? f.path };
      p.http = {
        request: { method: f.method ?? "GET" },
        response: { status_code: f.status ?? 200, bytes: f.responseBytes ?? 0 },
      };
      break;
    default:
      if (f.user !== undefined) p.user = { name: f.user };
  }
  p.host = { name: f.host };
  return { sourceName, payload: p };
}
