/**
 * Renders events the way real systems write them: RFC 3164 syslog lines
 * (sshd, sudo, useradd, usermod), CEF firewall lines, Apache combined access
 * lines, and ECS-shaped JSON objects. Timestamps are UTC.
 */

const MONTHS = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
];

function pad2(n: number): string {
  return n < 10 ? "0" + n : String(n);
}

/**
 * Formats times whose whole-second part repeats (at high rates hundreds of
 * events share a second): the second's text is computed once and reused.
 */
class SecondCache {
  #sec = NaN;
  #text = "";
  constructor(readonly format: (ms: number) => string) {}
  get(ms: number): string {
    const sec = Math.floor(ms / 1000);
    if (sec !== this.#sec) {
      this.#sec = sec;
      this.#text = this.format(sec * 1000);
    }
    return this.#text;
  }
}

const MS3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));

function isoSecondPrefix(ms: number): string {
  // "2026-11-24T10:00:00." without the milliseconds.
  return new Date(ms).toISOString().slice(0, 20);
}

const isoEvent = new SecondCache(isoSecondPrefix);
const isoReceived = new SecondCache(isoSecondPrefix);

/** 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z in epoch ms. */
const RFC3339_FIRST_MS = -62167219200000;
const RFC3339_END_MS = 253402300800000;

/**
 * True when `ms` has an RFC 3339 text: a four-digit year (0000 … 9999).
 * Dates beyond (JavaScript reaches ±275760) print a six-digit signed year.
 */
export function rfc3339Representable(ms: number): boolean {
  return ms >= RFC3339_FIRST_MS && ms < RFC3339_END_MS;
}

/**
 * RFC 3339 UTC with milliseconds, e.g. 2026-11-24T10:00:00.123Z. A time
 * with no RFC 3339 text (a replayed `+275760-…` timestamp) is replaced by
 * now, so no record ever carries an invalid time; callers that want to
 * say so check {@link rfc3339Representable} first.
 */
export function isoTime(ms: number): string {
  const t = Math.floor(rfc3339Representable(ms) ? ms : Date.now());
  return isoEvent.get(t) + MS3[((t % 1000) + 1000) % 1000] + "Z";
}

/**
 * {@link isoTime} with its own cache, for a second clock that runs slightly
 * apart from the first (received_at vs event time), so neither evicts the
 * other.
 */
export function isoTimeReceived(ms: number): string {
  const t = Math.floor(rfc3339Representable(ms) ? ms : Date.now());
  return isoReceived.get(t) + MS3[((t % 1000) + 1000) % 1000] + "Z";
}

function syslogTimeUncached(ms: number): string {
  const d = new Date(ms);
  const day = d.getUTCDate();
  return `${MONTHS[d.getUTCMonth()]} ${day < 10 ? " " + day : day} ${
    pad2(d.getUTCHours())
  }:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

function apacheTimeUncached(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getUTCDate())}/${
    MONTHS[d.getUTCMonth()]
  }/${d.getUTCFullYear()}:${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${
    pad2(d.getUTCSeconds())
  } +0000`;
}

const syslogCache = new SecondCache(syslogTimeUncached);
const apacheCache = new SecondCache(apacheTimeUncached);

/** RFC 3164 timestamp, e.g. `Nov  4 10:00:00` (day space-padded). */
export function syslogTime(ms: number): string {
  return syslogCache.get(ms);
}

/** Apache access-log timestamp, e.g. `24/Nov/2026:10:00:00 +0000`. */
export function apacheTime(ms: number): string {
  return apacheCache.get(ms);
}

/**
 * An RFC 3164 line as written to /var/log/auth.log:
 * `Nov 24 10:00:00 web-01 sshd[1234]: message`.
 */
export function syslogLine(
  ms: number,
  host: string,
  program: string,
  pid: number | undefined,
  message: string,
): string {
  return `${syslogTime(ms)} ${host} ${program}${
    pid === undefined ? "" : `[${pid}]`
  }: ${message}`;
}

/** Escapes a CEF header field (`|` and `\`). */
function cefHeader(s: string): string {
  return s.replace(/[\\|]/g, (c) => "\\" + c);
}

/** Escapes a CEF extension value (`=`, `\`, newlines). */
function cefValue(s: string): string {
  return s.replace(/[\\=]/g, (c) => "\\" + c).replace(/\r?\n/g, "\\n");
}

/** The header of a CEF record. */
export interface CefHeader {
  vendor: string;
  product: string;
  version: string;
  signatureId: string;
  name: string;
  /** 0–10. */
  severity: number;
}

/**
 * A CEF:0 line behind an RFC 3164 header, as firewalls forward it:
 * `Nov 24 10:00:00 fw-edge-01 CEF:0|Vendor|Product|1.0|id|name|5|src=… dst=…`.
 */
export function cefLine(
  ms: number,
  host: string,
  h: CefHeader,
  extension: Record<string, string | number>,
): string {
  let ext = "";
  for (const k in extension) {
    const v = extension[k];
    ext += (ext ? " " : "") + k + "=" +
      (typeof v === "number" ? String(v) : cefValue(v));
  }
  return `${syslogTime(ms)} ${host} CEF:0|${cefHeader(h.vendor)}|${
    cefHeader(h.product)
  }|${cefHeader(h.version)}|${cefHeader(h.signatureId)}|${
    cefHeader(h.name)
  }|${h.severity}|${ext}`;
}

/** One request for {@link apacheAccessLine}. */
export interface HttpRequestLine {
  clientIp: string;
  user?: string;
  method: string;
  path: string;
  status: number;
  bytes: number;
  referrer?: string;
  userAgent: string;
}

/**
 * An Apache combined log format line:
 * `10.0.0.5 - - [24/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 512 "-" "Mozilla/5.0"`.
 */
export function apacheAccessLine(ms: number, r: HttpRequestLine): string {
  return `${r.clientIp} - ${r.user ?? "-"} [${
    apacheTime(ms)
  }] "${r.method} ${r.path} HTTP/1.1" ${r.status} ${
    r.bytes === 0 ? "-" : r.bytes
  } "${r.referrer ?? "-"}" "${r.userAgent}"`;
}
