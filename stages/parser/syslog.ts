/**
 * Syslog: RFC 3164 (BSD, with or without PRI, with the classic or an ISO
 * timestamp, with or without a host name) and RFC 5424 (structured data,
 * nil values, BOM). The header is scanned by hand; the message then goes to
 * the CEF/LEEF parsers or to the program classifiers, after unwrapping
 * rsyslog's `message repeated N times: [ … ]` (see repeat.ts).
 */
import {
  type Ev,
  type ParseState,
  setHostName,
  setPid,
  setProcessName,
} from "./_event.ts";
import { auditHead, parseAuditd } from "./auditd.ts";
import { parseCefBody } from "./cef.ts";
import { isAsaAt, parseAsa } from "./cisco_asa.ts";
import { isPanOsAt, parsePanOs } from "./panos.ts";
import { keyStartsAt, parseKv } from "./kv.ts";
import { parseLeefBody } from "./leef.ts";
import { classifyProgramMessage } from "./programs.ts";
import { unwrapRepeat } from "./repeat.ts";
import { severityFromSyslog } from "./severity.ts";
import {
  impossibleDate,
  monthAt,
  parseIsoAt,
  parseRfc3164At,
  scanEnd,
} from "./time.ts";

const FACILITIES = [
  "kern",
  "user",
  "mail",
  "daemon",
  "auth",
  "syslog",
  "lpr",
  "news",
  "uucp",
  "cron",
  "authpriv",
  "ftp",
  "ntp",
  "security",
  "console",
  "solaris-cron",
  "local0",
  "local1",
  "local2",
  "local3",
  "local4",
  "local5",
  "local6",
  "local7",
];

/** Why the last header scan failed. */
let failure = "";

/**
 * Parses a syslog line (RFC 3164 or 5424, told apart by `<PRI>1 `) into `ev`.
 * Returns null on success, else the reason it is not readable.
 */
export function parseSyslog(
  ev: Ev,
  st: ParseState,
  line: string,
): string | null {
  let i = 0;
  if (line.charCodeAt(0) === 60) { // '<'
    const pri = readPri(line);
    if (pri < 0) return failure;
    i = priEnd;
    ev.fields["syslog.facility"] = FACILITIES[pri >> 3];
    ev.fields["syslog.priority"] = String(pri);
    st.sev = severityFromSyslog(pri & 7);
    if (
      line.charCodeAt(i) === 49 && line.charCodeAt(i + 1) === 32 // "1 "
    ) {
      ev.format = "rfc5424";
      return parse5424(ev, st, line, i + 2);
    }
    if (cefOrLeefAt(line, i)) {
      ev.format = "rfc3164";
      return dispatchSyslogMessage(ev, st, "", "", line.slice(i));
    }
    // FortiGate (and other appliances) send key=value right after the PRI.
    if (kvShaped(line, i)) return kvMessage(ev, st, line.slice(i));
  }
  // A Cisco ASA without `logging timestamp`: `<164>%ASA-4-106023: …`.
  if (isAsaAt(line, i)) return parseAsa(ev, st, line.slice(i));
  // A PAN-OS CSV log with no syslog header (or right after the PRI).
  if (isPanOsAt(line, i)) return parsePanOs(ev, st, line.slice(i));
  ev.format = "rfc3164";
  return parse3164(ev, st, line, i);
}

/** Reads `<N>` at the start; returns the PRI (0–191) or -1 and sets `failure`. */
function readPri(line: string): number {
  let v = 0;
  let j = 1;
  for (; j < 5; j++) {
    const c = line.charCodeAt(j);
    if (c === 62) break; // '>'
    if (c < 48 || c > 57) {
      failure = `syslog: malformed PRI ${JSON.stringify(line.slice(0, j + 1))}`;
      return -1;
    }
    v = v * 10 + c - 48;
  }
  if (j === 1 || j === 5 || v > 191) {
    failure = `syslog: PRI must be <0> … <191>, got ${
      JSON.stringify(line.slice(0, j + 1))
    }`;
    return -1;
  }
  priEnd = j + 1;
  return v;
}

/** Index after the PRI read last. */
let priEnd = 0;

