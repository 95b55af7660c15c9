/**
 * Palo Alto Networks PAN-OS syslog in its default CSV format (BSD or IETF
 * syslog, or a bare CSV line): `FUTURE_USE,Receive Time,Serial,Type,
 * Subtype,…` with the columns of PAN-OS 9–11.
 *
 * - TRAFFIC: network `connection` between source and destination
 *   (addresses, ports, protocol), the application as network.protocol,
 *   bytes and packets each way, the source user; outcome from the action
 *   (allow: success; deny, drop, reset-*: failure).
 * - THREAT: `url` subtype: web `url_filtering` with the URL (failure when
 *   blocked); the others (vulnerability, spyware, virus, wildfire, flood,
 *   scan, file): network `ids_alert` with PAN-OS's severity, so the pack's
 *   IDS alert rules pass high and critical ones on; the threat name and id,
 *   category and direction in fields.
 * - other log types (SYSTEM, CONFIG, GLOBALPROTECT, …): `other`, the type
 *   as action (`panos_system`).
 *
 * The firewall's own names are kept in fields as `pan.<column>` (`pan.rule`,
 * `pan.app`, `pan.from_zone`, `pan.session_id`, …). PAN-OS writes its times
 * in the firewall's time zone and does not say which: they are read as UTC.
 */
import {
  classify,
  type Ev,
  type ParseState,
  setBytes,
  setIp,
  setPackets,
  setPort,
  setProtocol,
  setTransport,
  setUrl,
  setUser,
} from "./_event.ts";
import { severityFromText } from "./severity.ts";
import { parseTimestamp } from "./time.ts";

/** Sticky: tested at a position, not on a copy of the rest of the line. */
const HEAD =
  /\d*,\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d,[^,]*,(TRAFFIC|THREAT|SYSTEM|CONFIG|GLOBALPROTECT|USERID|HIPMATCH|AUTHENTICATION|DECRYPTION|TUNNEL|CORRELATION|IPTAG|SCTP|GTP),/y;

/** True when a PAN-OS CSV log starts at `i` of `s`. */
export function isPanOsAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c !== 44 && (c < 48 || c > 57)) return false; // ',' or a digit
  HEAD.lastIndex = i;
  return HEAD.test(s);
}

/** Splits one CSV line: `"…"` quotes a value (with `""` for a quote). */
function splitCsv(s: string): string[] {
  const out: string[] = [];
  const n = s.length;
  let i = 0;
  for (;;) {
    if (s.charCodeAt(i) === 34) {
      let v = "";
      let j = i + 1;
      for (;;) {
        const q = s.indexOf('"', j);
        if (q < 0) {
          v += s.slice(j);
          j = n;
          break;
        }
        v += s.slice(j, q);
        if (s.charCodeAt(q + 1) === 34) {
          v += '"';
          j = q + 2;
        } else {
          j = q + 1;
          break;
        }
      }
      out.push(v);
      const comma = s.indexOf(",", j);
      if (comma < 0) return out;
      i = comma + 1;
    } else {
      const comma = s.indexOf(",", i);
      if (comma < 0) {
        out.push(s.slice(i));
        return out;
      }
      out.push(s.slice(i, comma));
      i = comma + 1;
    }
  }
}

/** Columns 7–30, shared by TRAFFIC and THREAT logs. */
const COMMON: [number, string][] = [
  [2, "serial"],
  [4, "subtype"],
  [11, "rule"],
  [14, "app"],
  [15, "vsys"],
  [16, "from_zone"],
  [17, "to_zone"],
  [18, "inbound_interface"],
  [19, "outbound_interface"],
  [22, "session_id"],
  [23, "repeat_count"],
  [30, "action"],
];

const FAILED_ACTIONS = /^(?:deny|drop|reset-|block|sinkhole)/;

/** Maps a PAN-OS CSV log (from the first column); null on success. */
export function parsePanOs(
  ev: Ev,
  st: ParseState,
  line: string,
): string | null {
  const c = splitCsv(line);
  const type = c[3];
  ev.format = "panos";
  const f = ev.fields;
  f["pan.type"] = type;
  const when = parseTimestamp(c[6] || c[1], st.refMs);
  if (when === when) st.tsMs = when;
  if (type !== "TRAFFIC" && type !== "THREAT") {
    if (c[2]) f["pan.serial"] = c[2];
    if (c[4]) f["pan.subtype"] = c[4];
    classify(ev, "other", `panos_${type.toLowerCase()}`, "unknown");
    return null;
  }
  if (c.length < 31) return `panos: a ${type} log with ${c.length} columns`;
  for (const [i, name] of COMMON) if (c[i]) f[`pan.${name}`] = c[i];
  setIp(ev, "source", c[7]);
  setIp(ev, "destination", c[8]);
  if (c[9] && c[9] !== "0.0.0.0") f["pan.nat_source"] = c[9];
  if (c[10] && c[10] !== "0.0.0.0") f["pan.nat_destination"] = c[10];
  setPort(ev, "source", c[24]);
  setPort(ev, "destination", c[25]);
  setTransport(ev, c[29]);
  const app = c[14];
  if (app && app !== "incomplete" && app !== "not-applicable") {
    setProtocol(ev, app);
  }
  const user = c[12];
  if (user) {
    const slash = user.indexOf("\\");
    if (slash > 0) setUser(ev, user.slice(slash + 1), user.slice(0, slash));
    else setUser(ev, user);
  }
  if (c[13]) f["pan.destination_user"] = c[13];
  const action = c[30] ?? "";
  const failed = FAILED_ACTIONS.test(action);
  if (type === "TRAFFIC") {
    setBytes(ev, "source", c[32]);
    setBytes(ev, "destination", c[33]);
    const total = Number(c[31]);
    if (c[31] && total >= 0) (ev.network ??= {}).bytes = total;
    setPackets(ev, "source", c[44] ?? "");
    setPackets(ev, "destination", c[45] ?? "");
    if (c[37]) f["pan.category"] = c[37];
    if (c[46]) f["pan.session_end_reason"] = c[46];
    classify(ev, "network", "connection", failed ? "failure" : "success");
    if (failed) st.floor = 1;
    return null;
  }
  // THREAT: 31 URL/file name, 32 threat name (id), 33 category,
  // 34 severity, 35 direction.
  const subtype = c[4];
  if (c[32]) f["pan.threat"] = c[32];
  if (c[33]) f["pan.threat_category"] = c[33];
  if (c[35]) f["pan.direction"] = c[35];
  if (subtype === "url") {
    if (c[31]) setUrl(ev, c[31]);
    classify(ev, "web", "url_filtering", failed ? "failure" : "success");
    return null;
  }
  if (c[31]) f["pan.misc"] = c[31];
  if (subtype === "file" || subtype === "virus" || subtype === "wildfire") {
    if (c[31]) (ev.file ??= {}).name = c[31];
  }
  const sev = severityFromText(c[34] ?? "");
  if (sev >= 0) st.sev = sev;
  classify(ev, "network", "ids_alert", failed ? "failure" : "unknown");
  return null;
}
