/**
 * systemd journal records as JSON: `journalctl -o json` (one object a line),
 * Fluent Bit's systemd input (the same fields) and Vector's journald source
 * (which renames MESSAGE, _HOSTNAME and __REALTIME_TIMESTAMP to message,
 * host and timestamp, and adds `source_type: journald`). On most Linux
 * hosts this is where sshd, sudo, su, PAM and cron write, so the message is
 * classified by program exactly as the same message in a syslog line would
 * be.
 *
 * - `ts`: `_SOURCE_REALTIME_TIMESTAMP` (when the program logged it), else
 *   `__REALTIME_TIMESTAMP` (when journald received it): microseconds since
 *   the epoch, as decimal strings.
 * - `host.name` from `_HOSTNAME`; the process from `SYSLOG_IDENTIFIER`
 *   (else `_COMM`), `SYSLOG_PID` (else `_PID`), `_EXE` and `_CMDLINE`.
 * - severity from `PRIORITY` (the syslog severity, 0–7).
 * - an audit record the journal holds itself (`_TRANSPORT=audit`: a host
 *   without auditd) is read as auditd.ts reads the same line of audit.log;
 * - every field is kept in `fields` under its journal name (`MESSAGE`,
 *   `_SYSTEMD_UNIT`, `_UID`, `_TRANSPORT`, …), and the record whole in the
 *   payload. journalctl writes a value that is not valid UTF-8 as an array
 *   of byte values; such a value is decoded (invalid bytes replaced).
 */
import {
  type Ev,
  type ParseState,
  setCommandLine,
  setExecutable,
  setHostName,
  setPid,
  setProcessName,
} from "./_event.ts";
import { flattenInto, scalarText } from "./_flatten.ts";
import { severityFromSyslog } from "./severity.ts";
import { auditHead, parseAuditd } from "./auditd.ts";
import { dispatchSyslogMessage } from "./syslog.ts";
import { parseTimestamp } from "./time.ts";

/**
 * True when `o` is a journal record: a MESSAGE and journald's own time or
 * cursor, or what Vector's journald source makes of one (`source_type`
 * journald, MESSAGE renamed `message`).
 */
export function isJournald(o: Record<string, unknown>): boolean {
  if (o.source_type === "journald") {
    return o.message !== undefined || o.MESSAGE !== undefined;
  }
  return o.MESSAGE !== undefined &&
    (typeof o.__REALTIME_TIMESTAMP === "string" ||
      typeof o._SOURCE_REALTIME_TIMESTAMP === "string" ||
      typeof o.__CURSOR === "string");
}

const lossy = new TextDecoder("utf-8", { fatal: false });

/** A journal value as text: a string, or journalctl's byte-array form. */
function journalText(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.length > 0 && v.every(isByte)) {
    return lossy.decode(new Uint8Array(v as number[]));
  }
  return null;
}

function isByte(b: unknown): boolean {
  return typeof b === "number" && Number.isInteger(b) && b >= 0 && b <= 255;
}

/** Microseconds since the epoch (a decimal string) → ms, or NaN. */
function microsToMs(v: unknown): number {
  if (typeof v !== "string" || v.length < 13 || v.length > 17) return NaN;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return NaN;
  }
  return Math.floor(Number(v) / 1000);
}

/** Audit record types by number (linux/audit.h), the ones worth reading. */
const AUDIT_TYPES: Record<string, string> = {
  "1100": "USER_AUTH",
  "1101": "USER_ACCT",
  "1102": "USER_MGMT",
  "1103": "CRED_ACQ",
  "1104": "CRED_DISP",
  "1105": "USER_START",
  "1106": "USER_END",
  "1107": "USER_AVC",
  "1108": "USER_CHAUTHTOK",
  "1109": "USER_ERR",
  "1110": "CRED_REFR",
  "1112": "USER_LOGIN",
  "1113": "USER_LOGOUT",
  "1114": "ADD_USER",
  "1115": "DEL_USER",
  "1116": "ADD_GROUP",
  "1117": "DEL_GROUP",
  "1123": "USER_CMD",
  "1130": "SERVICE_START",
  "1131": "SERVICE_STOP",
  "1300": "SYSCALL",
  "1302": "PATH",
  "1305": "CONFIG_CHANGE",
  "1307": "CWD",
  "1309": "EXECVE",
  "1327": "PROCTITLE",
  "1400": "AVC",
  "1701": "ANOM_ABEND",
};

