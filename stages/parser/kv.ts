/**
 * key=value lines (`src=1.2.3.4 dst=10.0.0.5 action=deny msg="port scan"`),
 * as firewalls (FortiGate, Juniper, pfSense filterlog variants) and many
 * appliances write them. Values are quoted ("…" with `\"`, '…' with `\'`)
 * or run until the next ` key=`.
 */
import type { Ev, ParseState } from "./_event.ts";
import { classifyByEntities } from "./_classify.ts";
import { applyKey } from "./_keys.ts";
import { parseTimestamp } from "./time.ts";

const QUOTE_ESCAPE = /\\(["'\\])/g;

function isKeyChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) ||
    (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45 || c === 58 ||
    c === 64;
}

/** True when a key=value pair starts at `i` (a key of key characters, then '='). */
export function keyStartsAt(s: string, i: number): boolean {
  const n = s.length;
  let j = i;
  while (j < n && isKeyChar(s.charCodeAt(j))) j++;
  return j > i && j < n && s.charCodeAt(j) === 61;
}

/** Parses a key=value line; null on success, else the reason. */
export function parseKv(ev: Ev, st: ParseState, line: string): string | null {
  const n = line.length;
  let i = 0;
  let pairs = 0;
  while (i < n) {
    while (i < n && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) {
      i++;
    }
    if (i >= n) break;
    const eq = line.indexOf("=", i);
    if (eq < 0 || !keyStartsAt(line, i)) {
      if (pairs === 0) return `kv: no key=value pair at column ${i + 1}`;
      // Text after the pairs (rare): keep it rather than lose it.
      ev.fields["kv.trailer"] = line.slice(i);
      break;
    }
    const key = line.slice(i, eq);
    let value: string;
    let j = eq + 1;
    const q = line.charCodeAt(j);
    if (q === 34 || q === 39) { // "quoted" or 'quoted'
      let k = j + 1;
      let escaped = false;
      while (k < n) {
        const c = line.charCodeAt(k);
        if (c === 92) {
          escaped = true;
          k += 2;
          continue;
        }
        if (c === q) break;
        k++;
      }
      if (k >= n) {
        return `kv: unterminated quoted value of '${key}' (truncated?)`;
      }
      value = line.slice(j + 1, k);
      if (escaped) value = value.replace(QUOTE_ESCAPE, "$1");
      j = k + 1;
    } else {
      // Unquoted: up to the next space that begins another key=value.
      let k = j;
      for (;;) {
        const sp = line.indexOf(" ", k);
        if (sp < 0) {
          k = n;
          break;
        }
        let t = sp + 1;
        while (t < n && line.charCodeAt(t) === 32) t++;
        if (t >= n || keyStartsAt(line, t)) {
          k = sp;
          break;
        }
        k = t;
      }
      value = line.slice(j, k);
      j = k;
    }
    applyKey(ev, st, key, value);
    pairs++;
    i = j;
  }
  const f = ev.fields;
  // FortiGate and friends split the time: date=2026-11-24 time=10:00:00 tz="+0100".
  if (st.tsMs !== st.tsMs && f.date !== undefined && f.time !== undefined) {
    const ms = parseTimestamp(`${f.date}T${f.time}${f.tz ?? ""}`, st.refMs);
    if (ms === ms) st.tsMs = ms;
  }
  classifyByEntities(ev, st, f.msg ?? f.message ?? f.logdesc ?? "");
  return null;
}
