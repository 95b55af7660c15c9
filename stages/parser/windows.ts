/**
 * Windows event JSON as dumped from EVTX (`Event.System` / `Event.EventData`,
 * in the layouts of evtx_dump, xmltodict-style `@Name`/`#text` and plain
 * objects), for the Security and Sysmon channels. EventData keeps its own
 * names in `fields` (`TargetUserName`, `CommandLine`, `Image`, …) next to
 * `EventID`, `Channel`, `Provider`, so Sigma's Windows rules reach them.
 */
import {
  baseName,
  classify,
  type Ev,
  type ParseState,
  setCommandLine,
  setExecutable,
  setFilePath,
  setHash,
  setHostName,
  setIp,
  setPid,
  setPort,
  setProtocol,
  setQuery,
  setTargetUser,
  setTransport,
  setUser,
  toInt,
} from "./_event.ts";
import { asObject as obj, flattenInto, scalarText } from "./_flatten.ts";
import { canonicalIp } from "./ip.ts";
import { severityFromText, severityFromWindowsLevel } from "./severity.ts";
import { parseTimestamp } from "./time.ts";

type Obj = Record<string, unknown>;

/** Text of an XML-ish JSON node: a scalar, `{"#text": …}` or `{"_": …}`. */
function text(v: unknown): string | null {
  const s = scalarText(v);
  if (s !== null) return s;
  const o = obj(v);
  if (o === null) return null;
  return scalarText(o["#text"] ?? o["_"] ?? o["Value"]);
}

/** An attribute of a node in any of the dump layouts. */
function attr(node: unknown, name: string): string | null {
  const o = obj(node);
  if (o === null) return null;
  const a = obj(o["#attributes"]) ?? obj(o["$"]);
  return text(a?.[name] ?? o[`@${name}`] ?? o[name]);
}

/**
 * An attribute of the System child `node` (`Provider`, `TimeCreated`, …):
 * inside the node (`#attributes`, `$`, `@Name`), or in the sibling
 * `<node>_attributes` object that evtx_dump --separate-json-attributes and
 * hayabusa write (`"TimeCreated_attributes": {"SystemTime": …}`).
 */
function systemAttr(sys: Obj, node: string, name: string): string | null {
  return attr(sys[node], name) ??
    text(obj(sys[`${node}_attributes`])?.[name]);
}

/** The `System` node when `o` is a Windows event, else null. */
export function windowsSystem(o: Obj): Obj | null {
  const ev = obj(o.Event);
  if (ev !== null) return obj(ev.System);
  if (o.EventData !== undefined || o.UserData !== undefined) {
    return obj(o.System);
  }
  return null;
}

/** Collects EventData as name → string, for every dump layout. */
function eventData(node: unknown, into: Map<string, string>): void {
  const o = obj(node);
  if (o === null) return;
  const data = o.Data;
  if (
    data !== undefined &&
    (Array.isArray(data) || obj(data)?.["#attributes"] !== undefined ||
      obj(data)?.["@Name"] !== undefined || obj(data)?.Name !== undefined)
  ) {
    const list = Array.isArray(data) ? data : [data];
    for (const d of list) {
      const name = attr(d, "Name");
      const value = text(d);
      if (name !== null && value !== null) into.set(name, value);
    }
    return;
  }
  for (const k in o) {
    if (k === "#attributes" || k.charCodeAt(0) === 64) continue;
    const v = o[k];
    const t = text(v);
    if (t !== null) into.set(k, t);
    else if (v !== null && typeof v === "object") {
      into.set(k, JSON.stringify(v));
    }
  }
}

const SYSMON = "Microsoft-Windows-Sysmon/Operational";

/**
 * What every Windows event layout gives, read apart from the layout: the
 * System values and the EventData name → value pairs.
 */
interface WindowsRecord {
  format: string;
  eventId: number;
  channel: string;
  provider: string;
  computer: string | null;
  /** Windows level (0-5), or -1. */
  level: number;
  /** A severity word when the layout gives no level (Winlogbeat, NXLog). */
  levelText: string | null;
  /** Keywords as the EVTX hex mask ("0x8010000000000000": audit failure). */
  keywords: string;
  /** TimeCreated (any form parseTimestamp reads), or null. */
  time: unknown;
  /** Further System values kept in fields (Task, Opcode, Execution.*, …). */
  system: [string, string][];
  data: Map<string, string>;
}