function parse3164(
  ev: Ev,
  st: ParseState,
  line: string,
  start: number,
): string | null {
  let ms: number;
  const c = line.charCodeAt(start);
  const iso = c >= 48 && c <= 57;
  if (iso) ms = parseIsoAt(line, start);
  else ms = parseRfc3164At(line, start, st.refMs);
  if (ms === ms) st.tsMs = ms;
  else if (impossibleDate) {
    // A well-formed time of a day that does not exist (Feb 30): the line is
    // still read, its time noted, and ts falls back to receipt.
    st.tsUnread = line.slice(start, scanEnd);
  } else if (start > 0 && !iso && !(monthAt(line, start) >= 0)) {
    // <PRI> then no TIMESTAMP at all: the rest is CONTENT, and the receipt
    // time stands in (RFC 3164 4.3.2); ts_source says so.
    return readTagAndMessage(ev, st, line, start);
  } else {
    return `rfc3164: unreadable timestamp at column ${start + 1}: ${
      JSON.stringify(line.slice(start, start + 20))
    }`;
  }
  let i = scanEnd;
  // Cisco ASA with `logging timestamp` and no device-id: `<166>Jan 13 2021
  // 19:12:37: %ASA-…`, or with a zone: `… 09:34:34 EDT: %ASA-…`.
  const asa = asaAfterTimestamp(line, i);
  if (asa >= 0) return parseAsa(ev, st, line.slice(asa));
  if (line.charCodeAt(i) !== 32) {
    return `rfc3164: expected a space after the timestamp at column ${i + 1}`;
  }
  while (line.charCodeAt(i) === 32) i++;
  if (i >= line.length) {
    return "rfc3164: line ends after the timestamp (truncated?)";
  }
  // Host name, unless the next token is already the tag ("sshd[1]:", "sshd:").
  let sp = line.indexOf(" ", i);
  if (sp < 0) sp = line.length;
  const last = line.charCodeAt(sp - 1);
  const bracket = line.indexOf("[", i);
  // A token holding '=' is no host name: key=value content with no host.
  if (
    last !== 58 && !(bracket >= 0 && bracket < sp) && !hasEquals(line, i, sp)
  ) {
    setHostName(ev, line.slice(i, sp));
    i = sp + 1;
  }
  return readTagAndMessage(ev, st, line, i);
}

/**
 * Where an ASA message starts right after a timestamp ending at `i`
 * (`: %ASA-…`, or ` ZONE: %ASA-…` with a 3-4 letter zone), or -1.
 */
function asaAfterTimestamp(line: string, i: number): number {
  let j = i;
  if (line.charCodeAt(j) === 32) {
    let k = j + 1;
    while (k < j + 6 && isUpper(line.charCodeAt(k))) k++;
    if (k - j - 1 < 3) return -1;
    j = k;
  }
  if (line.charCodeAt(j) !== 58 || line.charCodeAt(j + 1) !== 32) return -1;
  return isAsaAt(line, j + 2) ? j + 2 : -1;
}

function isUpper(c: number): boolean {
  return c >= 65 && c <= 90;
}

/** Reads `program[pid]: message` / `program(module)[pid]: message` from `i`. */
function readTagAndMessage(
  ev: Ev,
  st: ParseState,
  line: string,
  i: number,
): string | null {
  const n = line.length;
  // CEF/LEEF right after the header: no program tag.
  if (cefOrLeefAt(line, i)) {
    return dispatchSyslogMessage(ev, st, "", "", line.slice(i));
  }
  // key=value with no program tag (FortiGate through rsyslog: `Apr 23
  // 01:16:08 10.0.0.1 date=… srcip=…`). A tag never holds '='.
  if (kvShaped(line, i)) return kvMessage(ev, st, line.slice(i));
  // Cisco ASA: `host %ASA-6-302013: …`, or `host : %ASA-4-106023: …` when
  // the ASA writes its own timestamp.
  const asa = line.charCodeAt(i) === 58 && line.charCodeAt(i + 1) === 32
    ? i + 2
    : i;
  if (isAsaAt(line, asa)) return parseAsa(ev, st, line.slice(asa));
  let j = i;
  while (j < n) {
    const c = line.charCodeAt(j);
    if (c === 58 || c === 91 || c === 40 || c === 32) break; // : [ ( space
    j++;
  }
  let program = "";
  let module = "";
  let msgStart = i;
  if (j < n && line.charCodeAt(j) !== 32 && j > i) {
    let k = j;
    if (line.charCodeAt(k) === 40) { // (module)
      const close = line.indexOf(")", k);
      if (close > 0) {
        module = line.slice(k + 1, close);
        k = close + 1;
      }
    }
    let pid = "";
    if (line.charCodeAt(k) === 91) { // [pid]
      const close = line.indexOf("]", k);
      if (close > 0) {
        pid = line.slice(k + 1, close);
        k = close + 1;
      }
    }
    if (line.charCodeAt(k) === 58) { // ':'
      program = line.slice(i, j);
      if (pid !== "") setPid(ev, pid);
      msgStart = k + 1;
      if (line.charCodeAt(msgStart) === 32) msgStart++;
    }
  }
  if (program !== "") {
    // Tags can be paths ("/usr/sbin/cron"): the program is the base name.
    const slash = program.lastIndexOf("/");
    if (slash >= 0) program = program.slice(slash + 1);
    setProcessName(ev, program);
    if (module !== "") ev.fields["syslog.module"] = module;
  }
  const msg = msgStart === 0 ? line : line.slice(msgStart);
  return dispatchSyslogMessage(ev, st, program, module, msg);
}

