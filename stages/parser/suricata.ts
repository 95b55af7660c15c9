/**
 * Suricata EVE JSON (`eve.json`, one object a line): the event types a SOC
 * reads, told apart by `event_type`.
 *
 * - every type: `timestamp`, the flow's endpoints (`src_ip`, `src_port`,
 *   `dest_ip`, `dest_port`), `proto` and `app_proto`, the sensor (`host`)
 *   as host.name;
 * - `alert`: network `ids_alert`, severity from the signature's (1 high, 2
 *   medium, 3 low), outcome failure when Suricata blocked it, the signature
 *   and its ids in fields (`alert.signature`, `alert.signature_id`, …);
 * - `dns`: dns `dns_query` (or `dns_answer`, whose endpoints are turned
 *   round so the client is the source, as in its query; the pack's query
 *   rules leave answers out, so one lookup counts once), question name and
 *   type, rcode, answers; EVE v2 (`dns.rrname`) and v3 (`dns.queries[]`);
 * - `http`: web `http_request`, URL (hostname + url), method, status,
 *   user agent, referrer, response length;
 * - `flow` / `netflow`: network `connection`, bytes and packets each way;
 * - `fileinfo`: file `file_transfer`, name and hashes;
 * - `tls`, `ssh` and the rest: network, `event_type` as the action
 *   (`tls`, `ssh`, `anomaly`, …), with their fields kept.
 *
 * Everything not mapped stays in `fields` under EVE's own dotted names.
 */
import {
  classify,
  type Ev,
  type ParseState,
  setBytes,
  setFilePath,
  setHash,
  setHostName,
  setIp,
  setMethod,
  setPackets,
  setPort,
  setProtocol,
  setQuery,
  setQueryType,
  setRcode,
  setResponseBytes,
  setStatus,
  setTransport,
  setUrl,
  sumEndBytes,
} from "./_event.ts";
import { asObject as obj, flattenInto, scalarText } from "./_flatten.ts";
import { parseTimestamp } from "./time.ts";

type Obj = Record<string, unknown>;

/**
 * True when `o` is an EVE record: an event_type, a timestamp and Suricata's
 * numeric flow id (an application's own JSON with `event_type` and
 * `src_ip` stays generic JSON).
 */
export function isSuricata(o: Obj): boolean {
  return typeof o.event_type === "string" && o.event_type !== "" &&
    typeof o.timestamp === "string" && typeof o.flow_id === "number";
}

const str = (v: unknown): string | null => typeof v === "string" ? v : null;

/** Suricata's signature severity (1 highest … 4) → severity rank. */
const SEVERITY: Record<number, number> = { 1: 3, 2: 2, 3: 1, 4: 0 };

/** Maps an EVE record; sets `ev.format` to suricata. */
export function parseSuricata(
  ev: Ev,
  st: ParseState,
  o: Obj,
): string | null {
  ev.format = "suricata";
  const type = o.event_type as string;
  const ms = parseTimestamp(o.timestamp, st.refMs);
  if (ms === ms) st.tsMs = ms;
  for (const k in o) {
    const v = o[k];
    if (v === null || v === undefined) continue;
    switch (k) {
      case "timestamp":
        continue;
      case "src_ip":
        if (typeof v === "string") setIp(ev, "source", v);
        continue;
      case "dest_ip":
        if (typeof v === "string") setIp(ev, "destination", v);
        continue;
      case "src_port":
        setPort(ev, "source", v as number);
        continue;
      case "dest_port":
        setPort(ev, "destination", v as number);
        continue;
      case "proto":
        if (typeof v === "string" || typeof v === "number") {
          setTransport(ev, v);
        }
        continue;
      case "app_proto":
        if (typeof v === "string" && v !== "failed") setProtocol(ev, v);
        break;
      case "host":
        if (typeof v === "string") setHostName(ev, v);
        break;
      case "alert":
      case "dns":
      case "http":
      case "flow":
      case "netflow":
      case "fileinfo": {
        const e = obj(v);
        if (e !== null && k === type) {
          NODES[k](ev, st, e, k);
          continue;
        }
        break;
      }
    }
    const t = scalarText(v);
    if (t !== null) ev.fields[k] = t;
    else flattenInto(ev, k, v);
  }
  // A DNS answer travels from the server to the client: its src_ip is the
  // resolver. The client asked, so it is the source, as in the query.
  if (ev.action === "dns_answer") {
    const server = ev.source;
    ev.source = ev.destination;
    ev.destination = server;
  }
  sumEndBytes(ev);
  if (ev.action === "unclassified") {
    classify(ev, type === "fileinfo" ? "file" : "network", type, "unknown");
  }
  return null;
}

