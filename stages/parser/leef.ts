/**
 * IBM QRadar Log Event Extended Format: `LEEF:1.0|Vendor|Product|Version|EventID|k=v<TAB>k=v`,
 * and LEEF 2.0 with a delimiter field after the event id (`|^|` or `|x5E|`).
 */
import type { Ev, ParseState } from "./_event.ts";
import { classifyByEntities } from "./_classify.ts";
import { applyKey } from "./_keys.ts";
import { severityFromCef } from "./severity.ts";
import { parseTimestamp, parseWithPattern, plausibleMs } from "./time.ts";

const HEADER_NAMES = [
  "leef.version",
  "leef.vendor",
  "leef.product",
  "leef.product_version",
  "leef.event_id",
];

/** Reads a LEEF 2.0 delimiter field: one character, or hex as `x09`/`0x09`. */
function delimiterOf(field: string): string | null {
  if (field.length === 1) return field;
  const hex = field.startsWith("0x")
    ? field.slice(2)
    : field.startsWith("x")
    ? field.slice(1)
    : "";
  if (hex.length >= 1 && hex.length <= 4) {
    const code = parseInt(hex, 16);
    if (code === code) return String.fromCharCode(code);
  }
  return null;
}

/** Parses a LEEF record starting at "LEEF:"; null on success, else the reason. */
export function parseLeefBody(
  ev: Ev,
  st: ParseState,
  text: string,
): string | null {
  let i = 5;
  let eventId = "";
  for (let f = 0; f < 5; f++) {
    const j = text.indexOf("|", i);
    if (j < 0) return `leef: header has ${f} of 5 '|' separators (truncated?)`;
    const value = text.slice(i, j);
    if (f === 0 && !(value.startsWith("1") || value.startsWith("2"))) {
      return `leef: unsupported version ${JSON.stringify(value)}`;
    }
    if (f === 4) eventId = value;
    if (value !== "") ev.fields[HEADER_NAMES[f]] = value;
    i = j + 1;
  }
  let delim = "\t";
  if (text.charCodeAt(5) === 50) { // LEEF:2.x may name its delimiter
    const j = text.indexOf("|", i);
    if (j >= 0 && j - i <= 6) {
      const d = delimiterOf(text.slice(i, j));
      if (d !== null) {
        delim = d;
        i = j + 1;
      }
    }
  }
  let devTime = "";
  let devTimeFormat = "";
  while (i < text.length) {
    let end = text.indexOf(delim, i);
    if (end < 0) end = text.length;
    const eq = text.indexOf("=", i);
    if (eq > i && eq < end) {
      const key = text.slice(i, eq);
      // LEEF defines no escapes (unlike CEF): a backslash is data, as in
      // CORP\alice or C:\temp\new.txt, and the value is kept as written.
      const value = text.slice(eq + 1, end);
      if (key === "sev") {
        const s = severityFromCef(value);
        if (s >= 0) st.sev = s;
        ev.fields.sev = value;
      } else if (key === "devTime") devTime = value;
      else {
        if (key === "devTimeFormat") devTimeFormat = value;
        applyKey(ev, st, key, value);
      }
    }
    i = end + delim.length;
  }
  if (devTime !== "") readDevTime(ev, st, devTime, devTimeFormat);
  classifyByEntities(ev, st, `${eventId} ${ev.fields.cat ?? ""}`);
  return null;
}

/**
 * Sets the event time from `devTime`, read with the record's
 * `devTimeFormat` (a Java SimpleDateFormat) when it has one, else in any
 * common form (IBM's default `MMM dd yyyy HH:mm:ss`, epoch ms). Unreadable,
 * it stays in fields under its own name, and ts falls back to receipt.
 */
function readDevTime(
  ev: Ev,
  st: ParseState,
  devTime: string,
  format: string,
): void {
  let ms = NaN;
  if (format !== "") {
    ms = parseWithPattern(devTime, format, st.refMs);
    if (!plausibleMs(ms)) ms = NaN;
  }
  if (ms !== ms) ms = parseTimestamp(devTime, st.refMs);
  if (ms === ms) st.tsMs = ms;
  else {
    ev.fields.devTime = devTime;
    st.tsUnread = devTime;
  }
}
