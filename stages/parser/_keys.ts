/**
 * Well-known key names of key=value, CEF, LEEF and flat JSON records, mapped
 * onto entities. One table, compiled once; lookups are by lower-cased key.
 * Keys not in the table (and the non-entity ones listed as kept) land in
 * `fields` under their original name, so rules can reach everything.
 */
import {
  type Ev,
  type ParseState,
  setBytes,
  setCommandLine,
  setCountry,
  setExecutable,
  setHash,
  setHostIp,
  setHostName,
  setIp,
  setMethod,
  setPackets,
  setPid,
  setPort,
  setProcessName,
  setProtocol,
  setQuery,
  setQueryType,
  setRcode,
  setResponseBytes,
  setStatus,
  setTargetUser,
  setTransport,
  setUrl,
  setUser,
  toInt,
} from "./_event.ts";
import { severityFromText } from "./severity.ts";
import { parseTimestamp } from "./time.ts";

const SRC_IP = 1,
  DST_IP = 2,
  SRC_PORT = 3,
  DST_PORT = 4,
  TRANSPORT = 5,
  USER = 6,
  TARGET_USER = 7,
  HOST = 8,
  ACTION = 9,
  OUTCOME = 10,
  SEVERITY = 11,
  TIME = 12,
  SRC_BYTES = 13,
  DST_BYTES = 14,
  BYTES = 15,
  URL = 16,
  METHOD = 17,
  STATUS = 18,
  USER_AGENT = 19,
  REFERRER = 20,
  QUERY = 21,
  QTYPE = 22,
  RCODE = 23,
  PROCESS = 24,
  PID = 25,
  CMD = 26,
  EXE = 27,
  FILE_NAME = 28,
  FILE_PATH = 29,
  HASH = 30,
  SRC_DOMAIN = 31,
  DST_DOMAIN = 32,
  HOST_IP = 33,
  SRC_COUNTRY = 34,
  DST_COUNTRY = 35,
  APP_PROTO = 36,
  PACKETS = 37,
  SRC_PACKETS = 38,
  DST_PACKETS = 39,
  RESP_BYTES = 40,
  MD5 = 41,
  SHA1 = 42,
  SHA256 = 43,
  TRANSPORT_NAME = 44;