/** Parses a Windows event (see {@link windowsSystem}); null on success. */
export function parseWindows(
  ev: Ev,
  st: ParseState,
  o: Obj,
  sys: Obj,
): string | null {
  const root = obj(o.Event) ?? o;
  const idText = text(sys.EventID);
  const eventId = idText === null ? -1 : toInt(idText);
  if (eventId < 0) {
    return "windows event: System.EventID missing or not a number";
  }
  const system: [string, string][] = [];
  for (const k of ["Task", "Opcode", "EventRecordID", "Version"]) {
    const v = text(sys[k]);
    if (v !== null) system.push([k, v]);
  }
  // The process and account that wrote the event (for Security events the
  // audit service, not the subject: kept apart from process.pid/user).
  const writerPid = systemAttr(sys, "Execution", "ProcessID");
  if (writerPid !== null) system.push(["Execution.ProcessID", writerPid]);
  const writerTid = systemAttr(sys, "Execution", "ThreadID");
  if (writerTid !== null) system.push(["Execution.ThreadID", writerTid]);
  const writerSid = systemAttr(sys, "Security", "UserID");
  if (writerSid !== null) system.push(["Security.UserID", writerSid]);
  const data = new Map<string, string>();
  eventData(root.EventData, data);
  if (root.UserData !== undefined) flattenInto(ev, "UserData", root.UserData);
  return applyWindows(ev, st, {
    format: "windows_evtx",
    eventId,
    channel: text(sys.Channel) ?? "",
    provider: systemAttr(sys, "Provider", "Name") ?? "",
    computer: text(sys.Computer),
    level: toInt(text(sys.Level) ?? ""),
    levelText: null,
    keywords: text(sys.Keywords) ?? "",
    time: systemAttr(sys, "TimeCreated", "SystemTime"),
    system,
    data,
  });
}

/** Keywords of an audit failure / success as EVTX writes the mask. */
const AUDIT_FAILURE = "0x8010000000000000";
const AUDIT_SUCCESS = "0x8020000000000000";

/**
 * A Windows event as Winlogbeat (and Elastic Agent's Windows integration)
 * ships it: ECS around `winlog` (`channel`, `event_id`, `provider_name`,
 * `computer_name`, `event_data`, `user_data`, `keywords: ["Audit
 * Failure"]`). Null when `o` is not one.
 */
export function parseWinlogbeat(
  ev: Ev,
  st: ParseState,
  o: Obj,
): string | null | undefined {
  const w = obj(o.winlog);
  if (w === null || typeof w.channel !== "string") return undefined;
  const eventId = toInt(text(w.event_id) ?? "");
  if (eventId < 0) return undefined;
  const data = new Map<string, string>();
  eventData(w.event_data, data);
  fromEcs(o, data, w.channel === SYSMON);
  if (w.user_data !== undefined) flattenInto(ev, "UserData", w.user_data);
  const system: [string, string][] = [];
  for (
    const [k, name] of [
      ["record_id", "EventRecordID"],
      ["task", "Task"],
      ["opcode", "Opcode"],
      ["version", "Version"],
    ]
  ) {
    const v = text(w[k]);
    if (v !== null) system.push([name, v]);
  }
  const pid = text(obj(w.process)?.pid);
  if (pid !== null) system.push(["Execution.ProcessID", pid]);
  // The ECS around winlog (agent, event.*, log.*), under its own names.
  for (const k in o) {
    if (k !== "winlog" && k !== "@timestamp" && k !== "message") {
      flattenInto(ev, k, o[k]);
    }
  }
  const words = Array.isArray(w.keywords) ? w.keywords.map(String) : [];
  const logLevel = obj(o.log)?.level;
  return applyWindows(ev, st, {
    format: "windows_winlogbeat",
    eventId,
    channel: w.channel,
    provider: text(w.provider_name) ?? "",
    computer: text(w.computer_name),
    level: -1,
    levelText: typeof logLevel === "string" ? logLevel : null,
    keywords: words.includes("Audit Failure")
      ? AUDIT_FAILURE
      : words.includes("Audit Success")
      ? AUDIT_SUCCESS
      : "",
    time: o["@timestamp"],
    system,
    data,
  });
}

/**
 * EventData names and the ECS fields Winlogbeat's modules (and Elastic's
 * ingest pipelines) move them to: a processed record no longer carries
 * `Image`, `CommandLine`, `IpAddress`, …; they are read back from ECS
 * where missing, so the classification and Sigma's Windows rules see the
 * same names either way.
 */
