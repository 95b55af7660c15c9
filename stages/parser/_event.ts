/**
 * The event under construction and the setters every format parser uses to
 * fill entities. Setters validate (IPs, ports, integers) so a malformed value
 * never reaches an entity: it stays in `fields` instead.
 */
import type {
  EnrichedEvent,
  EnrichedEventEndpoint,
} from "../shared/contracts/mod.ts";
import { canonicalIp, lastIpClass } from "./ip.ts";
import { NO_SEVERITY } from "./severity.ts";
import { flatCopy } from "./time.ts";

/** The EnrichedEvent being built. */
export type Ev = EnrichedEvent;

/** Per-event scratch the format parsers fill besides the event itself. */
export interface ParseState {
  /** Event time read from the record, UTC ms (NaN: none yet). */
  tsMs: number;
  /**
   * Text of a time the record gave but that could not be trusted (an
   * unknown zone, an impossible date), "" if none: noted when ts falls
   * back to received_at.
   */
  tsUnread: string;
  /** Severity rank read from the source, or NO_SEVERITY. */
  sev: number;
  /** Minimum severity rank for what the event was classified as. */
  floor: number;
  /** received_at in ms: resolves missing years and is the ts fallback. */
  refMs: number;
  /** Firewall/IDS action word seen (allow, deny, …), "" if none. */
  act: string;
  /** Outcome stated by the record itself ("" if none). */
  outcome: string;
  /**
   * Set when parsing an object payload put substrings into the event (a
   * message classified by program, split values), so they get flat copies.
   */
  sliced: boolean;
  /**
   * Events a `message repeated N times: [ … ]` line stands for (N, capped
   * at REPEAT_MAX in repeat.ts); 0 for any other line.
   */
  repeat: number;
}

/** A fresh scratch state. */
export function newState(): ParseState {
  return {
    tsMs: NaN,
    tsUnread: "",
    sev: NO_SEVERITY,
    floor: 0,
    refMs: NaN,
    act: "",
    outcome: "",
    sliced: false,
    repeat: 0,
  };
}

/** Resets `st` for the next event. */
export function resetState(st: ParseState, refMs: number): void {
  st.tsMs = NaN;
  st.tsUnread = "";
  st.sev = NO_SEVERITY;
  st.floor = 0;
  st.refMs = refMs;
  st.act = "";
  st.outcome = "";
  st.sliced = false;
  st.repeat = 0;
}

/** Sets `category`, `action`, `outcome` in one go. */
export function classify(
  ev: Ev,
  category: Ev["category"],
  action: string,
  outcome: Ev["outcome"],
): void {
  ev.category = category;
  ev.action = action;
  ev.outcome = outcome;
}

function endpoint(
  ev: Ev,
  which: "source" | "destination",
): EnrichedEventEndpoint {
  let e = ev[which];
  if (e === undefined) {
    e = {};
    ev[which] = e;
  }
  return e;
}

/**
 * Sets `source.ip`/`destination.ip` (canonical) and its `ip_class`. A value
 * that is not an address is kept as `<which>.domain` when it looks like a
 * host name, else as `fields["<which>.address"]`. Empty and "-" are ignored.
 */
export function setIp(
  ev: Ev,
  which: "source" | "destination",
  text: string,
): void {
  if (text === "" || text === "-") return;
  const ip = canonicalIp(text);
  if (ip !== null) {
    const e = endpoint(ev, which);
    e.ip = ip;
    e.ip_class = lastIpClass();
    return;
  }
  if (HOSTNAME.test(text)) endpoint(ev, which).domain = text.toLowerCase();
  else {ev
      .fields[which === "source" ? "source.address" : "destination.address"] =
        text;}
}

const HOSTNAME =
  /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*\.?$/;

/** Sets `<which>.port` when `text` is an integer port. */
export function setPort(
  ev: Ev,
  which: "source" | "destination",
  text: string | number,
): void {
  const n = toInt(text);
  if (n >= 0 && n <= 65535) endpoint(ev, which).port = n;
}

