/**
 * The parser stage core: RawEvent → EnrichedEvent (or a dead letter with a
 * precise reason). The format is sniffed from the first characters of each
 * record (an explicit `format` hint wins), then one format parser fills the
 * event; time, severity, IP class and lookups are settled at the end.
 *
 * Markers the parser adds to `fields`: `parser.format_hint` (a hint it did
 * not know), `parser.invalid_utf8` (the text held U+FFFD),
 * `parser.ts_implausible` (an event time before 2000 or more than a day
 * after receipt, replaced by received_at), `parser.ts_unreadable` (the
 * text of a time the record gave but that could not be trusted, such as an
 * unknown zone or an impossible date, replaced by received_at) and
 * `parser.repeats_emitted` (a repeat line's count was capped, see repeat.ts)
 * and `parser.truncated`
 * (comma-separated keys whose values were cut to 4096 characters,
 * FIELD_VALUE_MAX in _flatten.ts; the payload keeps them whole, so rules
 * can still reach the full value there).
 */
import type {
  DeadLetter,
  EnrichedEvent,
  RawEvent,
} from "../shared/contracts/mod.ts";
import { type AnyRecord, deadLetter } from "../shared/records.ts";
import type { Emitter, InputContext, Transform } from "../shared/stage.ts";
import {
  type Ev,
  flattenStrings,
  newState,
  type ParseState,
  resetState,
} from "./_event.ts";
import {
  parseAccessLog,
  parseApacheError,
  parseNginxError,
} from "./access_log.ts";
import { parseCefBody } from "./cef.ts";
import { keyStartsAt, parseKv } from "./kv.ts";
import { parseLeefBody } from "./leef.ts";
import { envelopeProblem, TENANT_MAX } from "./envelope.ts";
import { parseJsonObject } from "./json_event.ts";
import { capFields, FIELD_VALUE_MAX } from "./_flatten.ts";
import type { IndicatorLookup } from "./lookup.ts";
import type { GeoIpTable } from "./geoip.ts";
import { SEVERITIES } from "./severity.ts";
import { emitRepeatCopies } from "./repeat.ts";
import { parseSyslog } from "./syslog.ts";
import {
  canonicalIsoMs,
  CLOCK_SKEW_MS,
  impossibleDate,
  isoFromMs,
  monthAt,
  parseIsoAt,
} from "./time.ts";
import {
  parseNxlogWindows,
  parseWindows,
  parseWinlogbeat,
  windowsSystem,
} from "./windows.ts";
import { isZeek, parseZeek } from "./zeek.ts";
import { isJournald, parseJournald } from "./journald.ts";
import { auditHead, parseAuditd } from "./auditd.ts";
import { isSuricata, parseSuricata } from "./suricata.ts";
import { cloudTrailRecord, parseCloudTrail } from "./cloudtrail.ts";
import { oktaEvent, parseOkta } from "./okta.ts";
import { azureSignIn, parseAzureSignIn } from "./azure_signin.ts";
import { isAsaAt } from "./cisco_asa.ts";
import { isPanOsAt } from "./panos.ts";

/**
 * Event times before this (2000-01-01) are implausible: a clock reset to the
 * epoch or a bare number read as a time. The store refuses 1970 outright.
 */
const TS_MIN_MS = 946684800000;
/**
 * Event times more than a day after receipt are implausible too (the same
 * allowance the year guess of year-less times uses).
 */
const TS_AHEAD_MAX_MS = CLOCK_SKEW_MS;
/**
 * Field holding an implausible event time (ISO) that was replaced by
 * received_at (ts_source "received_at").
 */
const TS_IMPLAUSIBLE_KEY = "parser.ts_implausible";
/**
 * Field holding the text of a time the record gave but that could not be
 * trusted (unknown zone, impossible date): ts is received_at instead.
 */
const TS_UNREADABLE_KEY = "parser.ts_unreadable";

/** Options of {@link createParser} / {@link parseRawEvent}. */
export interface ParserOptions {
  /** Indicator lookup whose matches go to `enrichment`. */
  lookup?: IndicatorLookup;
  /** Country tables for public source/destination addresses without one. */
  geoip?: GeoIpTable;
  /** Tenant for RawEvents that carry none. @default "default" */
  defaultTenant?: string;
}

// Format codes chosen by sniffing or by hint.
const AUTO = 0,
  SYSLOG = 1,
  CEF = 2,
  LEEF = 3,
  KV = 4,
  JSON_TEXT = 5,
  ACCESS = 6,
  APACHE_ERROR = 7,
  NGINX_ERROR = 8,
  ZEEK = 9,
  WINDOWS = 10,
  UNKNOWN = -1;