const COMMON_FROM_ECS: [string, string][] = [
  ["CommandLine", "process.command_line"],
  ["ParentCommandLine", "process.parent.command_line"],
  ["TargetFilename", "file.path"],
  ["QueryName", "dns.question.name"],
  ["ScriptBlockText", "powershell.file.script_block_text"],
];
const SYSMON_FROM_ECS: [string, string][] = [
  ...COMMON_FROM_ECS,
  ["Image", "process.executable"],
  ["ProcessId", "process.pid"],
  ["ParentImage", "process.parent.executable"],
  ["ParentProcessId", "process.parent.pid"],
  ["SourceIp", "source.ip"],
  ["SourcePort", "source.port"],
  ["DestinationIp", "destination.ip"],
  ["DestinationPort", "destination.port"],
  ["DestinationHostname", "destination.domain"],
];
const SECURITY_FROM_ECS: [string, string][] = [
  ...COMMON_FROM_ECS,
  ["NewProcessName", "process.executable"],
  ["NewProcessId", "process.pid"],
  ["ParentProcessName", "process.parent.executable"],
  ["IpAddress", "source.ip"],
  ["IpPort", "source.port"],
  ["WorkstationName", "source.domain"],
];

/** The tables above with their ECS paths split once, not per event. */
type EcsNames = [string, string[]][];
const split = (t: [string, string][]): EcsNames =>
  t.map(([name, path]) => [name, path.split(".")]);
const SYSMON_ECS = split(SYSMON_FROM_ECS);
const SECURITY_ECS = split(SECURITY_FROM_ECS);
const USER_NAME = ["user", "name"];
const USER_DOMAIN = ["user", "domain"];
const HASHES = ["sha256", "sha1", "md5", "imphash"].map((h) =>
  [
    h.toUpperCase(),
    ["process", "hash", h],
    ["file", "hash", h],
  ] as const
);

/** The value at `path` of `o` as text, or null. */
function at(o: Obj, path: readonly string[]): string | null {
  let v: unknown = o;
  for (const k of path) v = obj(v)?.[k];
  const t = text(v);
  return t === null || t === "" || t === "-" ? null : t;
}

/** Fills EventData names missing from `data` from their ECS fields. */
function fromEcs(o: Obj, data: Map<string, string>, sysmon: boolean): void {
  for (const [name, path] of sysmon ? SYSMON_ECS : SECURITY_ECS) {
    if (data.has(name)) continue;
    const v = at(o, path);
    if (v !== null) data.set(name, v);
  }
  if (!sysmon) return;
  // Sysmon's User (DOMAIN\name) and Hashes (SHA256=…,MD5=…).
  if (!data.has("User")) {
    const name = at(o, USER_NAME);
    const domain = at(o, USER_DOMAIN);
    if (name !== null) {
      data.set("User", domain !== null ? `${domain}\\${name}` : name);
    }
  }
  if (!data.has("Hashes")) {
    const parts: string[] = [];
    for (const [label, process, file] of HASHES) {
      const v = at(o, process) ?? at(o, file);
      if (v !== null) parts.push(`${label}=${v}`);
    }
    if (parts.length > 0) data.set("Hashes", parts.join(","));
  }
}

/** The keys NXLog's im_msvistalog adds around the EventData fields. */
const NXLOG_SYSTEM = new Set([
  "EventTime",
  "EventReceivedTime",
  "Hostname",
  "Keywords",
  "EventType",
  "SeverityValue",
  "Severity",
  "EventID",
  "SourceName",
  "ProviderGuid",
  "Version",
  "Task",
  "OpcodeValue",
  "RecordNumber",
  "ProcessID",
  "ThreadID",
  "Channel",
  "Message",
  "Category",
  "Opcode",
  "SourceModuleName",
  "SourceModuleType",
  "Domain",
  "AccountName",
  "UserID",
  "AccountType",
  "ActivityID",
  "RelatedActivityID",
]);

/**
 * A Windows event as NXLog's im_msvistalog writes it in JSON: flat, the
 * System values under NXLog's names (`EventID`, `Channel`, `SourceName`,
 * `Hostname`, `EventTime`, `EventType: AUDIT_FAILURE`) next to the
 * EventData fields. Null-ish (undefined) when `o` is not one.
 */