/** Sets `<which>.bytes` when `text` is a non-negative integer. */
export function setBytes(
  ev: Ev,
  which: "source" | "destination",
  text: string | number,
): void {
  const n = toInt(text);
  if (n >= 0) endpoint(ev, which).bytes = n;
}

/** Sets `<which>.packets` when `text` is a non-negative integer. */
export function setPackets(
  ev: Ev,
  which: "source" | "destination",
  text: string | number,
): void {
  const n = toInt(text);
  if (n >= 0) endpoint(ev, which).packets = n;
}

/**
 * Sets `<which>.geo.country_iso_code` from a 2-letter code, or
 * `geo.country_name` from a country's name (FortiGate writes
 * `dstcountry="Netherlands"`, which is no ISO code). Placeholders such as
 * FortiGate's "Reserved" (private ranges) name no country. Returns whether
 * the value was taken (the caller keeps it in fields otherwise).
 */
export function setCountry(
  ev: Ev,
  which: "source" | "destination",
  text: string,
): boolean {
  const n = text.length;
  if (n === 2 && isLetter(text.charCodeAt(0)) && isLetter(text.charCodeAt(1))) {
    (endpoint(ev, which).geo ??= {}).country_iso_code = text.toUpperCase();
    return true;
  }
  if (n < 3 || !isLetter(text.charCodeAt(0)) || NOT_A_COUNTRY.has(text)) {
    return false;
  }
  (endpoint(ev, which).geo ??= {}).country_name = text;
  return true;
}

/** Country values that name none (FortiGate, Palo Alto, GeoIP tools). */
const NOT_A_COUNTRY = new Set([
  "Reserved",
  "reserved",
  "RESERVED",
  "Unknown",
  "unknown",
  "UNKNOWN",
  "None",
  "none",
  "N/A",
  "n/a",
  "Private",
  "private",
]);

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * Integer from a number or decimal/hex (`0x1a2b`) text; -1 when it is not a
 * non-negative safe integer.
 */