/** Format hints accepted in RawEvent.format (case-insensitive). */
const HINTS = new Map<string, number>([
  ["syslog", SYSLOG],
  ["rfc3164", SYSLOG],
  ["rfc5424", SYSLOG],
  ["cef", CEF],
  ["leef", LEEF],
  ["kv", KV],
  ["keyvalue", KV],
  ["key_value", KV],
  ["json", JSON_TEXT],
  ["ecs", JSON_TEXT],
  ["apache_access", ACCESS],
  ["nginx_access", ACCESS],
  ["access_log", ACCESS],
  ["clf", ACCESS],
  ["apache_error", APACHE_ERROR],
  ["nginx_error", NGINX_ERROR],
  ["zeek", ZEEK],
  ["zeek_conn", ZEEK],
  ["zeek_dns", ZEEK],
  ["zeek_http", ZEEK],
  ["windows_evtx", WINDOWS],
  ["evtx", WINDOWS],
  ["windows", WINDOWS],
  ["generator", AUTO],
  ["auto", AUTO],
]);

/** True when `hint` is a format hint the parser knows (case-insensitive). */
export function isFormatHint(hint: string): boolean {
  return HINTS.has(hint) || HINTS.has(hint.toLowerCase());
}

/** The accepted format hints, for usage messages. */
export const FORMAT_HINTS: readonly string[] = [...HINTS.keys()];

/** Names of the format codes, for reasons. */
const NAMES: Record<number, string> = {
  [SYSLOG]: "syslog",
  [CEF]: "cef",
  [LEEF]: "leef",
  [KV]: "kv",
  [JSON_TEXT]: "json",
  [ACCESS]: "access log",
  [APACHE_ERROR]: "apache error log",
  [NGINX_ERROR]: "nginx error log",
  [ZEEK]: "zeek",
  [WINDOWS]: "windows event",
};

/** Picks a format from the first characters of a text payload. */
function sniff(s: string): number {
  const c = s.charCodeAt(0);
  switch (c) {
    case 60: // <
      return SYSLOG;
    case 37: // % (a Cisco ASA message without a syslog header)
      if (isAsaAt(s, 0)) return SYSLOG;
      break;
    case 44: // , (a PAN-OS CSV log whose first column is empty)
      if (isPanOsAt(s, 0)) return SYSLOG;
      break;
    case 123: // {
      return JSON_TEXT;
    case 91: // [
      return APACHE_ERROR;
    case 67: // C
      if (s.startsWith("CEF:")) return CEF;
      break;
    case 76: // L
      if (s.startsWith("LEEF:")) return LEEF;
      break;
  }
  if (c >= 65 && c <= 83 && s.charCodeAt(3) === 32 && monthAt(s, 0) >= 0) {
    return SYSLOG; // "Nov 24 10:00:00 host …"
  }
  if (c >= 48 && c <= 57) {
    if (s.charCodeAt(1) === 44 && isPanOsAt(s, 0)) return SYSLOG; // "1,2026/…"
    const c4 = s.charCodeAt(4);
    if (c4 === 45) {
      const ms = parseIsoAt(s, 0); // parsed once; NaN when not a time
      // ISO-stamped syslog (a well-formed time of a day that does not exist
      // too: the line is read, its ts falls back to receipt).
      if (ms === ms || impossibleDate) return SYSLOG;
    }
    if (c4 === 47 && s.charCodeAt(7) === 47) return NGINX_ERROR; // 2026/11/24 …
    if (s.indexOf(" [") > 0) return ACCESS;
  }
  // An IPv6 client ("2001:db8::1 - - [", "::1 - - ["): a ':' among the first
  // characters. indexOf is -1 without one, which must not count ("ERROR […").
  if (isHex(c) || c === 58) {
    const colon = s.indexOf(":");
    if (colon >= 0 && colon < 6 && s.indexOf(" [") > 0) return ACCESS;
  }
  if (keyStartsAt(s, 0)) return KV;
  if (isVhostAccess(s) || hasClfTime(s)) return ACCESS;
  return UNKNOWN;
}

/**
 * An access line whose client is a host name, or behind a vhost without
 * port (`monitoring-server - - [29/May/2017:…`): ` [dd/Mon/` early on.
 */