/** An audit type number's name (`UNKNOWN[n]` as auditd writes it), or null. */
function auditTypeName(v: unknown): string | null {
  if (typeof v !== "string" || !/^\d{4}$/.test(v)) return null;
  return AUDIT_TYPES[v] ?? `UNKNOWN_${v}`;
}

/** Maps a journal record; sets `ev.format` to journald. */
export function parseJournald(
  ev: Ev,
  st: ParseState,
  o: Record<string, unknown>,
): string | null {
  ev.format = "journald";
  let message = "";
  let identifier = "";
  let comm = "";
  let pid = "";
  let sourceMs = NaN;
  let receivedMs = NaN;
  // Vector renames MESSAGE, _HOSTNAME and __REALTIME_TIMESTAMP to message,
  // host and timestamp (an RFC 3339 text).
  const vector = o.source_type === "journald";
  let vectorMs = NaN;
  for (const k in o) {
    const v = o[k];
    if (v === null || v === undefined) continue;
    switch (k) {
      case "MESSAGE":
        message = journalText(v) ?? "";
        break;
      case "message":
        if (vector && o.MESSAGE === undefined) message = journalText(v) ?? "";
        break;
      case "host":
        if (vector && typeof v === "string" && v !== "") setHostName(ev, v);
        break;
      case "timestamp":
        if (vector) vectorMs = parseTimestamp(v, st.refMs);
        break;
      case "_SOURCE_REALTIME_TIMESTAMP":
        sourceMs = microsToMs(v);
        break;
      case "__REALTIME_TIMESTAMP":
        receivedMs = microsToMs(v);
        break;
      case "_HOSTNAME":
        if (typeof v === "string" && v !== "") setHostName(ev, v);
        break;
      case "SYSLOG_IDENTIFIER":
        if (typeof v === "string") identifier = v;
        break;
      case "_COMM":
        if (typeof v === "string") comm = v;
        break;
      case "SYSLOG_PID":
        if (typeof v === "string") pid = v;
        break;
      case "_PID":
        if (typeof v === "string" && pid === "") pid = v;
        break;
      case "_EXE":
        if (typeof v === "string" && v !== "") setExecutable(ev, v);
        break;
      case "_CMDLINE":
        if (typeof v === "string" && v !== "") setCommandLine(ev, v);
        break;
      case "PRIORITY": {
        const n = typeof v === "string" && v.length === 1
          ? v.charCodeAt(0) - 48
          : -1;
        if (n >= 0 && n <= 7) st.sev = severityFromSyslog(n);
        break;
      }
    }
    // Every field is kept under its journal name.
    const t = scalarText(v);
    if (t !== null) ev.fields[k] = t;
    else flattenInto(ev, k, journalText(v) ?? v);
  }
  const ms = sourceMs === sourceMs
    ? sourceMs
    : receivedMs === receivedMs
    ? receivedMs
    : vectorMs;
  if (ms === ms) st.tsMs = ms;
  // An audit record the journal took from the kernel (no auditd running):
  // MESSAGE is its body, the type and serial are journal fields.
  // systemd before 229 (RHEL/CentOS 7) names the type by number only and
  // writes MESSAGE as `<audit-1112> …`.
  const auditType = typeof o._AUDIT_TYPE_NAME === "string"
    ? o._AUDIT_TYPE_NAME
    : auditTypeName(o._AUDIT_TYPE);
  if (
    o._TRANSPORT === "audit" && auditType !== null && message !== "" &&
    ms === ms
  ) {
    const numbered = /^<audit-\d+> /.exec(message);
    const body = numbered !== null
      ? message.slice(numbered[0].length)
      : message.startsWith(`${auditType} `)
      ? message.slice(auditType.length + 1)
      : message;
    const line = `type=${auditType} msg=audit(${Math.floor(ms / 1000)}.${
      String(ms % 1000).padStart(3, "0")
    }:${typeof o._AUDIT_ID === "string" ? o._AUDIT_ID : "0"}): ${body}`;
    const head = auditHead(line);
    if (head !== null) {
      st.sliced = true;
      return parseAuditd(ev, st, line, head);
    }
  }
  const program = identifier !== "" ? identifier : comm;
  if (program !== "") setProcessName(ev, program);
  if (pid !== "") setPid(ev, pid);
  if (message === "" || program === "") return null;
  st.sliced = true; // entities are cut from the message
  return dispatchSyslogMessage(ev, st, program, "", message);
}