export function toInt(v: string | number | unknown): number {
  if (typeof v === "number") {
    return Number.isSafeInteger(v) && v >= 0 ? v : -1;
  }
  if (typeof v !== "string" || v === "") return -1;
  let n = 0;
  const len = v.length;
  if (len > 2 && v.charCodeAt(0) === 48 && (v.charCodeAt(1) | 32) === 120) {
    n = parseInt(v.slice(2), 16);
    return Number.isSafeInteger(n) && n >= 0 ? n : -1;
  }
  if (len > 15) return -1;
  for (let i = 0; i < len; i++) {
    const c = v.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** Sets `user.name` (ignores empty, "-", "(unknown)"). */
export function setUser(ev: Ev, name: string, domain?: string): void {
  if (name === "" || name === "-" || name === "(unknown)") return;
  const u = (ev.user ??= {});
  u.name = name;
  if (domain && domain !== "-") u.domain = domain;
}

/** Sets `user.target.name`. */
export function setTargetUser(ev: Ev, name: string, domain?: string): void {
  if (name === "" || name === "-") return;
  const t = ((ev.user ??= {}).target ??= {});
  t.name = name;
  if (domain && domain !== "-") t.domain = domain;
}

/** Sets `host.name`. */
export function setHostName(ev: Ev, name: string): void {
  if (name === "" || name === "-") return;
  (ev.host ??= {}).name = name;
}

/** Sets `host.ip` when valid. */
export function setHostIp(ev: Ev, text: string): void {
  const ip = canonicalIp(text);
  if (ip !== null) (ev.host ??= {}).ip = ip;
}

/** Sets `process.pid` when `text` is a non-negative integer. */
export function setPid(ev: Ev, text: string | number): void {
  const n = toInt(text);
  if (n >= 0) (ev.process ??= {}).pid = n;
}

/** Sets `process.name`. */
export function setProcessName(ev: Ev, name: string): void {
  if (name !== "" && name !== "-") (ev.process ??= {}).name = name;
}

/** Sets `process.executable` and, when no name is known, its base name. */
export function setExecutable(ev: Ev, path: string): void {
  if (path === "" || path === "-") return;
  const p = (ev.process ??= {});
  p.executable = path;
  if (p.name === undefined) p.name = baseName(path);
}

/** Sets `file.path` and `file.name` (its base name). */
export function setFilePath(ev: Ev, path: string): void {
  if (path === "" || path === "-") return;
  const f = (ev.file ??= {});
  f.path = path;
  f.name = baseName(path);
}

/**
 * Sets `network.bytes` to the bytes of both ends, when a format gives them
 * per end (Zeek, Suricata).
 */
export function sumEndBytes(ev: Ev): void {
  const s = ev.source?.bytes;
  const d = ev.destination?.bytes;
  if (s !== undefined || d !== undefined) {
    (ev.network ??= {}).bytes = (s ?? 0) + (d ?? 0);
  }
}

/** Last path component, for `/` and `\` paths. */
export function baseName(path: string): string {
  const i = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return i >= 0 ? path.slice(i + 1) : path;
}

/** Sets `process.command_line`. */
export function setCommandLine(ev: Ev, cmd: string): void {
  if (cmd !== "") (ev.process ??= {}).command_line = cmd;
}

/** Sets `network.transport` (lower case, IANA numbers 6/17/1/58 named). */
export function setTransport(ev: Ev, proto: string | number): void {
  let p = typeof proto === "number" ? String(proto) : proto.toLowerCase();
  if (p === "6") p = "tcp";
  else if (p === "17") p = "udp";
  else if (p === "1") p = "icmp";
  else if (p === "58") p = "ipv6-icmp";
  if (p !== "" && p !== "-") (ev.network ??= {}).transport = p;
}

/** Sets `network.protocol` (application protocol, lower case). */
export function setProtocol(ev: Ev, proto: string): void {
  if (proto !== "" && proto !== "-") {
    (ev.network ??= {}).protocol = proto.toLowerCase();
  }
}

/** Sets `url.original` and its path/query parts. */
export function setUrl(ev: Ev, original: string): void {
  if (original === "" || original === "-") return;
  const u = (ev.url ??= {});
  u.original = original;
  let start = 0;
  const scheme = original.indexOf("://");
  if (scheme > 0 && scheme < 10) {
    const slash = original.indexOf("/", scheme + 3);
    const hostEnd = slash < 0 ? original.length : slash;
    let host = original.slice(scheme + 3, hostEnd);
    const at = host.lastIndexOf("@");
    if (at >= 0) host = host.slice(at + 1);
    const colon = host.lastIndexOf(":");
    if (colon > 0 && host.indexOf("]") < colon) host = host.slice(0, colon);
    if (host !== "") u.domain = host;
    start = hostEnd;
  }
  const q = original.indexOf("?", start);
  const path = q < 0 ? original.slice(start) : original.slice(start, q);
  if (path !== "") u.path = path;
  if (q >= 0 && q + 1 < original.length) u.query = original.slice(q + 1);
}

/** Sets `http.request.method`. */
export function setMethod(ev: Ev, method: string): void {
  if (method !== "" && method !== "-") {
    ((ev.http ??= {}).request ??= {}).method = method.toUpperCase();
  }
}

/** Sets `http.response.status_code` when it is a 3-digit code. */
export function setStatus(ev: Ev, code: string | number): void {
  const n = toInt(code);
  if (n >= 100 && n <= 999) ((ev.http ??= {}).response ??= {}).status_code = n;
}

/** Sets `http.response.bytes`. */
export function setResponseBytes(ev: Ev, bytes: string | number): void {
  const n = toInt(bytes);
  if (n >= 0) ((ev.http ??= {}).response ??= {}).bytes = n;
}

/** Sets `dns.question.name` (lower case, trailing dot dropped). */
export function setQuery(ev: Ev, name: string): void {
  if (name === "" || name === "-") return;
  let n = name.toLowerCase();
  if (n.length > 1 && n.endsWith(".")) n = n.slice(0, -1);
  ((ev.dns ??= {}).question ??= {}).name = n;
}

/** Sets `dns.question.type` (upper case). */
export function setQueryType(ev: Ev, type: string): void {
  if (type !== "" && type !== "-") {
    ((ev.dns ??= {}).question ??= {}).type = type.toUpperCase();
  }
}

/** Sets `dns.response_code` (upper case). */
export function setRcode(ev: Ev, code: string): void {
  if (code !== "" && code !== "-") {
    (ev.dns ??= {}).response_code = code.toUpperCase();
  }
}

const HASH_NAMES: Record<number, "md5" | "sha1" | "sha256"> = {
  32: "md5",
  40: "sha1",
  64: "sha256",
};
const HEX_ONLY = /^[0-9a-f]+$/;

/**
 * Sets a hash on `process.hash` or `file.hash`. `kind` names it (md5, sha1,
 * sha256, imphash); without a kind it is told by length. Non-hex is ignored.
 */
export function setHash(
  ev: Ev,
  on: "process" | "file",
  value: string,
  kind?: string,
): void {
  const v = value.toLowerCase();
  if (!HEX_ONLY.test(v)) return;
  const k = kind ? kind.toLowerCase() : HASH_NAMES[v.length];
  if (k !== "md5" && k !== "sha1" && k !== "sha256" && k !== "imphash") return;
  const want = k === "sha1" ? 40 : k === "sha256" ? 64 : 32;
  if (v.length !== want) return;
  const holder = on === "process" ? (ev.process ??= {}) : (ev.file ??= {});
  (holder.hash ??= {})[k] = v;
}

/** Words meaning a connection or request was refused. */
const DENY_WORDS = new Set([
  "deny",
  "denied",
  "drop",
  "dropped",
  "block",
  "blocked",
  "reject",
  "rejected",
  "reset",
  "fail",
  "failed",
  "failure",
  "refused",
  "prevented",
  "quarantined",
  "server-rst",
  "client-rst",
  "timeout",
]);
/** Words meaning it went through. */
const ALLOW_WORDS = new Set([
  "allow",
  "allowed",
  "accept",
  "accepted",
  "permit",
  "permitted",
  "pass",
  "passed",
  "success",
  "succeeded",
  "successful",
  "ok",
  "close",
  "closed",
  "established",
  "alerted",
]);

/** Outcome of a firewall/IDS action word; "unknown" when not recognised. */
export function outcomeFromWord(word: string): Ev["outcome"] {
  const w = word.toLowerCase();
  if (DENY_WORDS.has(w)) return "failure";
  if (ALLOW_WORDS.has(w)) return "success";
  return "unknown";
}

/** A flat copy of `v` when it is long enough to be a slice (see {@link flatCopy}). */
function fl<T extends string | undefined>(v: T): T {
  return (v !== undefined && v.length >= 13 ? flatCopy(v) : v) as T;
}

/**
 * Replaces every long string the parse put into the event by a flat copy
 * (see {@link flatCopy}): substrings of a text payload are slices of it,
 * and one slice sends the whole record down JSON.stringify's slow path.
 * Named property reads per entity (not a generic walk or keys from a list),
 * so the checks stay cheap next to the copies. Absent values stay absent.
 */
export function flattenStrings(ev: Ev): void {
  const f = ev.fields;
  for (const k in f) {
    const v = f[k];
    if (v.length >= 13) f[k] = flatCopy(v);
  }
  const h = ev.host;
  if (h !== undefined) {
    if (h.name !== undefined) h.name = fl(h.name);
    if (h.ip !== undefined) h.ip = fl(h.ip);
  }
  const u = ev.user;
  if (u !== undefined) {
    if (u.name !== undefined) u.name = fl(u.name);
    if (u.domain !== undefined) u.domain = fl(u.domain);
    const t = u.target;
    if (t !== undefined) {
      if (t.name !== undefined) t.name = fl(t.name);
      if (t.domain !== undefined) t.domain = fl(t.domain);
    }
  }
  if (ev.source !== undefined) flatEndpoint(ev.source);
  if (ev.destination !== undefined) flatEndpoint(ev.destination);
  const n = ev.network;
  if (n !== undefined) {
    if (n.transport !== undefined) n.transport = fl(n.transport);
    if (n.protocol !== undefined) n.protocol = fl(n.protocol);
  }
  const p = ev.process;
  if (p !== undefined) {
    if (p.name !== undefined) p.name = fl(p.name);
    if (p.executable !== undefined) p.executable = fl(p.executable);
    if (p.command_line !== undefined) p.command_line = fl(p.command_line);
    if (p.hash !== undefined) flatHashes(p.hash);
    const pp = p.parent;
    if (pp !== undefined) {
      if (pp.name !== undefined) pp.name = fl(pp.name);
      if (pp.executable !== undefined) pp.executable = fl(pp.executable);
      if (pp.command_line !== undefined) {
        pp.command_line = fl(pp.command_line);
      }
    }
  }
  const file = ev.file;
  if (file !== undefined) {
    if (file.path !== undefined) file.path = fl(file.path);
    if (file.name !== undefined) file.name = fl(file.name);
    if (file.hash !== undefined) flatHashes(file.hash);
  }
  const d = ev.dns;
  if (d !== undefined) {
    if (d.response_code !== undefined) d.response_code = fl(d.response_code);
    const q = d.question;
    if (q !== undefined) {
      if (q.name !== undefined) q.name = fl(q.name);
      if (q.type !== undefined) q.type = fl(q.type);
    }
    const a = d.answers;
    if (a !== undefined) {
      for (let i = 0; i < a.length; i++) a[i] = fl(a[i]);
    }
  }
  const url = ev.url;
  if (url !== undefined) {
    if (url.original !== undefined) url.original = fl(url.original);
    if (url.domain !== undefined) url.domain = fl(url.domain);
    if (url.path !== undefined) url.path = fl(url.path);
    if (url.query !== undefined) url.query = fl(url.query);
  }
  const http = ev.http;
  if (http !== undefined) {
    if (http.user_agent !== undefined) http.user_agent = fl(http.user_agent);
    const r = http.request;
    if (r !== undefined) {
      if (r.method !== undefined) r.method = fl(r.method);
      if (r.referrer !== undefined) r.referrer = fl(r.referrer);
    }
  }
  ev.action = fl(ev.action);
}

function flatEndpoint(e: EnrichedEventEndpoint): void {
  if (e.ip !== undefined) e.ip = fl(e.ip);
  if (e.domain !== undefined) e.domain = fl(e.domain);
  const g = e.geo;
  if (g !== undefined) {
    if (g.country_name !== undefined) g.country_name = fl(g.country_name);
    if (g.city_name !== undefined) g.city_name = fl(g.city_name);
    if (g.country_iso_code !== undefined) {
      g.country_iso_code = fl(g.country_iso_code);
    }
  }
}

function flatHashes(h: NonNullable<NonNullable<Ev["file"]>["hash"]>): void {
  if (h.md5 !== undefined) h.md5 = fl(h.md5);
  if (h.sha1 !== undefined) h.sha1 = fl(h.sha1);
  if (h.sha256 !== undefined) h.sha256 = fl(h.sha256);
  if (h.imphash !== undefined) h.imphash = fl(h.imphash);
}