const TABLE: [number, string[]][] = [
  [SRC_IP, [
    "src",
    "srcip",
    "src_ip",
    "source_ip",
    "sourceip",
    "source_address",
    "sourceaddress",
    "src_addr",
    "saddr",
    "client_ip",
    "clientip",
    "remote_addr",
    "remote_ip",
    "c-ip",
    "ip_src",
    "id.orig_h",
  ]],
  [DST_IP, [
    "dst",
    "dstip",
    "dst_ip",
    "destination_ip",
    "destinationip",
    "destination_address",
    "destaddress",
    "dest_ip",
    "dst_addr",
    "daddr",
    "server_ip",
    "s-ip",
    "ip_dst",
    "id.resp_h",
  ]],
  [SRC_PORT, [
    "spt",
    "srcport",
    "src_port",
    "sport",
    "source_port",
    "sourceport",
    "client_port",
    "id.orig_p",
  ]],
  [DST_PORT, [
    "dpt",
    "dstport",
    "dst_port",
    "dport",
    "destination_port",
    "destinationport",
    "dest_port",
    "id.resp_p",
  ]],
  [TRANSPORT, ["proto", "protocol", "ip_proto"]],
  // A name only: FortiGate's transport=60964 is the NAT port.
  [TRANSPORT_NAME, ["transport"]],
  [APP_PROTO, ["app", "service", "application_protocol"]],
  [USER, [
    "suser",
    "user",
    "username",
    "user_name",
    "usrname",
    "src_user",
    "srcuser",
    "account",
    "login",
    "uname",
  ]],
  [TARGET_USER, ["duser", "dst_user", "target_user", "targetuser"]],
  [HOST, [
    "host",
    "hostname",
    "host_name",
    "dvchost",
    "devname",
    "device_name",
    "computer",
    "computername",
  ]],
  [HOST_IP, ["dvc", "device_ip", "devip"]],
  [ACTION, ["act", "action", "disposition", "fw_action"]],
  [OUTCOME, ["outcome", "result"]],
  [SEVERITY, ["severity", "sev", "level", "loglevel", "log_level", "pri"]],
  [TIME, [
    "rt",
    "ts",
    "timestamp",
    "@timestamp",
    "datetime",
    "devtime",
    "eventtime",
    "event_time",
    "time_generated",
    "receipttime",
  ]],
  [SRC_BYTES, [
    "in",
    "sentbyte",
    "srcbytes",
    "src_bytes",
    "bytes_out",
    "bytes_sent",
    "orig_bytes",
    "sent_bytes",
  ]],
  [DST_BYTES, [
    "out",
    "rcvdbyte",
    "dstbytes",
    "dst_bytes",
    "bytes_in",
    "bytes_received",
    "bytes_recv",
    "resp_bytes",
    "received_bytes",
  ]],
  [BYTES, ["bytes", "total_bytes"]],
  [PACKETS, ["packets", "pkts"]],
  [SRC_PACKETS, ["sentpkt", "srcpackets", "orig_pkts", "src_packets"]],
  [DST_PACKETS, ["rcvdpkt", "dstpackets", "resp_pkts", "dst_packets"]],
  [URL, ["request", "url", "uri", "request_url", "url_original"]],
  [METHOD, ["requestmethod", "method", "http_method", "request_method"]],
  [STATUS, ["status_code", "http_status", "statuscode", "response_code_http"]],
  [RESP_BYTES, ["body_bytes_sent", "response_body_len", "response_bytes"]],
  [USER_AGENT, [
    "requestclientapplication",
    "user_agent",
    "useragent",
    "http_user_agent",
  ]],
  [REFERRER, ["referrer", "referer", "http_referer", "requestcontext"]],
  [QUERY, ["query", "qname", "dns_query", "query_name", "domain"]],
  [QTYPE, ["qtype", "qtype_name", "query_type", "record_type"]],
  [RCODE, ["rcode", "rcode_name", "response_code", "dns_rcode"]],
  [PROCESS, ["sproc", "process", "process_name", "proc", "prog", "program"]],
  [PID, ["pid", "spid", "process_id"]],
  [CMD, ["cmd", "command", "command_line", "commandline", "cmdline"]],
  [EXE, ["exe", "image", "executable", "process_path"]],
  [FILE_NAME, ["fname", "file_name", "filename"]],
  [FILE_PATH, ["filepath", "file_path"]],
  [HASH, ["filehash", "hash", "file_hash"]],
  [MD5, ["md5", "file_md5"]],
  [SHA1, ["sha1", "file_sha1"]],
  [SHA256, ["sha256", "file_sha256"]],
  [SRC_DOMAIN, ["shost", "src_host", "srchost", "source_host", "client_host"]],
  [DST_DOMAIN, ["dhost", "dst_host", "dsthost", "dest_host", "server_name"]],
  [SRC_COUNTRY, ["srccountry", "src_country", "source_country"]],
  [DST_COUNTRY, ["dstcountry", "dst_country", "destination_country"]],
];

/** Lower-cased key → slot. */
const SLOTS = new Map<string, number>();
for (const [slot, names] of TABLE) for (const n of names) SLOTS.set(n, slot);

/** Slots whose value is also kept in `fields` (they are not entities). */
function alsoField(slot: number): boolean {
  return slot === ACTION || slot === OUTCOME || slot === SEVERITY;
}

/** Slot 0: "not a known key", remembered so unknown keys cost one lookup. */
const UNKNOWN_KEY = 0;
/** Exact spellings seen → slot (0 for unknown); bounded, since keys come from input. */
const seen = new Map<string, number>();
const SEEN_MAX = 4096;

/** Slot of `key` (case-insensitive), or UNKNOWN_KEY. */
function slotOf(key: string): number {
  let slot = seen.get(key);
  if (slot === undefined) {
    slot = SLOTS.get(key) ?? SLOTS.get(key.toLowerCase()) ?? UNKNOWN_KEY;
    if (seen.size >= SEEN_MAX) seen.clear();
    seen.set(key, slot);
  }
  return slot;
}

/**
 * Applies one extracted key/value. Known keys fill entities (and time,
 * severity, action); everything else is kept in `fields`. Values that fail
 * validation (a port of "abc") also stay in `fields`, under `fieldKey`
 * (the key as the record wrote it, when `key` is its normalized alias).
 */
export function applyKey(
  ev: Ev,
  st: ParseState,
  key: string,
  value: string,
  fieldKey: string = key,
): void {
  if (value === "") return;
  const slot = slotOf(key);
  if (slot === UNKNOWN_KEY || !applySlot(ev, st, slot, value)) {
    ev.fields[fieldKey] = value;
  } else if (alsoField(slot)) ev.fields[fieldKey] = value;
}

/** True when `key` is a known entity key (callers may skip it in `fields`). */
export function isKnownKey(key: string): boolean {
  return SLOTS.has(key.toLowerCase());
}