function hasClfTime(s: string): boolean {
  const b = s.indexOf(" [");
  // `[04/Dec/2005:04:47:44`: digits, '/', month, '/', a year, ':'. Only the
  // slashes would take any bracketed `[ab/cde/fg]` for an access log.
  return b > 0 && b < 512 && s.charCodeAt(b + 4) === 47 &&
    s.charCodeAt(b + 8) === 47 && isDigit(s.charCodeAt(b + 2)) &&
    isDigit(s.charCodeAt(b + 3)) && isDigit(s.charCodeAt(b + 9)) &&
    s.charCodeAt(b + 13) === 58;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * A vhost_combined access line (`www.example.com:80 10.0.0.1 - - [`): a
 * first token ending in `:port`, then a client and a bracketed time.
 */
function isVhostAccess(s: string): boolean {
  const sp = s.indexOf(" ");
  if (sp < 3) return false;
  const colon = s.lastIndexOf(":", sp);
  if (colon <= 0 || colon + 1 >= sp) return false;
  for (let i = colon + 1; i < sp; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return s.indexOf(" [", sp) > 0;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/**
 * Builds the event skeleton from the RawEvent (ids, tenant, payload kept).
 * Every optional entity is declared up front as `undefined` (which
 * JSON.stringify omits), so all events share one hidden class: the setters,
 * the flattening and the serializer then read and write `ev.host`,
 * `ev.source`, … through monomorphic property accesses instead of one
 * shape per combination of entities a format happens to fill.
 */
function newEvent(raw: RawEvent, tenant: string): Ev {
  return {
    record: "enriched_event",
    event_id: raw.event_id,
    received_at: raw.received_at,
    tenant,
    source_name: raw.source_name,
    transport: raw.transport,
    ingest_node: raw.ingest_node,
    format: "unknown",
    ts: "",
    ts_source: "event",
    category: "other",
    action: "unclassified",
    outcome: "unknown",
    severity: "informational",
    host: undefined,
    user: undefined,
    source: undefined,
    destination: undefined,
    network: undefined,
    process: undefined,
    file: undefined,
    dns: undefined,
    url: undefined,
    http: undefined,
    enrichment: undefined,
    fields: {},
    payload: raw.payload,
    ground_truth: undefined,
  };
}

/** Parses a text payload with the chosen format; null or the failure reason. */
function parseText(
  ev: Ev,
  st: ParseState,
  text: string,
  fmt: number,
): string | null {
  switch (fmt) {
    case SYSLOG:
      return parseSyslog(ev, st, text);
    case CEF: {
      if (text.startsWith("CEF:")) {
        ev.format = "cef";
        return parseCefBody(ev, st, text);
      }
      const r = parseSyslog(ev, st, text);
      return r ??
        (ev.format === "cef" ? null : "format hint 'cef' but no 'CEF:' header");
    }
    case LEEF: {
      if (text.startsWith("LEEF:")) {
        ev.format = "leef";
        return parseLeefBody(ev, st, text);
      }
      const r = parseSyslog(ev, st, text);
      return r ??
        (ev.format === "leef"
          ? null
          : "format hint 'leef' but no 'LEEF:' header");
    }
    case KV: {
      const audit = auditHead(text);
      if (audit !== null) return parseAuditd(ev, st, text, audit);
      ev.format = "kv";
      return parseKv(ev, st, text);
    }
    case ACCESS:
      ev.format = "apache_access";
      return parseAccessLog(ev, st, text);
    case APACHE_ERROR:
      ev.format = "apache_error";
      return parseApacheError(ev, st, text);
    case NGINX_ERROR:
      ev.format = "nginx_error";
      return parseNginxError(ev, st, text);
    case JSON_TEXT:
    case ZEEK:
    case WINDOWS: {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        return `payload looks like JSON but does not parse: ${
          (e as Error).message
        }`;
      }
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        return `JSON payload is ${
          Array.isArray(value)
            ? "an array"
            : value === null
            ? "null"
            : `a ${typeof value}`
        }, expected an object`;
      }
      return parseObject(ev, st, value as Record<string, unknown>, fmt);
    }
  }
  return "unknown_format";
}

/** Parses an object payload (or a parsed JSON line). */
function parseObject(
  ev: Ev,
  st: ParseState,
  o: Record<string, unknown>,
  fmt: number,
): string | null {
  const sys = windowsSystem(o);
  if (sys !== null && fmt !== ZEEK) return parseWindows(ev, st, o, sys);
  // Windows events as Winlogbeat and NXLog ship them (undefined: not one).
  const win = fmt === ZEEK
    ? undefined
    : o.winlog !== undefined
    ? parseWinlogbeat(ev, st, o)
    : o.Channel !== undefined
    ? parseNxlogWindows(ev, st, o)
    : undefined;
  if (win !== undefined) return win;
  if (fmt === WINDOWS) {
    return "format hint 'windows_evtx' but no Event.System in the object (nor Winlogbeat's winlog, nor NXLog's Channel and EventID)";
  }
  if (isZeek(o)) return parseZeek(ev, st, o);
  if (isJournald(o)) return parseJournald(ev, st, o);
  if (isSuricata(o)) return parseSuricata(ev, st, o);
  const trail = cloudTrailRecord(o);
  if (trail !== null) return parseCloudTrail(ev, st, trail);
  const okta = oktaEvent(o);
  if (okta !== null) return parseOkta(ev, st, okta);
  const signIn = azureSignIn(o);
  if (signIn !== null) return parseAzureSignIn(ev, st, o, signIn);
  if (fmt === ZEEK) {
    return "format hint 'zeek' but no uid/id.orig_h in the object";
  }
  return parseJsonObject(ev, st, o);
}

function preview(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}

/** Context of a dead letter for `raw` (built only when one is needed). */
function deadContext(
  raw: RawEvent,
  tenant: string,
  line: number | undefined,
): { event_id?: string; tenant: string; line?: number } {
  const id = raw.event_id as unknown;
  return { event_id: typeof id === "string" ? id : undefined, tenant, line };
}

/**
 * Parses one RawEvent. `st` is reusable scratch (see {@link newState}).
 * Never throws for bad data: returns a dead letter instead. For a
 * `message repeated N times` line this is the line's own (first) event;
 * `st.repeat` then says how many it stands for, and
 * {@link ParserTransform} emits the other copies (repeat.ts).
 */
export function parseRawEvent(
  raw: RawEvent,
  st: ParseState,
  opts: ParserOptions = {},
  line?: number,
): EnrichedEvent | DeadLetter {
  const tenant = typeof raw.tenant === "string" && raw.tenant !== "" &&
      raw.tenant.length <= TENANT_MAX
    ? raw.tenant
    : opts.defaultTenant ?? "default";
  let receivedMs = NaN;
  if (typeof raw.received_at === "string") {
    receivedMs = canonicalIsoMs(raw.received_at, true);
    if (receivedMs !== receivedMs) receivedMs = parseIsoAt(raw.received_at, 0);
  }
  if (receivedMs !== receivedMs) {
    return deadLetter(
      "parser",
      "schema",
      `raw_event: received_at ${
        JSON.stringify(raw.received_at)
      } is not an RFC 3339 time`,
      raw,
      deadContext(raw, tenant, line),
    );
  }
  const bad = envelopeProblem(raw);
  if (bad !== null) {
    return deadLetter(
      "parser",
      "schema",
      `raw_event: ${bad}`,
      raw,
      deadContext(raw, tenant, line),
    );
  }
  resetState(st, receivedMs);
  const ev = newEvent(raw, tenant);
  const payload = raw.payload;
  let fmt = AUTO;
  if (raw.format !== undefined) {
    const h = HINTS.get(raw.format) ??
      HINTS.get(String(raw.format).toLowerCase());
    if (h === undefined) {
      ev.fields["parser.format_hint"] = String(raw.format);
    } else fmt = h;
  }
  let failure: string | null;
  let crashed = false;
  try {
    if (typeof payload === "string") {
      let text = payload;
      if (
        text.charCodeAt(text.length - 1) === 13 || text.charCodeAt(0) === 32
      ) text = text.trim();
      if (text === "") {
        return deadLetter(
          "parser",
          "unparseable",
          "empty payload",
          raw,
          deadContext(raw, tenant, line),
        );
      }
      if (fmt === AUTO) fmt = sniff(text);
      if (fmt === UNKNOWN) {
        return deadLetter(
          "parser",
          "unknown_format",
          `no known log format matches a payload starting ${preview(text)}`,
          raw,
          deadContext(raw, tenant, line),
        );
      }
      failure = parseText(ev, st, text, fmt);
      if (failure === null) {
        // Values cut from a text line are no longer than the line; only a
        // long line, or JSON (whose nested values may be re-serialized), can
        // hold an over-long one.
        if (
          text.length > FIELD_VALUE_MAX || fmt === JSON_TEXT || fmt === ZEEK ||
          fmt === WINDOWS
        ) capFields(ev);
        flattenStrings(ev);
      }
      if (text.indexOf("\uFFFD") >= 0) {
        ev.fields["parser.invalid_utf8"] = "true";
      }
    } else if (
      typeof payload === "object" && payload !== null && !Array.isArray(payload)
    ) {
      failure = parseObject(
        ev,
        st,
        payload,
        fmt === AUTO || fmt === JSON_TEXT ? AUTO : fmt,
      );
      if (failure === null) {
        capFields(ev);
        if (st.sliced) flattenStrings(ev);
      }
    } else {
      return deadLetter(
        "parser",
        "unparseable",
        "payload must be a string or a JSON object",
        raw,
        deadContext(raw, tenant, line),
      );
    }
  } catch (e) {
    // A parser bug must not stop the stream: the record is kept, with why.
    // It is our failure, not the input's: processing_error, not unparseable.
    failure = `parser error: ${(e as Error)?.message ?? e}`;
    crashed = true;
  }
  if (failure !== null) {
    const where = fmt > 0 ? NAMES[fmt] : "";
    const reason = failure.startsWith(where) || where === ""
      ? failure
      : `${where}: ${failure}`;
    return deadLetter(
      "parser",
      crashed ? "processing_error" : "unparseable",
      reason,
      raw,
      deadContext(raw, tenant, line),
    );
  }
  const tsMs = st.tsMs;
  if (tsMs >= TS_MIN_MS && tsMs <= receivedMs + TS_AHEAD_MAX_MS) {
    ev.ts = isoFromMs(tsMs);
  } else {
    // No time, or one no real event has (a clock at 1970, a typo'd year):
    // the receipt time stands in, and the time read is kept for analysts.
    if (tsMs === tsMs) ev.fields[TS_IMPLAUSIBLE_KEY] = isoFromMs(tsMs);
    else if (st.tsUnread !== "") ev.fields[TS_UNREADABLE_KEY] = st.tsUnread;
    ev.ts = isoFromMs(receivedMs);
    ev.ts_source = "received_at";
  }
  ev.severity = SEVERITIES[st.sev > st.floor ? st.sev : st.floor];
  if (raw.ground_truth !== undefined) ev.ground_truth = raw.ground_truth;
  if (opts.geoip !== undefined) opts.geoip.enrich(ev);
  if (opts.lookup !== undefined) opts.lookup.enrich(ev);
  return ev;
}

/** The parser stage as a {@link Transform}: RawEvent in, EnrichedEvent or dead letter out. */
export class ParserTransform implements Transform {
  readonly accepts = ["raw_event"] as const;
  readonly #opts: ParserOptions;
  readonly #st = newState();
  #enriched = 0;
  #dead = 0;
  #unknownHints = 0;
  #repeatLines = 0;
  #repeatCopies = 0;
  readonly #byFormat: Record<string, number> = {};

  constructor(opts: ParserOptions = {}) {
    this.#opts = opts;
  }

  /** Parses one RawEvent and emits the result. */
  push(record: AnyRecord, out: Emitter, ctx: InputContext): void {
    const r = parseRawEvent(record as RawEvent, this.#st, this.#opts, ctx.line);
    if (r.record === "enriched_event") {
      this.#enriched++;
      // An unknown hint fell back to auto-detection; counted so the
      // end-of-run summary shows it (the event notes it in fields).
      if (
        (record as RawEvent).format !== undefined &&
        r.fields["parser.format_hint"] !== undefined
      ) this.#unknownHints++;
      this.#byFormat[r.format] = (this.#byFormat[r.format] ?? 0) + 1;
      out.emit(r);
      // `message repeated N times: [ … ]` stands for N events (repeat.ts).
      if (this.#st.repeat > 1) {
        this.#repeatLines++;
        this.#repeatCopies += emitRepeatCopies(r, this.#st.repeat, out);
      }
      return;
    }
    this.#dead++;
    out.emit(r);
  }

  /**
   * Counts for the end-of-run summary. `enriched`, `dead_letters` and
   * `by_format` count input records (enriched + dead_letters = records
   * read); `repeat_copies` counts the extra events repeat lines gave
   * (`repeat_lines` of them), so events written = enriched + repeat_copies.
   */
  stats(): Record<string, unknown> {
    return {
      enriched: this.#enriched,
      dead_letters: this.#dead,
      repeat_lines: this.#repeatLines,
      repeat_copies: this.#repeatCopies,
      unknown_format_hints: this.#unknownHints,
      by_format: { ...this.#byFormat },
    };
  }
}

/** Creates the parser stage core. */
export function createParser(opts: ParserOptions = {}): ParserTransform {
  return new ParserTransform(opts);
}