/** True when `line[from, to)` holds '=' (a short token: no scan past it). */
function hasEquals(line: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (line.charCodeAt(k) === 61) return true;
  return false;
}

/** True when a CEF or LEEF header starts at `i`. */
function cefOrLeefAt(line: string, i: number): boolean {
  const c = line.charCodeAt(i);
  return (c === 67 && line.startsWith("CEF:", i)) ||
    (c === 76 && line.startsWith("LEEF:", i));
}

/**
 * True when key=value pairs start at `i`: a key, '=', and at least one more
 * '=' after it (one pair alone is more likely prose, `a=b was set`).
 */
function kvShaped(line: string, i: number): boolean {
  if (!keyStartsAt(line, i)) return false;
  return line.indexOf("=", line.indexOf("=", i) + 1) > 0;
}

/**
 * A syslog message made of key=value pairs (or an audit record: see
 * auditd.ts): parsed as kv, keeping the PRI fields and host the header
 * gave. The device's own time (`eventtime=`, `date= time= tz=`) is the
 * event time; the header's (a relay's, often) stands in when the pairs give
 * none.
 */
function kvMessage(ev: Ev, st: ParseState, msg: string): string | null {
  const headerMs = st.tsMs;
  const headerHost = ev.host?.name;
  st.tsMs = NaN;
  const audit = auditHead(msg);
  let failure: string | null;
  if (audit !== null) failure = parseAuditd(ev, st, msg, audit);
  else {
    ev.format = "kv";
    failure = parseKv(ev, st, msg);
  }
  if (st.tsMs !== st.tsMs) st.tsMs = headerMs;
  if (headerHost !== undefined && ev.host?.name !== headerHost) {
    ev.fields["syslog.hostname"] = headerHost;
  }
  return failure;
}

/**
 * Classifies a program's message: CEF/LEEF bodies, `message repeated`
 * lines, then the program's own messages (sshd, PAM, sudo, …). For syslog
 * lines and for records that name the program apart (journald).
 */
export function dispatchSyslogMessage(
  ev: Ev,
  st: ParseState,
  program: string,
  module: string,
  msg: string,
): string | null {
  let c = msg.charCodeAt(0);
  if (c === 109 || c === 108) { // 'm', 'l': one compare before any prefix test
    const inner = unwrapRepeat(ev, st, msg);
    if (inner !== null) {
      // `last message repeated N times` names no message: other/unclassified.
      if (inner === "") return null;
      msg = inner;
      c = msg.charCodeAt(0);
    }
  }
  if (c === 67 && msg.startsWith("CEF:")) {
    ev.format = "cef";
    return parseCefBody(ev, st, msg);
  }
  // A Cisco ASA message as the MSG of an RFC 5424 line.
  if (c === 37 && isAsaAt(msg, 0)) return parseAsa(ev, st, msg);
  // An audit record forwarded by audispd/audisp-syslog ('t', 'n').
  if ((c === 116 || c === 110) && auditHead(msg) !== null) {
    return kvMessage(ev, st, msg);
  }
  // A PAN-OS CSV log (no program tag: `1,2026/11/24 10:00:00,…`).
  if (c <= 57 && isPanOsAt(msg, 0)) {
    const headerMs = st.tsMs;
    const failure = parsePanOs(ev, st, msg);
    if (st.tsMs !== st.tsMs) st.tsMs = headerMs;
    return failure;
  }
  if (c === 76 && msg.startsWith("LEEF:")) {
    ev.format = "leef";
    return parseLeefBody(ev, st, msg);
  }
  // The message itself stays in the payload (Sigma keywords search it there).
  classifyProgramMessage(ev, st, program, module, msg);
  return null;
}

/** Next space-delimited header token of RFC 5424 from `i` (sets `tokEnd`). */
let tokEnd = 0;
function token(line: string, i: number): string | null {
  const sp = line.indexOf(" ", i);
  if (sp < 0) return null;
  tokEnd = sp + 1;
  return line.slice(i, sp);
}