function applySlot(ev: Ev, st: ParseState, slot: number, v: string): boolean {
  switch (slot) {
    case SRC_IP:
      setIp(ev, "source", v);
      return true;
    case DST_IP:
      setIp(ev, "destination", v);
      return true;
    case SRC_PORT:
      return portOk(v) && (setPort(ev, "source", v), true);
    case DST_PORT:
      return portOk(v) && (setPort(ev, "destination", v), true);
    case TRANSPORT: {
      // A number is an IANA protocol number (proto=17 is udp), at most 255.
      const c = v.charCodeAt(0);
      if (c >= 48 && c <= 57) {
        const n = toInt(v);
        if (!(n >= 0 && n <= 255)) return false;
      }
      setTransport(ev, v);
      return true;
    }
    case TRANSPORT_NAME: {
      // A number here is no protocol (FortiGate: the NAT source port).
      const c = v.charCodeAt(0);
      if (c >= 48 && c <= 57) return false;
      setTransport(ev, v);
      return true;
    }
    case APP_PROTO:
      setProtocol(ev, v);
      return true;
    case USER:
      setUser(ev, v);
      return true;
    case TARGET_USER:
      setTargetUser(ev, v);
      return true;
    case HOST:
      setHostName(ev, v);
      return true;
    case HOST_IP:
      setHostIp(ev, v);
      return ev.host?.ip !== undefined;
    case ACTION:
      st.act = v;
      return true;
    case OUTCOME:
      st.outcome = v;
      return true;
    case SEVERITY: {
      const s = severityFromText(v);
      if (s >= 0) st.sev = s;
      return true;
    }
    case TIME: {
      const ms = parseTimestamp(v, st.refMs);
      if (ms !== ms) {
        st.tsUnread = v;
        return false;
      }
      st.tsMs = ms;
      return true;
    }
    case SRC_BYTES:
      setBytes(ev, "source", v);
      return ev.source?.bytes !== undefined;
    case DST_BYTES:
      setBytes(ev, "destination", v);
      return ev.destination?.bytes !== undefined;
    case BYTES: {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 0) return false;
      (ev.network ??= {}).bytes = n;
      return true;
    }
    case PACKETS: {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 0) return false;
      (ev.network ??= {}).packets = n;
      return true;
    }
    case SRC_PACKETS:
      setPackets(ev, "source", v);
      return ev.source?.packets !== undefined;
    case DST_PACKETS:
      setPackets(ev, "destination", v);
      return ev.destination?.packets !== undefined;
    case URL:
      setUrl(ev, v);
      return true;
    case METHOD:
      setMethod(ev, v);
      return true;
    case STATUS:
      setStatus(ev, v);
      return ev.http?.response?.status_code !== undefined;
    case RESP_BYTES:
      setResponseBytes(ev, v);
      return ev.http?.response?.bytes !== undefined;
    case USER_AGENT:
      (ev.http ??= {}).user_agent = v;
      return true;
    case REFERRER:
      ((ev.http ??= {}).request ??= {}).referrer = v;
      return true;
    case QUERY:
      setQuery(ev, v);
      return true;
    case QTYPE:
      setQueryType(ev, v);
      return true;
    case RCODE:
      setRcode(ev, v);
      return true;
    case PROCESS:
      setProcessName(ev, v);
      return true;
    case PID:
      setPid(ev, v);
      return ev.process?.pid !== undefined;
    case CMD:
      setCommandLine(ev, v);
      return true;
    case EXE:
      setExecutable(ev, v);
      return true;
    case FILE_NAME:
      (ev.file ??= {}).name = v;
      return true;
    case FILE_PATH:
      (ev.file ??= {}).path = v;
      return true;
    case HASH:
      setHash(ev, "file", v);
      return ev.file?.hash !== undefined;
    case MD5:
      setHash(ev, "file", v, "md5");
      return ev.file?.hash?.md5 !== undefined;
    case SHA1:
      setHash(ev, "file", v, "sha1");
      return ev.file?.hash?.sha1 !== undefined;
    case SHA256:
      setHash(ev, "file", v, "sha256");
      return ev.file?.hash?.sha256 !== undefined;
    case SRC_DOMAIN:
      (ev.source ??= {}).domain = v.toLowerCase();
      return true;
    case DST_DOMAIN:
      (ev.destination ??= {}).domain = v.toLowerCase();
      return true;
    case SRC_COUNTRY:
      return setCountry(ev, "source", v);
    case DST_COUNTRY:
      return setCountry(ev, "destination", v);
  }
  return false;
}

function portOk(v: string): boolean {
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 && n <= 65535;
}
