/**
 * ArcSight Common Event Format:
 * `CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension`.
 * Header fields escape `|` and `\`; extension values escape `=`, `\`, and
 * newlines, and run until the next ` key=`.
 */
import type { Ev, ParseState } from "./_event.ts";
import { classifyByEntities } from "./_classify.ts";
import { applyKey } from "./_keys.ts";
import { severityFromCef } from "./severity.ts";
import { parseTimestamp } from "./time.ts";

const HEADER_NAMES = [
  "cef.version",
  "cef.device_vendor",
  "cef.device_product",
  "cef.device_version",
  "cef.signature_id",
  "cef.name",
  "cef.severity",
];
const ESCAPE = /\\(.)/g;

function unescapeChar(_m: string, c: string): string {
  return c === "n" ? "\n" : c === "r" ? "\r" : c === "t" ? "\t" : c;
}

/** Undoes CEF/LEEF backslash escapes (only when there is a backslash). */
export function unescapeValue(v: string): string {
  return v.indexOf("\\") < 0 ? v : v.replace(ESCAPE, unescapeChar);
}

/**
 * Parses a CEF record starting at "CEF:" into `ev`. Returns null on success,
 * else why it is not CEF.
 */
export function parseCefBody(
  ev: Ev,
  st: ParseState,
  text: string,
): string | null {
  // Header: seven '|' separators, honouring "\|".
  let i = 4;
  let name = "";
  let vendor = "";
  for (let f = 0; f < 7; f++) {
    let j = i;
    let escaped = false;
    while (j < text.length) {
      const c = text.charCodeAt(j);
      if (c === 92) {
        escaped = true;
        j += 2;
        continue;
      }
      if (c === 124) break;
      j++;
    }
    if (j >= text.length) {
      return `cef: header has ${f} of 7 '|' separators (truncated?)`;
    }
    let value = text.slice(i, j);
    if (escaped) value = unescapeValue(value);
    if (f === 0 && (value === "" || value.length > 3)) {
      return `cef: bad version ${JSON.stringify(value)}`;
    }
    if (f === 1) vendor = value;
    if (f === 5) name = value;
    if (f === 6) {
      const s = severityFromCef(value.trim());
      if (s >= 0) st.sev = s;
    }
    if (value !== "") ev.fields[HEADER_NAMES[f]] = value;
    i = j + 1;
  }
  parseExtension(ev, st, text, i, vendor === "Fortinet");
  classifyByEntities(ev, st, name);
  return null;
}

/** Parses `key=value key2=value with spaces` from `start` (CEF extension). */
function parseExtension(
  ev: Ev,
  st: ParseState,
  text: string,
  start: number,
  sentIsOut: boolean,
): void {
  const n = text.length;
  let keyStart = start;
  while (keyStart < n && text.charCodeAt(keyStart) === 32) keyStart++;
  let eq = nextEquals(text, keyStart);
  let labels = false;
  let startText = "";
  let endText = "";
  while (eq > 0) {
    let key = text.slice(keyStart, eq);
    // The value runs to the next " key=". Many devices leave '=' inside a
    // value unescaped (request=https://x/a?b=c): an '=' with no space
    // before it since this value began, or after a token that is no key,
    // is part of the value.
    let next = nextEquals(text, eq + 1);
    let valueEnd = n;
    while (next > 0) {
      valueEnd = text.lastIndexOf(" ", next);
      if (valueEnd > eq && isExtensionKey(text, valueEnd + 1, next)) break;
      next = nextEquals(text, next + 1);
    }
    if (next < 0) valueEnd = n;
    let value = text.slice(eq + 1, valueEnd);
    if (value.charCodeAt(value.length - 1) === 32) value = value.trimEnd();
    value = unescapeValue(value);
    // ArcSight long names ("full names") mean what their short keys mean.
    const short = LONG_NAMES.get(key);
    const fieldKey = key;
    if (short !== undefined) key = short;
    if (key.endsWith("Label")) labels = true;
    else if (key === "start") startText = value;
    else if (key === "end") endText = value;
    // The CEF spec counts `in` as source→destination bytes (so does Elastic);
    // FortiGate writes its sentbyte as `out` and rcvdbyte as `in`.
    if (sentIsOut && (key === "in" || key === "out")) {
      applyKey(ev, st, key === "out" ? "sentbyte" : "rcvdbyte", value);
    } else applyKey(ev, st, key, value, fieldKey);
    if (next < 0) break;
    keyStart = valueEnd + 1;
    eq = next;
  }
  if (labels) applyLabels(ev);
  // No rt: the activity's start (else its end) is the event time.
  if (st.tsMs !== st.tsMs && (startText !== "" || endText !== "")) {
    activityTime(st, startText, endText);
  }
}

/** Sets the event time from CEF `start`, else `end` (both stay in fields). */
function activityTime(st: ParseState, start: string, end: string): void {
  for (const t of [start, end]) {
    if (t === "") continue;
    const ms = parseTimestamp(t, st.refMs);
    if (ms === ms) {
      st.tsMs = ms;
      return;
    }
    st.tsUnread = t;
  }
}

/**
 * True when `text[from, to)` can be a CEF extension key: letters, digits,
 * `_`, `.`, `-` (ArcSight's `ad.` keys, vendors' own), not empty.
 */
function isExtensionKey(text: string, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (
      !((c >= 97 && c <= 122) || (c >= 65 && c <= 90) ||
        (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45)
    ) return false;
  }
  return true;
}

/** Index of the next unescaped '=' at or after `i`, or -1. */
function nextEquals(text: string, i: number): number {
  for (;;) {
    const eq = text.indexOf("=", i);
    if (eq <= 0) return eq;
    if (text.charCodeAt(eq - 1) !== 92) return eq;
    i = eq + 1;
  }
}

/**
 * ArcSight's long key names → the short keys the parser reads, for every
 * short key it maps onto an entity or the time. A value that fails
 * validation stays in fields under the name the record used.
 */
const LONG_NAMES = new Map<string, string>([
  ["deviceAction", "act"],
  ["applicationProtocol", "app"],
  ["destinationHostName", "dhost"],
  ["destinationPort", "dpt"],
  ["destinationAddress", "dst"],
  ["destinationUserName", "duser"],
  ["deviceAddress", "dvc"],
  ["deviceHostName", "dvchost"],
  ["endTime", "end"],
  ["fileName", "fname"],
  ["bytesIn", "in"],
  ["bytesOut", "out"],
  ["transportProtocol", "proto"],
  ["requestUrl", "request"],
  ["deviceReceiptTime", "rt"],
  ["sourceHostName", "shost"],
  ["sourceProcessId", "spid"],
  ["sourceProcessName", "sproc"],
  ["sourcePort", "spt"],
  ["sourceAddress", "src"],
  ["startTime", "start"],
  ["sourceUserName", "suser"],
]);

/**
 * Custom fields are also kept under their label: `cs1=… cs1Label=Policy`,
 * and so for every `<key>Label` (cn*, cfp*, c6a*, deviceCustomDate*, flex*,
 * long names such as deviceCustomString1Label).
 */
function applyLabels(ev: Ev): void {
  const f = ev.fields;
  const labelled: string[] = [];
  for (const k in f) if (k.endsWith("Label")) labelled.push(k);
  for (const k of labelled) {
    const label = f[k];
    const value = f[k.slice(0, -5)];
    if (label !== "" && value !== undefined && f[label] === undefined) {
      f[label] = value;
    }
  }
}
