/**
 * Linux audit records (`/var/log/audit/audit.log`, and the same lines that
 * audispd or audisp-syslog forward through syslog):
 *
 *   [node=HOST ]type=TYPE msg=audit(SECONDS.MS:SERIAL): key=value …
 *
 * - `ts` from `audit(SECONDS.MS:…)`; `host.name` from `node=`; the serial,
 *   which the records of one audited event share (SYSCALL, EXECVE, CWD,
 *   PATH, PROCTITLE), is kept as `fields["auditd.serial"]`.
 * - Every key is kept in `fields` under its audit name (`type`, `syscall`,
 *   `exe`, `comm`, `key`, `a0`…), since that is what SigmaHQ's
 *   `product: linux, service: auditd` rules match; the keys of a user
 *   record's quoted `msg='op=… acct=… res=…'` too. Values auditd wrote as
 *   hex (an untrusted string holding a space, a quote or a control
 *   character: an EXECVE argument, `proctitle`, `cmd`, `name`, …) are
 *   decoded, as `ausearch -i` shows them; `proctitle`'s NUL separators
 *   become spaces. In log_format=ENRICHED lines, the interpreted fields after
 *   the 0x1d separator (`SYSCALL=execve`, `AUID="alice"`) are kept too.
 * - Classified by record type: user logins and PAM steps (auth; an sshd
 *   login is `ssh_login`, so the pack's SSH rules count it once per attempt,
 *   from USER_LOGIN only), account changes (`user_created`, …), EXECVE
 *   (`process_start`, the command line from its arguments), SYSCALL and
 *   PROCTITLE (process), PATH (file); any other type is `other` with the
 *   type in lower case as its action (`config_change`, `anom_abend`, …).
 */
import {
  baseName,
  classify,
  type Ev,
  type ParseState,
  setCommandLine,
  setExecutable,
  setFilePath,
  setHostName,
  setIp,
  setPid,
  setProcessName,
  setTargetUser,
  setUser,
} from "./_event.ts";

/** The record header; `lastIndex`-free (anchored at 0). */
const HEAD =
  /^(?:node=(\S+) )?type=([A-Z][A-Z0-9_]*) msg=audit\((\d{1,12})\.(\d{1,3}):(\d+)\): ?/;

/** The header of an audit record at the start of `line`, or null. */
export function auditHead(line: string): RegExpExecArray | null {
  const c = line.charCodeAt(0);
  return c === 116 || c === 110 ? HEAD.exec(line) : null; // 't', 'n'
}

/** Fields auditd writes as hex when the value needs it (untrusted strings). */
const ENCODABLE = new Set([
  "proctitle",
  "cmd",
  "comm",
  "exe",
  "name",
  "cwd",
  "path",
  "acct",
  "key",
  "data",
  "ocomm",
  "dir",
  "watch",
  "new",
  "old",
]);

/**
 * Record types of a user login, authentication or session step, or account
 * change (USER_LOGIN and USER_CMD are refined by the program below).
 */
const USER_ACTIONS: Record<string, string> = {
  USER_LOGIN: "login",
  USER_CMD: "user_command",
  USER_AUTH: "pam_auth",
  USER_ACCT: "pam_account",
  USER_START: "session_opened",
  USER_END: "session_closed",
  USER_LOGOUT: "logout",
  USER_ERR: "pam_error",
  CRED_ACQ: "credentials_acquired",
  CRED_DISP: "credentials_disposed",
  CRED_REFR: "credentials_refreshed",
  USER_CHAUTHTOK: "password_changed",
  ADD_USER: "user_created",
  DEL_USER: "user_deleted",
  USER_MGMT: "user_modified",
  ADD_GROUP: "group_created",
  DEL_GROUP: "group_deleted",
  GRP_MGMT: "group_modified",
  USER_ROLE_CHANGE: "role_changed",
};

/** Types whose `acct` is the account changed, not the one acting. */
const ACCOUNT_CHANGES = new Set([
  "ADD_USER",
  "DEL_USER",
  "USER_MGMT",
  "USER_CHAUTHTOK",
  "ADD_GROUP",
  "DEL_GROUP",
  "GRP_MGMT",
  "USER_ROLE_CHANGE",
]);

const lossy = new TextDecoder("utf-8", { fatal: false });