export function parseNxlogWindows(
  ev: Ev,
  st: ParseState,
  o: Obj,
): string | null | undefined {
  // NXLog adds its own keys (EventReceivedTime, SourceModuleType, …)
  // unless a config drops them; a record with the provider's GUID or a
  // record number is one too. An app's JSON with Channel, SourceName and
  // EventID alone is not.
  if (
    typeof o.Channel !== "string" ||
    (o.SourceModuleType !== "im_msvistalog" &&
      (typeof o.SourceName !== "string" ||
        (o.EventReceivedTime === undefined && o.ProviderGuid === undefined &&
          o.RecordNumber === undefined)))
  ) {
    return undefined;
  }
  const eventId = toInt(text(o.EventID) ?? "");
  if (eventId < 0) return undefined;
  const data = new Map<string, string>();
  const system: [string, string][] = [];
  for (const k in o) {
    const t = text(o[k]);
    if (NXLOG_SYSTEM.has(k)) {
      // Keywords: a 64-bit mask as a JSON number (no longer exact); the
      // audit outcome comes from EventType.
      if (t !== null && k !== "Message" && k !== "Keywords") {
        system.push([k, t]);
      }
    } else if (t !== null) data.set(k, t);
    else if (o[k] !== null && typeof o[k] === "object") {
      data.set(k, JSON.stringify(o[k]));
    }
  }
  const type = o.EventType;
  return applyWindows(ev, st, {
    format: "windows_nxlog",
    eventId,
    channel: o.Channel,
    provider: text(o.SourceName) ?? "",
    computer: text(o.Hostname),
    level: -1,
    // NXLog rates an audit failure ERROR; EVTX gives audit events level 0.
    levelText:
      typeof o.EventType === "string" && o.EventType.startsWith("AUDIT_")
        ? null
        : text(o.Severity),
    keywords: type === "AUDIT_FAILURE"
      ? AUDIT_FAILURE
      : type === "AUDIT_SUCCESS"
      ? AUDIT_SUCCESS
      : "",
    time: o.EventTime,
    system,
    data,
  });
}

/** Maps a Windows event read from any layout; null on success. */
function applyWindows(ev: Ev, st: ParseState, r: WindowsRecord): null {
  ev.format = r.format;
  st.sliced = true; // domain\\user, hashes and answers are split apart
  const f = ev.fields;
  f.EventID = String(r.eventId);
  if (r.channel !== "") f.Channel = r.channel;
  if (r.provider !== "") f.Provider = r.provider;
  if (r.computer !== null) setHostName(ev, r.computer);
  if (r.level >= 0) {
    f.Level = String(r.level);
    st.sev = severityFromWindowsLevel(r.level);
  } else if (r.levelText !== null) {
    const s = severityFromText(r.levelText);
    if (s >= 0) st.sev = s;
  }
  if (r.keywords !== "") f.Keywords = r.keywords;
  for (const [k, v] of r.system) f[k] = v;
  if (r.time !== null && r.time !== undefined) {
    const ms = parseTimestamp(r.time, st.refMs);
    if (ms === ms) st.tsMs = ms;
  }
  for (const [k, v] of r.data) f[k] = v;
  const sysmon = r.channel === SYSMON ||
    r.provider === "Microsoft-Windows-Sysmon";
  if (sysmon) sysmonEvent(ev, st, r.eventId, r.data);
  else securityEvent(ev, st, r.eventId, r.data, r.keywords);
  return null;
}

function domainUser(ev: Ev, v: string | undefined): void {
  if (v === undefined || v === "" || v === "-") return;
  const slash = v.indexOf("\\");
  if (slash > 0) setUser(ev, v.slice(slash + 1), v.slice(0, slash));
  else setUser(ev, v);
}