function parse5424(
  ev: Ev,
  st: ParseState,
  line: string,
  i: number,
): string | null {
  const ts = token(line, i);
  if (ts === null) return "rfc5424: header truncated after VERSION";
  if (ts !== "-") {
    const ms = parseIsoAt(line, i);
    if (ms !== ms || scanEnd !== tokEnd - 1) {
      return `rfc5424: unreadable TIMESTAMP ${JSON.stringify(ts)}`;
    }
    st.tsMs = ms;
  }
  i = tokEnd;
  const host = token(line, i);
  if (host === null) return "rfc5424: header truncated after TIMESTAMP";
  i = tokEnd;
  // QRadar's documented shape: `<13>1 TIMESTAMP HOST LEEF:…` (CEF too), the
  // event right after the host, with no APP-NAME … STRUCTURED-DATA.
  if (cefOrLeefAt(line, i)) {
    if (host !== "-") setHostName(ev, host);
    return dispatchSyslogMessage(ev, st, "", "", line.slice(i));
  }
  const app = token(line, i);
  if (app === null) return "rfc5424: header truncated after HOSTNAME";
  i = tokEnd;
  const procId = token(line, i);
  if (procId === null) return "rfc5424: header truncated after APP-NAME";
  i = tokEnd;
  const msgId = token(line, i) ?? (tokEnd = line.length, line.slice(i));
  i = tokEnd;
  if (host !== "-") setHostName(ev, host);
  if (app !== "-") setProcessName(ev, app);
  if (procId !== "-") {
    setPid(ev, procId);
    if (ev.process?.pid === undefined) ev.fields["syslog.procid"] = procId;
  }
  if (msgId !== "-" && msgId !== "") ev.fields["syslog.msgid"] = msgId;
  if (i >= line.length) return "rfc5424: STRUCTURED-DATA missing (truncated?)";
  if (line.charCodeAt(i) === 45) { // '-'
    i++;
  } else if (line.charCodeAt(i) === 91) {
    i = readStructuredData(ev, line, i);
    if (i < 0) return failure;
  } else {
    return `rfc5424: expected STRUCTURED-DATA ('[' or '-') at column ${i + 1}`;
  }
  let msg = "";
  if (line.charCodeAt(i) === 32) {
    msg = line.slice(i + 1);
    if (msg.charCodeAt(0) === 0xfeff) msg = msg.slice(1);
  }
  return dispatchSyslogMessage(ev, st, app === "-" ? "" : app, "", msg);
}

/** Reads `[id k="v" …][id2 …]` into `sd.<id>.<k>` fields; returns the index after it, or -1. */
function readStructuredData(ev: Ev, line: string, i: number): number {
  const n = line.length;
  while (i < n && line.charCodeAt(i) === 91) {
    let j = i + 1;
    while (j < n) {
      const c = line.charCodeAt(j);
      if (c === 32 || c === 93) break;
      j++;
    }
    const id = line.slice(i + 1, j);
    if (id === "") {
      failure = `rfc5424: empty SD-ID at column ${i + 2}`;
      return -1;
    }
    while (j < n && line.charCodeAt(j) === 32) {
      const eq = line.indexOf("=", j + 1);
      if (eq < 0 || line.charCodeAt(eq + 1) !== 34) {
        failure = `rfc5424: malformed SD-PARAM in [${id}] at column ${j + 2}`;
        return -1;
      }
      const name = line.slice(j + 1, eq);
      let k = eq + 2;
      let value = "";
      let from = k;
      while (k < n) {
        const c = line.charCodeAt(k);
        if (c === 92) {
          // Only \" \\ \] are escapes; any other backslash is data and
          // MUST NOT be altered (RFC 5424 §6.3.3): C:\Windows stays so.
          const e = line.charCodeAt(k + 1);
          if (e === 34 || e === 92 || e === 93) {
            value += line.slice(from, k);
            from = k + 1;
            k += 2;
            continue;
          }
        }
        if (c === 34) break;
        k++;
      }
      if (k >= n) {
        failure = `rfc5424: unterminated value of ${id}.${name} (truncated?)`;
        return -1;
      }
      value += line.slice(from, k);
      ev.fields[`sd.${id}.${name}`] = value;
      j = k + 1;
    }
    if (line.charCodeAt(j) !== 93) {
      failure =
        `rfc5424: structured data element [${id}] not closed with ']' (truncated?)`;
      return -1;
    }
    i = j + 1;
  }
  return i;
}