/** `hex` decoded as UTF-8 (NULs as spaces), or null if it is not hex. */
function unhex(hex: string): string | null {
  const n = hex.length;
  if (n < 2 || n % 2 !== 0) return null;
  const bytes = new Uint8Array(n / 2);
  for (let i = 0; i < n; i += 2) {
    const hi = hexDigit(hex.charCodeAt(i));
    const lo = hexDigit(hex.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) return null;
    const b = (hi << 4) | lo;
    bytes[i / 2] = b === 0 ? 32 : b;
  }
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 32) end--; // a trailing NUL
  return lossy.decode(bytes.subarray(0, end));
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * Reads `key=value` pairs of `s` from `i` into `out`: values "quoted",
 * 'quoted' (a user record's msg, read as pairs of its own) or bare up to a
 * space or the 0x1d separator. Hex values of the encodable fields (and of
 * EXECVE's arguments) are decoded.
 */
function readPairs(
  s: string,
  i: number,
  type: string,
  out: Map<string, string>,
): void {
  const n = s.length;
  let text = "";
  while (i < n) {
    let c = s.charCodeAt(i);
    if (c === 32 || c === 29 || c === 9) {
      i++;
      continue;
    }
    if (!pairAt(s, i)) {
      // Words that are no pair (an AVC's `avc:  denied  { read } for`).
      let end = i;
      while (end < n && (c = s.charCodeAt(end)) !== 32 && c !== 29) end++;
      text += (text === "" ? "" : " ") + s.slice(i, end);
      i = end;
      continue;
    }
    const eq = s.indexOf("=", i);
    const key = s.slice(i, eq);
    let j = eq + 1;
    c = s.charCodeAt(j);
    if (c === 34 || c === 39) { // "…" or '…': auditd escapes nothing
      const close = s.indexOf(String.fromCharCode(c), j + 1);
      const end = close < 0 ? n : close;
      const value = s.slice(j + 1, end);
      if (c === 39 && key === "msg") readPairs(value, 0, type, out);
      else out.set(key, value);
      i = end + 1;
      continue;
    }
    // A bare value runs to the next ` key=` (auditd writes `op=adding user
    // acct=…` unquoted), a 0x1d or the end.
    while (j < n) {
      c = s.charCodeAt(j);
      if (c === 29 || (c === 32 && pairAt(s, j + 1))) break;
      j++;
    }
    const raw = s.slice(eq + 1, j).trimEnd();
    const hex = raw !== "" &&
        (ENCODABLE.has(key) || (type === "EXECVE" && isArg(key)))
      ? unhex(raw)
      : null;
    out.set(key, hex ?? raw);
    i = j;
  }
  if (text !== "") {
    const had = out.get("auditd.text");
    out.set("auditd.text", had === undefined ? text : `${had} ${text}`);
  }
}

/** True when `key=` starts at `i` (audit keys: letters, digits, `_-[]`). */
function pairAt(s: string, i: number): boolean {
  const n = s.length;
  let j = i;
  while (j < n) {
    const c = s.charCodeAt(j);
    if (
      (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) ||
      c === 95 || c === 91 || c === 93 || c === 45
    ) {
      j++;
    } else break;
  }
  return j > i && j < n && s.charCodeAt(j) === 61;
}

/** `a0`, `a1`, … (and `a1[0]` of an argument split across records). */
function isArg(key: string): boolean {
  return key.charCodeAt(0) === 97 && key.length > 1 &&
    key.charCodeAt(1) >= 48 && key.charCodeAt(1) <= 57;
}

/** A value that names nobody or nothing in audit records. */
function unset(v: string | undefined): boolean {
  return v === undefined || v === "" || v === "?" || v === "(null)" ||
    v === "(unknown)" || v === "unset" || v === "(none)" ||
    v === "(invalid user)"; // sshd: a login name that is no account
}

/** sshd's own executables (OpenSSH 9.8 added sshd-session, 10.0 sshd-auth). */
function isSshd(exe: string | undefined): boolean {
  return exe !== undefined &&
    (exe.endsWith("/sshd") || exe.endsWith("/sshd-session") ||
      exe.endsWith("/sshd-auth"));
}

/** Maps one audit record whose header `m` matched `line`; null on success. */
export function parseAuditd(
  ev: Ev,
  st: ParseState,
  line: string,
  m: RegExpExecArray,
): string | null {
  ev.format = "auditd";
  const type = m[2];
  if (m[1] !== undefined) setHostName(ev, m[1]);
  st.tsMs = Number(m[3]) * 1000 + Number(m[4].padEnd(3, "0"));
  const kv = new Map<string, string>();
  kv.set("type", type);
  kv.set("auditd.serial", m[5]);
  readPairs(line, m[0].length, type, kv);
  for (const [k, v] of kv) ev.fields[k] = v;

  const pid = kv.get("pid");
  if (pid !== undefined) setPid(ev, pid);
  const ppid = kv.get("ppid");
  if (ppid !== undefined && /^\d+$/.test(ppid)) {
    ((ev.process ??= {}).parent ??= {}).pid = Number(ppid);
  }
  // The process the record is about (not a forwarder named by a syslog
  // tag): comm, else the executable's base name.
  const exe = kv.get("exe");
  const comm = kv.get("comm");
  if (!unset(exe)) {
    setExecutable(ev, exe!);
    if (unset(comm)) setProcessName(ev, baseName(exe!));
  }
  if (!unset(comm)) setProcessName(ev, comm!);
  const res = kv.get("res") ?? kv.get("success");
  const outcome = res === "success" || res === "yes" || res === "1"
    ? "success"
    : res === "failed" || res === "no" || res === "0"
    ? "failure"
    : "unknown";

  if (Object.hasOwn(USER_ACTIONS, type)) {
    // The account a login is for; the account a change is made to (its
    // maker is the audit user, by name in ENRICHED logs).
    // A login by id (sshd writes `id=1000` for an accepted login) is named
    // by the ENRICHED format's ID.
    const acct = unset(kv.get("acct")) ? kv.get("ID") : kv.get("acct");
    const change = ACCOUNT_CHANGES.has(type);
    if (!unset(acct)) {
      if (change) setTargetUser(ev, acct!);
      else setUser(ev, acct!);
    }
    const auid = kv.get("AUID");
    if (change && !unset(auid)) setUser(ev, auid!);
    const addr = kv.get("addr");
    if (!unset(addr)) setIp(ev, "source", addr!);
    let action = USER_ACTIONS[type];
    if (type === "USER_LOGIN") {
      if (kv.get("terminal") === "sshd" || isSshd(exe)) action = "ssh_login";
    } else if (type === "USER_CMD") {
      if (exe?.endsWith("/sudo")) action = "sudo";
      const cmd = kv.get("cmd");
      if (!unset(cmd)) setCommandLine(ev, cmd!);
    }
    classify(ev, "auth", action, outcome);
    if (outcome === "failure" || change) st.floor = 1;
    return null;
  }
  switch (type) {
    case "EXECVE": {
      const argc = Number(kv.get("argc"));
      const args: string[] = [];
      for (let i = 0; i < (argc >= 0 ? argc : 0) && i < 4096; i++) {
        const a = kv.get(`a${i}`);
        if (a === undefined) break;
        args.push(a);
      }
      if (args.length > 0) {
        setCommandLine(ev, args.join(" "));
        setProcessName(ev, baseName(args[0]));
      }
      classify(ev, "process", "process_start", "unknown");
      return null;
    }
    case "SYSCALL":
      classify(ev, "process", "syscall", outcome);
      return null;
    case "PROCTITLE": {
      const title = kv.get("proctitle");
      if (!unset(title)) setCommandLine(ev, title!);
      classify(ev, "process", "process_title", "unknown");
      return null;
    }
    case "PATH": {
      const name = kv.get("name");
      if (!unset(name)) setFilePath(ev, name!);
      classify(ev, "file", "file_access", "unknown");
      return null;
    }
  }
  // An SELinux/AppArmor denial (AVC, USER_AVC) is a failure.
  const denied = (type === "AVC" || type === "USER_AVC") &&
    /^avc: +denied/.test(kv.get("auditd.text") ?? "");
  classify(ev, "other", type.toLowerCase(), denied ? "failure" : outcome);
  if (type.startsWith("ANOM_")) st.floor = 2;
  else if (denied) st.floor = 1;
  return null;
}