function sysmonEvent(
  ev: Ev,
  st: ParseState,
  id: number,
  d: Map<string, string>,
): void {
  domainUser(ev, d.get("User"));
  const image = d.get("Image");
  if (image !== undefined) setExecutable(ev, image);
  const pid = d.get("ProcessId");
  if (pid !== undefined) setPid(ev, pid);
  switch (id) {
    case 1: {
      classify(ev, "process", "process_start", "success");
      const cmd = d.get("CommandLine");
      if (cmd !== undefined) setCommandLine(ev, cmd);
      parent(
        ev,
        d.get("ParentImage"),
        d.get("ParentProcessId"),
        d.get("ParentCommandLine"),
      );
      const hashes = d.get("Hashes");
      if (hashes !== undefined) {
        for (const part of hashes.split(",")) {
          const eq = part.indexOf("=");
          if (eq > 0) {
            setHash(ev, "process", part.slice(eq + 1), part.slice(0, eq));
          }
        }
      }
      return;
    }
    case 3: {
      classify(ev, "network", "connection", "success");
      setIp(ev, "source", d.get("SourceIp") ?? "");
      setPort(ev, "source", d.get("SourcePort") ?? "");
      setIp(ev, "destination", d.get("DestinationIp") ?? "");
      setPort(ev, "destination", d.get("DestinationPort") ?? "");
      setTransport(ev, d.get("Protocol") ?? "");
      // "-" is Sysmon's "no name resolved", not a host called "-".
      const host = d.get("DestinationHostname");
      if (host && host !== "-") {
        (ev.destination ??= {}).domain = host.toLowerCase();
      }
      if (d.get("Initiated") === "true") {
        (ev.network ??= {}).direction = "outbound";
      }
      return;
    }
    case 5:
      classify(ev, "process", "process_end", "success");
      return;
    case 7:
      classify(ev, "process", "image_load", "success");
      return;
    case 8:
      classify(ev, "process", "remote_thread_created", "success");
      st.floor = 1;
      return;
    case 10:
      classify(ev, "process", "process_access", "success");
      return;
    case 11:
    case 15:
    case 23:
    case 26: {
      classify(
        ev,
        "file",
        id === 11
          ? "file_create"
          : id === 15
          ? "file_stream_create"
          : "file_delete",
        "success",
      );
      const path = d.get("TargetFilename");
      if (path !== undefined) setFilePath(ev, path);
      return;
    }
    case 12:
    case 13:
    case 14:
      classify(ev, "other", "registry_change", "success");
      return;
    case 22: {
      const status = d.get("QueryStatus");
      classify(
        ev,
        "dns",
        "dns_query",
        status === undefined
          ? "unknown"
          : status === "0"
          ? "success"
          : "failure",
      );
      setQuery(ev, d.get("QueryName") ?? "");
      setProtocol(ev, "dns");
      const results = d.get("QueryResults");
      if (results && results !== "-") {
        const answers = sysmonAnswers(results);
        if (answers.length > 0) (ev.dns ??= {}).answers = answers;
      }
      return;
    }
  }
  classify(ev, "other", `sysmon_${id}`, "unknown");
}

/** The `type:  N ` that leads a non-A/AAAA record in Sysmon's QueryResults. */
const SYSMON_RECORD_TYPE = /^type:\s*\d+\s*/;

/**
 * Sysmon 22's `QueryResults`, e.g. `type:  5 edge.example.net;::ffff:1.2.3.4;`:
 * a record other than A/AAAA is written `type:  N NAME` (5 is a CNAME), an
 * IPv4 address as IPv4-mapped IPv6. The answers are the names and addresses
 * themselves, addresses in the text every IP field gets (canonicalIp):
 * `edge.example.net`, `1.2.3.4`.
 */
function sysmonAnswers(results: string): string[] {
  const out: string[] = [];
  for (const raw of results.split(";")) {
    let a = raw.trim();
    if (a.startsWith("type:")) a = a.replace(SYSMON_RECORD_TYPE, "");
    if (a !== "") out.push(canonicalIp(a) ?? a);
  }
  return out;
}

function parent(ev: Ev, image?: string, pid?: string, cmd?: string): void {
  if (image === undefined && pid === undefined && cmd === undefined) return;
  const p = ((ev.process ??= {}).parent ??= {});
  if (image !== undefined && image !== "" && image !== "-") {
    p.executable = image;
    p.name = baseName(image);
  }
  const n = toInt(pid ?? "");
  if (n >= 0) p.pid = n;
  if (cmd !== undefined && cmd !== "") p.command_line = cmd;
}