/** The mapping of each event type's own object (named `key` in the record). */
const NODES: Record<
  string,
  (ev: Ev, st: ParseState, e: Obj, key: string) => void
> = {
  alert(ev, st, e) {
    const sev = SEVERITY[Number(e.severity)];
    if (sev !== undefined) st.sev = sev;
    const blocked = e.action === "blocked";
    classify(ev, "network", "ids_alert", blocked ? "failure" : "unknown");
    flattenInto(ev, "alert", e);
  },
  dns(ev, _st, e) {
    // EVE v3 (Suricata 8) lists queries; v2 has them at the top.
    const q = Array.isArray(e.queries) ? obj(e.queries[0]) ?? e : e;
    const name = str(q.rrname);
    if (name !== null) setQuery(ev, name);
    const qtype = str(q.rrtype);
    if (qtype !== null) setQueryType(ev, qtype);
    const rcode = str(e.rcode);
    if (rcode !== null) setRcode(ev, rcode);
    const answers: string[] = [];
    if (Array.isArray(e.answers)) {
      for (const a of e.answers) {
        const rdata = str(obj(a)?.rdata);
        if (rdata !== null) answers.push(rdata);
      }
    } else if (obj(e.grouped) !== null) {
      for (const list of Object.values(e.grouped as Obj)) {
        if (Array.isArray(list)) answers.push(...list.map(String));
      }
    }
    if (answers.length > 0) (ev.dns ??= {}).answers = answers;
    const answer = e.type === "answer" || e.type === "response";
    classify(
      ev,
      "dns",
      answer ? "dns_answer" : "dns_query",
      rcode === null ? "unknown" : rcode === "NOERROR" ? "success" : "failure",
    );
    setProtocol(ev, "dns");
    flattenInto(ev, "dns", e);
  },
  http(ev, _st, e) {
    const host = str(e.hostname);
    const url = str(e.url);
    if (url !== null) {
      setUrl(
        ev,
        host !== null && url.startsWith("/")
          ? `http://${host}${
            typeof e.http_port === "number" && e.http_port !== 80
              ? `:${e.http_port}`
              : ""
          }${url}`
          : url,
      );
    }
    if (host !== null) (ev.url ??= {}).domain = host;
    const method = str(e.http_method);
    if (method !== null) setMethod(ev, method);
    if (e.status !== undefined) setStatus(ev, e.status as number);
    const ua = str(e.http_user_agent);
    if (ua !== null) (ev.http ??= {}).user_agent = ua;
    const ref = str(e.http_refer);
    if (ref !== null) ((ev.http ??= {}).request ??= {}).referrer = ref;
    if (e.length !== undefined) setResponseBytes(ev, e.length as number);
    const status = ev.http?.response?.status_code;
    classify(
      ev,
      "web",
      "http_request",
      status === undefined ? "unknown" : status < 400 ? "success" : "failure",
    );
    flattenInto(ev, "http", e);
  },
  flow: flowNode,
  netflow: flowNode,
  fileinfo(ev, _st, e) {
    const name = str(e.filename);
    if (name !== null) setFilePath(ev, name);
    for (const h of ["md5", "sha1", "sha256"] as const) {
      const v = str(e[h]);
      if (v !== null) setHash(ev, "file", v, h);
    }
    classify(ev, "file", "file_transfer", "unknown");
    flattenInto(ev, "fileinfo", e);
  },
};

function flowNode(ev: Ev, _st: ParseState, e: Obj, key: string): void {
  if (e.bytes_toserver !== undefined) {
    setBytes(ev, "source", e.bytes_toserver as number);
  }
  if (e.bytes_toclient !== undefined) {
    setBytes(ev, "destination", e.bytes_toclient as number);
  }
  if (e.pkts_toserver !== undefined) {
    setPackets(ev, "source", e.pkts_toserver as number);
  }
  if (e.pkts_toclient !== undefined) {
    setPackets(ev, "destination", e.pkts_toclient as number);
  }
  classify(ev, "network", "connection", "unknown");
  flattenInto(ev, key, e);
}
