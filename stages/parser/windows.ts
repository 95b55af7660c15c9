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
import { flattenInto, scalarText } from "./_flatten.ts";
import { canonicalIp } from "./ip.ts";
import { severityFromWindowsLevel } from "./severity.ts";
import { parseTimestamp } from "./time.ts";

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | null {
  return typeof v === "object" && v !== null && !Array.isArray(v)
    ? v as Obj
    : null;
}

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

/** Parses a Windows event (see {@link windowsSystem}); null on success. */
export function parseWindows(
  ev: Ev,
  st: ParseState,
  o: Obj,
  sys: Obj,
): string | null {
  ev.format = "windows_evtx";
  st.sliced = true; // domain\\user, hashes and answers are split apart
  const root = obj(o.Event) ?? o;
  const f = ev.fields;
  const idText = text(sys.EventID);
  const eventId = idText === null ? -1 : toInt(idText);
  if (eventId < 0) {
    return "windows event: System.EventID missing or not a number";
  }
  const channel = text(sys.Channel) ?? "";
  const provider = systemAttr(sys, "Provider", "Name") ?? "";
  f.EventID = String(eventId);
  if (channel !== "") f.Channel = channel;
  if (provider !== "") f.Provider = provider;
  const computer = text(sys.Computer);
  if (computer !== null) setHostName(ev, computer);
  const level = toInt(text(sys.Level) ?? "");
  if (level >= 0) {
    f.Level = String(level);
    st.sev = severityFromWindowsLevel(level);
  }
  const keywords = text(sys.Keywords) ?? "";
  if (keywords !== "") f.Keywords = keywords;
  for (const k of ["Task", "Opcode", "EventRecordID", "Version"]) {
    const v = text(sys[k]);
    if (v !== null) f[k] = v;
  }
  // The process and account that wrote the event (for Security events the
  // audit service, not the subject: kept apart from process.pid/user).
  const writerPid = systemAttr(sys, "Execution", "ProcessID");
  if (writerPid !== null) f["Execution.ProcessID"] = writerPid;
  const writerTid = systemAttr(sys, "Execution", "ThreadID");
  if (writerTid !== null) f["Execution.ThreadID"] = writerTid;
  const writerSid = systemAttr(sys, "Security", "UserID");
  if (writerSid !== null) f["Security.UserID"] = writerSid;
  const when = systemAttr(sys, "TimeCreated", "SystemTime");
  if (when !== null) {
    const ms = parseTimestamp(when, st.refMs);
    if (ms === ms) st.tsMs = ms;
  }
  const data = new Map<string, string>();
  eventData(root.EventData, data);
  if (root.UserData !== undefined) flattenInto(ev, "UserData", root.UserData);
  for (const [k, v] of data) f[k] = v;

  const sysmon = channel === SYSMON || provider === "Microsoft-Windows-Sysmon";
  if (sysmon) sysmonEvent(ev, st, eventId, data);
  else securityEvent(ev, st, eventId, data, keywords);
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
      if (path !== undefined) {
        (ev.file ??= {}).path = path, ev.file.name = baseName(path);
      }
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

const AUDIT_FAILURE = "0x8010000000000000";

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
    : keywords === "0x8020000000000000"
    ? "success"
    : "unknown";
  classify(ev, "other", `windows_event_${id}`, outcome);
}