function securityEvent(
  ev: Ev,
  st: ParseState,
  id: number,
  d: Map<string, string>,
  keywords: string,
): void {
  const subject = d.get("SubjectUserName");
  const target = d.get("TargetUserName");
  const ip = d.get("IpAddress");
  if (ip !== undefined && ip !== "-") setIp(ev, "source", ip);
  const port = d.get("IpPort");
  if (port !== undefined && port !== "0" && port !== "-") {
    setPort(ev, "source", port);
  }
  const statusOk = d.get("Status") === undefined || d.get("Status") === "0x0";
  switch (id) {
    case 4624:
    case 4625: {
      const ok = id === 4624;
      classify(ev, "auth", "logon", ok ? "success" : "failure");
      setUser(ev, target ?? "", d.get("TargetDomainName"));
      if (d.get("LogonType") === "10") setProtocol(ev, "rdp");
      if (!ok) st.floor = 1;
      return;
    }
    case 4634:
    case 4647:
      classify(ev, "auth", "logoff", "success");
      setUser(ev, target ?? "", d.get("TargetDomainName"));
      return;
    case 4648:
      classify(ev, "auth", "explicit_credentials_logon", "success");
      setUser(ev, subject ?? "", d.get("SubjectDomainName"));
      setTargetUser(ev, target ?? "", d.get("TargetDomainName"));
      return;
    case 4672:
      classify(ev, "auth", "special_privileges_assigned", "success");
      setUser(ev, subject ?? "", d.get("SubjectDomainName"));
      return;
    case 4688: {
      classify(ev, "process", "process_start", "success");
      setUser(ev, subject ?? "", d.get("SubjectDomainName"));
      const exe = d.get("NewProcessName");
      if (exe !== undefined) setExecutable(ev, exe);
      const pid = d.get("NewProcessId");
      if (pid !== undefined) setPid(ev, pid);
      const cmd = d.get("CommandLine");
      if (cmd !== undefined) setCommandLine(ev, cmd);
      parent(ev, d.get("ParentProcessName"), d.get("ProcessId"));
      return;
    }
    case 4689:
      classify(ev, "process", "process_end", "success");
      setUser(ev, subject ?? "", d.get("SubjectDomainName"));
      if (d.get("ProcessName")) setExecutable(ev, d.get("ProcessName")!);
      return;
    case 4720:
    case 4722:
    case 4723:
    case 4724:
    case 4725:
    case 4726:
    case 4738:
    case 4740: {
      const action = id === 4720
        ? "user_created"
        : id === 4726
        ? "user_deleted"
        : id === 4740
        ? "account_locked"
        : "user_modified";
      classify(ev, "auth", action, id === 4740 ? "failure" : "success");
      setUser(ev, subject ?? "", d.get("SubjectDomainName"));
      setTargetUser(ev, target ?? "", d.get("TargetDomainName"));
      st.floor = 1;
      return;
    }
    case 4728:
    case 4732:
    case 4756:
    case 4729:
    case 4733:
    case 4757: {
      classify(ev, "auth", "user_modified", "success");
      setUser(ev, subject ?? "", d.get("SubjectDomainName"));
      const member = d.get("MemberName");
      setTargetUser(
        ev,
        member !== undefined && member !== "-"
          ? member
          : d.get("MemberSid") ?? "",
      );
      if (target !== undefined) ev.fields.group = target;
      st.floor = 1;
      return;
    }
    case 4768:
    case 4769:
    case 4771:
    case 4776: {
      const action = id === 4768
        ? "kerberos_tgt_request"
        : id === 4769
        ? "kerberos_service_ticket"
        : id === 4771
        ? "kerberos_preauth"
        : "ntlm_validation";
      const ok = id !== 4771 && statusOk &&
        (d.get("ErrorCode") === undefined || d.get("ErrorCode") === "0x0");
      classify(ev, "auth", action, ok ? "success" : "failure");
      setUser(ev, target ?? "", d.get("TargetDomainName"));
      if (!ok) st.floor = 1;
      return;
    }
    case 1102:
      classify(ev, "other", "audit_log_cleared", "success");
      st.floor = 2;
      return;
    case 5156:
    case 5157:
      classify(
        ev,
        "network",
        "connection",
        id === 5156 ? "success" : "failure",
      );
      setIp(ev, "source", d.get("SourceAddress") ?? "");
      setPort(ev, "source", d.get("SourcePort") ?? "");
      setIp(ev, "destination", d.get("DestAddress") ?? "");
      setPort(ev, "destination", d.get("DestPort") ?? "");
      setTransport(ev, d.get("Protocol") ?? "");
      if (d.get("Application")) setExecutable(ev, d.get("Application")!);
      return;
    case 4697:
    case 7045:
      classify(ev, "process", "service_installed", "success");
      st.floor = 1;
      return;
    case 4698:
      classify(ev, "process", "scheduled_task_created", "success");
      setUser(ev, subject ?? "", d.get("SubjectDomainName"));
      return;
  }
  if (subject !== undefined) setUser(ev, subject, d.get("SubjectDomainName"));
  const outcome = keywords === AUDIT_FAILURE
    ? "failure"
    : keywords === AUDIT_SUCCESS
    ? "success"
    : "unknown";
  classify(ev, "other", `windows_event_${id}`, outcome);
}
