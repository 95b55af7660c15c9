/**
 * Classifiers for the syslog messages of the programs a SOC cares about:
 * sshd, pam_unix (any service), sudo, su, useradd/groupadd/usermod/gpasswd,
 * cron, and kernel firewall (iptables/ufw) lines. Each is chosen by program
 * name, then by the message's first characters, before any regex runs.
 */
import {
  classify,
  type Ev,
  type ParseState,
  setCommandLine,
  setIp,
  setPort,
  setProtocol,
  setTargetUser,
  setTransport,
  setUser,
} from "./_event.ts";
import { applyKey } from "./_keys.ts";

// The user name is the client's to choose and may itself hold " from 10.0.0.1
// port 22 ssh2"; sshd appends the real " from <ip> port <n>" after it. So
// the user part is greedy: the match is the LAST " from <host> port <n>"
// (the port-less form, old sshd, is tried only when no port follows any).
const SSHD_AUTH =
  /^(Failed|Accepted) (\S+) for (invalid user )?(.*) from (\S+) port (\d+)/;
const SSHD_AUTH_NO_PORT =
  /^(Failed|Accepted) (\S+) for (invalid user )?(.*) from (\S+)/;
const SSHD_INVALID = /^[Ii]nvalid user (.*) from (\S+)(?: port (\d+))?/;
const SSHD_DISCONNECT =
  /^(?:Received disconnect from|Disconnected from|Connection closed by|Connection reset by) (\S+?)(?::| port (\d+)| \[preauth\]|$)/;
/** Same, naming a user: greedy up to the last "<ip> port <n>" (see SSHD_AUTH). */
const SSHD_DISCONNECT_USER =
  /^(?:Disconnected from|Connection closed by|Connection reset by) (?:invalid |authenticating )?user (.*) (\S+) port (\d+)/;
const SSHD_MAX_AUTH =
  /^(?:error: )?maximum authentication attempts exceeded for (invalid user )?(.*) from (\S+) port (\d+)/;
/** OpenSSH ≥ 7.x names the peer; older ones only the user (`for git [preauth]`). */
const SSHD_TOO_MANY =
  /^Disconnecting(?::| (?:invalid |authenticating )?user (.*) (\S+) port (\d+):) Too many authentication failures(?: for (?:invalid user )?(.*?))?(?: \[preauth\])?$/;
/** The reason is sshd's own text after the user's name: greedy up to it. */
const SSHD_NOT_ALLOWED = /^User (.*) from (\S+) not allowed because (.*)$/;
const SSHD_ROOT_REFUSED = /^ROOT LOGIN REFUSED FROM (\S+)(?: port (\d+))?/;
/**
 * sshd's PAM conversation failing (keyboard-interactive/PAM, FreeBSD, macOS,
 * SSSD): `error: PAM: Authentication failure for [illegal user ]X from IP`.
 * The user is greedy up to the last " from " (see SSHD_AUTH).
 */
const SSHD_PAM_ERROR =
  /^error: PAM: ([^:]+?) for (illegal user |invalid user )?(.*) from (\S+)$/;
const SSHD_BREAK_IN_IP =
  /(?:getaddrinfo for \S+ \[([^\]]+)\]|^Address (\S+) maps to)/;
const PAM_HEAD = /^pam_unix\(([^:)]+)(?::(\w+))?\): ?/;
const PAM_SESSION =
  /^session (opened|closed) for user (\S+?)(?:\(uid=\d+\))?(?: by (\S*?)\(uid=(\d+)\))?\s*$/;
const SSHD_PAM_MORE = /^PAM (\d+) more authentication failures?;/;
const SU_DEBIAN = /^\(to (\S+)\) (\S+) on (\S+)/;
const SU_DEBIAN_FAILED = /^FAILED SU \(to (\S+)\) (\S+) on (\S+)/;
const SU_REDHAT = /^(Successful|FAILED) su for (\S+) by (\S+)/;
const SU_SHORT = /^([+-]) (\S+) (\S+?):(\S+)/;
/** BSD su, as in RFC 3164/5424's examples: `'su root' failed for lonvick on /dev/pts/8`. */
const SU_BSD = /^'su (\S+)' (failed|succeeded) for (\S+) on (\S+)/;
const USERMOD_GROUP = /^add '([^']+)' to (?:shadow )?group '([^']+)'/;
const GPASSWD_GROUP =
  /^(?:user (\S+) added by (\S+) to group (\S+)|members of group (\S+) set by (\S+) to (\S+))/;
const QUOTED = /'([^']+)'/;
/** `ADDR (NAME)` after "from": the peer and its reverse-DNS name (may be empty). */
const PEER_NAMED = /^(\S+) \(([^)\s]*)\)/;
const CRON_CMD = /^\((\S+)\) CMD \((.*)\)\s*$/;
const FIREWALL_WORD = /\b(BLOCK|DROP|DENY|REJECT|ACCEPT|ALLOW|AUDIT)\b/i;
const FIREWALL_PASS = /^(ACCEPT|ALLOW|AUDIT)$/i;

/**
 * Classifies a syslog message by its program. `module` is the PAM module of
 * old-style tags (`sshd(pam_unix)`), or "". Leaves the event unclassified
 * when nothing matches.
 */
export function classifyProgramMessage(
  ev: Ev,
  st: ParseState,
  program: string,
  module: string,
  msg: string,
): void {
  if (module === "pam_unix") {
    pamMessage(ev, st, program, "", msg);
    return;
  }
  if (msg.startsWith("pam_unix(")) {
    const m = PAM_HEAD.exec(msg);
    if (m !== null) {
      pamMessage(ev, st, m[1], m[2] ?? "", msg.slice(m[0].length));
      return;
    }
  }
  // PAM 0.79 (Debian/Ubuntu until about 2009) put the module after the
  // program's colon: `sshd[1]: (pam_unix) authentication failure; …`.
  if (msg.startsWith("(pam_unix) ")) {
    pamMessage(ev, st, program, "", msg.slice(11));
    return;
  }
  switch (program) {
    case "sshd":
    // OpenSSH 9.8 logs a connection's messages as sshd-session, 10.0 its
    // authentication as sshd-auth: the same messages.
    case "sshd-session":
    case "sshd-auth":
      sshdMessage(ev, st, msg);
      return;
    case "sudo":
      sudoMessage(ev, st, msg);
      return;
    case "su":
      suMessage(ev, st, msg);
      return;
    case "useradd":
    case "groupadd":
    case "adduser":
      userAddMessage(ev, st, msg);
      return;
    case "usermod":
    case "gpasswd":
    case "passwd":
    case "chage":
    case "userdel":
    case "groupmod":
      userModMessage(ev, st, program, msg);
      return;
    case "CRON":
    case "cron":
    case "crond":
    case "anacron":
      cronMessage(ev, msg);
      return;
    case "kernel":
      if (msg.indexOf(" SRC=") >= 0) firewallMessage(ev, st, msg);
      return;
    case "klogind":
    case "kshd":
      kerberosRshMessage(ev, st, msg);
      return;
    case "ftpd":
      if (msg.startsWith("connection from ")) {
        // BSD/wu-ftpd: one line per TCP connection accepted, before any
        // login: `connection from 1.2.3.4 (host.example) at <date>`.
        classify(ev, "network", "ftp_connection", "success");
        setProtocol(ev, "ftp");
        peerNamed(ev, msg.slice("connection from ".length));
      }
      return;
  }
}

/**
 * klogind/kshd (Kerberized rlogin/rsh): `Authentication failed from ADDR
 * (NAME): <reason>` names the peer; the `Kerberos authentication failed`
 * line that follows it for the same connection is its own action, so one
 * failed connection is counted once as a klogin_login failure.
 */
function kerberosRshMessage(ev: Ev, st: ParseState, msg: string): void {
  setProtocol(ev, "klogin");
  if (msg.startsWith("Authentication failed from ")) {
    classify(ev, "auth", "klogin_login", "failure");
    peerNamed(ev, msg.slice("Authentication failed from ".length));
    const colon = msg.indexOf("): ");
    if (colon > 0) ev.fields["klogin.reason"] = msg.slice(colon + 3).trim();
    st.floor = 1;
  } else if (msg.startsWith("Kerberos authentication failed")) {
    classify(ev, "auth", "kerberos_auth", "failure");
    st.floor = 1;
  }
}

/** The source of `ADDR (NAME)…`: its address, and its name when it differs. */
function peerNamed(ev: Ev, rest: string): void {
  const m = PEER_NAMED.exec(rest);
  if (m === null) return;
  setIp(ev, "source", m[1]);
  if (m[2] !== "" && m[2] !== m[1]) setIp(ev, "source", m[2]);
}

function sshdMessage(ev: Ev, st: ParseState, msg: string): void {
  setProtocol(ev, "ssh");
  const c = msg.charCodeAt(0);
  if (c === 70 || c === 65) { // Failed / Accepted
    const m = SSHD_AUTH.exec(msg) ?? SSHD_AUTH_NO_PORT.exec(msg);
    if (m !== null) {
      const ok = m[1] === "Accepted";
      // "Failed none" is the client asking which methods are allowed, logged
      // before every real attempt: not a password guess, so not a failed
      // login (counting it would double brute-force counts).
      const probe = !ok && m[2] === "none";
      classify(
        ev,
        "auth",
        probe ? "ssh_auth_probe" : "ssh_login",
        ok ? "success" : probe ? "unknown" : "failure",
      );
      ev.fields["ssh.method"] = m[2];
      if (m[3] !== undefined) ev.fields["ssh.invalid_user"] = "true";
      setUser(ev, m[4]);
      setIp(ev, "source", m[5]);
      if (m[6] !== undefined) setPort(ev, "source", m[6]);
      if (!ok && !probe) st.floor = 1;
      return;
    }
  }
  if (c === 80) { // PAM 2 more authentication failures; … rhost=… user=…
    const m = SSHD_PAM_MORE.exec(msg);
    if (m !== null) {
      // A summary of failures already logged one by one ("Failed password"),
      // so its own action: counting it as ssh_login would count them twice.
      classify(ev, "auth", "ssh_auth_failures", "failure");
      ev.fields["ssh.more_failures"] = m[1];
      pamKeyValues(ev, "sshd", msg, m[0].length);
      st.floor = 1;
      return;
    }
  }
  if (c === 73 || c === 105) { // Invalid user
    const m = SSHD_INVALID.exec(msg);
    if (m !== null) {
      // A separate line from the "Failed password" that follows it, so it is
      // not counted as a second ssh_login failure.
      classify(ev, "auth", "ssh_invalid_user", "failure");
      setUser(ev, m[1]);
      setIp(ev, "source", m[2]);
      if (m[3] !== undefined) setPort(ev, "source", m[3]);
      st.floor = 1;
      return;
    }
  }
  if (msg.indexOf("POSSIBLE BREAK-IN ATTEMPT") >= 0) {
    classify(ev, "auth", "ssh_break_in_attempt", "failure");
    const m = SSHD_BREAK_IN_IP.exec(msg);
    if (m !== null) setIp(ev, "source", m[1] ?? m[2]);
    st.floor = 2;
    return;
  }
  if (c === 68 && msg.startsWith("Disconnecting")) {
    const m = SSHD_TOO_MANY.exec(msg);
    if (m !== null) {
      // sshd gives up on the connection after MaxAuthTries: a summary of
      // failures logged one by one (like "PAM N more authentication
      // failures"), so not counted as another ssh_login failure.
      classify(ev, "auth", "ssh_auth_failures", "failure");
      ev.fields["ssh.max_auth_exceeded"] = "true";
      const user = m[1] ?? m[4];
      if (user !== undefined) setUser(ev, user);
      if (m[2] !== undefined) setIp(ev, "source", m[2]);
      if (m[3] !== undefined) setPort(ev, "source", m[3]);
      if (msg.endsWith("[preauth]")) ev.fields["ssh.preauth"] = "true";
      st.floor = 1;
      return;
    }
  }
  if (c === 85 && msg.startsWith("User ")) {
    const m = SSHD_NOT_ALLOWED.exec(msg);
    if (m !== null) {
      // AllowUsers/DenyUsers/groups refused the account before any password.
      classify(ev, "auth", "ssh_user_denied", "failure");
      setUser(ev, m[1]);
      setIp(ev, "source", m[2]);
      ev.fields["ssh.reason"] = m[3];
      st.floor = 1;
      return;
    }
  }
  if (c === 82 && msg.startsWith("ROOT LOGIN REFUSED")) {
    const m = SSHD_ROOT_REFUSED.exec(msg);
    if (m !== null) {
      // PermitRootLogin no: a root login attempt refused.
      classify(ev, "auth", "ssh_root_refused", "failure");
      setUser(ev, "root");
      setIp(ev, "source", m[1]);
      if (m[2] !== undefined) setPort(ev, "source", m[2]);
      st.floor = 1;
      return;
    }
  }
  if (c === 82 || c === 68 || c === 67) { // Received / Disconnected / Connection
    const u = msg.indexOf(" user ") > 0 ? SSHD_DISCONNECT_USER.exec(msg) : null;
    const m = u ?? SSHD_DISCONNECT.exec(msg);
    if (m !== null) {
      classify(ev, "auth", "ssh_disconnect", "unknown");
      if (u !== null) {
        setUser(ev, u[1]);
        setIp(ev, "source", u[2]);
        setPort(ev, "source", u[3]);
      } else {
        setIp(ev, "source", m[1]);
        if (m[2] !== undefined) setPort(ev, "source", m[2]);
      }
      if (msg.endsWith("[preauth]")) ev.fields["ssh.preauth"] = "true";
      return;
    }
  }
  if (c === 101 && msg.startsWith("error: PAM: ")) {
    const m = SSHD_PAM_ERROR.exec(msg);
    if (m !== null) {
      // The same attempt is logged again as "Failed keyboard-interactive/pam
      // … port N ssh2", which counts as the ssh_login failure: its own action
      // here, so it is not counted twice (as ssh_invalid_user).
      classify(ev, "auth", "ssh_pam_failure", "failure");
      ev.fields["ssh.pam_error"] = m[1];
      if (m[2] !== undefined) ev.fields["ssh.invalid_user"] = "true";
      setUser(ev, m[3]);
      setIp(ev, "source", m[4]);
      st.floor = 1;
      return;
    }
  }
  if (c === 101 || c === 109) { // error: maximum… / maximum…
    const m = SSHD_MAX_AUTH.exec(msg);
    if (m !== null) {
      classify(ev, "auth", "ssh_login", "failure");
      if (m[1] !== undefined) ev.fields["ssh.invalid_user"] = "true";
      ev.fields["ssh.max_auth_exceeded"] = "true";
      setUser(ev, m[2]);
      setIp(ev, "source", m[3]);
      setPort(ev, "source", m[4]);
      st.floor = 2;
    }
  }
}

/**
 * pam_unix messages: `authentication failure; logname= uid=0 euid=0 tty=ssh
 * ruser= rhost=1.2.3.4  user=root`, `check pass; user unknown`,
 * `session opened for user X by Y(uid=N)`.
 */
function pamMessage(
  ev: Ev,
  st: ParseState,
  service: string,
  kind: string,
  msg: string,
): void {
  ev.fields["pam.service"] = service;
  if (kind !== "") ev.fields["pam.type"] = kind;
  if (msg.startsWith("authentication failure")) {
    const action = service === "su"
      ? "su"
      : service === "sudo"
      ? "sudo"
      : "pam_auth";
    classify(ev, "auth", action, "failure");
    st.floor = 1;
    const semi = msg.indexOf(";");
    if (semi >= 0) pamKeyValues(ev, service, msg, semi + 1);
    return;
  }
  if (msg.startsWith("check pass;")) {
    classify(ev, "auth", "pam_check_pass", "failure");
    ev.fields["pam.reason"] = msg.slice(11).trim();
    st.floor = 1;
    return;
  }
  if (msg.startsWith("session ")) {
    const m = PAM_SESSION.exec(msg);
    if (m === null) return;
    const opened = m[1] === "opened";
    if (service === "su" || service === "su-l" || service === "sudo") {
      // The session is the switch itself: target is the account switched to.
      classify(
        ev,
        "auth",
        opened ? (service === "sudo" ? "sudo" : "su") : "session_closed",
        "success",
      );
      setTargetUser(ev, m[2]);
      if (m[3]) setUser(ev, m[3]);
    } else {
      classify(
        ev,
        "auth",
        opened ? "session_opened" : "session_closed",
        "success",
      );
      setUser(ev, m[2]);
      if (m[3]) ev.fields["pam.by_user"] = m[3];
    }
    if (m[4] !== undefined) ev.fields["pam.by_uid"] = m[4];
  }
}

function pamKeyValues(
  ev: Ev,
  service: string,
  msg: string,
  from: number,
): void {
  let i = from;
  const n = msg.length;
  while (i < n) {
    while (i < n && msg.charCodeAt(i) === 32) i++;
    const eq = msg.indexOf("=", i);
    if (eq < 0) break;
    let end = msg.indexOf(" ", eq + 1);
    if (end < 0) end = n;
    const key = msg.slice(i, eq);
    const value = msg.slice(eq + 1, end);
    i = end + 1;
    if (value === "") continue;
    switch (key) {
      case "rhost":
        setIp(ev, "source", value);
        break;
      case "user": {
        // pam_unix writes user= last, and the name is the client's to
        // choose: all of the rest is the name, so a name holding
        // " rhost=10.0.0.1" cannot override the real rhost before it.
        const name = msg.slice(eq + 1).trimEnd();
        if (service === "su" || service === "sudo") setTargetUser(ev, name);
        else setUser(ev, name);
        return;
      }
      case "ruser":
        if (service === "su" || service === "sudo") setUser(ev, value);
        else ev.fields["pam.ruser"] = value;
        break;
      default:
        ev.fields[`pam.${key}`] = value;
    }
  }
}

/**
 * sudo: `alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash`,
 * with an optional reason before TTY for refusals (`3 incorrect password
 * attempts`, `user NOT in sudoers`, `command not allowed`).
 */
function sudoMessage(ev: Ev, st: ParseState, msg: string): void {
  const sep = msg.indexOf(" : ");
  if (sep < 0) return;
  const user = msg.slice(0, sep).trim();
  const rest = msg.slice(sep + 3);
  let outcome: Ev["outcome"] = "success";
  let target = "root";
  let i = 0;
  while (i < rest.length) {
    let end = rest.indexOf(" ; ", i);
    if (end < 0) end = rest.length;
    const part = rest.slice(i, end);
    const eq = part.indexOf("=");
    const key = eq > 0 ? part.slice(0, eq) : "";
    if (key === "COMMAND") {
      // The command runs to the end of the line, ';' included.
      setCommandLine(ev, rest.slice(i + 8));
      break;
    }
    if (
      key === "TTY" || key === "PWD" || key === "USER" || key === "GROUP" ||
      key === "ENV" || key === "TSID"
    ) {
      const v = part.slice(eq + 1);
      if (key === "USER") target = v;
      else ev.fields[`sudo.${key.toLowerCase()}`] = v;
    } else {
      outcome = "failure";
      ev.fields["sudo.reason"] = part;
    }
    i = end + 3;
  }
  classify(ev, "auth", "sudo", outcome);
  setUser(ev, user);
  setTargetUser(ev, target);
  if (outcome === "failure") st.floor = 1;
}

/** su: Debian `(to root) alice on pts/0` (`FAILED SU (to root) …` when refused), Red Hat `Successful su for root by alice`, short `+ pts/0 alice:root`. */
function suMessage(ev: Ev, st: ParseState, msg: string): void {
  let m = SU_DEBIAN.exec(msg);
  if (m !== null) {
    classify(ev, "auth", "su", "success");
    setTargetUser(ev, m[1]);
    setUser(ev, m[2]);
    ev.fields["su.tty"] = m[3];
    return;
  }
  m = SU_DEBIAN_FAILED.exec(msg);
  if (m !== null) {
    classify(ev, "auth", "su", "failure");
    setTargetUser(ev, m[1]);
    setUser(ev, m[2]);
    ev.fields["su.tty"] = m[3];
    st.floor = 1;
    return;
  }
  m = SU_REDHAT.exec(msg);
  if (m !== null) {
    const ok = m[1] === "Successful";
    classify(ev, "auth", "su", ok ? "success" : "failure");
    setTargetUser(ev, m[2]);
    setUser(ev, m[3]);
    if (!ok) st.floor = 1;
    return;
  }
  if (msg.charCodeAt(0) === 39) { // '
    m = SU_BSD.exec(msg);
    if (m !== null) {
      const ok = m[2] === "succeeded";
      classify(ev, "auth", "su", ok ? "success" : "failure");
      setTargetUser(ev, m[1]);
      setUser(ev, m[3]);
      ev.fields["su.tty"] = m[4];
      if (!ok) st.floor = 1;
      return;
    }
  }
  m = SU_SHORT.exec(msg);
  if (m !== null) {
    const ok = m[1] === "+";
    classify(ev, "auth", "su", ok ? "success" : "failure");
    ev.fields["su.tty"] = m[2];
    setUser(ev, m[3]);
    setTargetUser(ev, m[4]);
    if (!ok) st.floor = 1;
  }
}

/** useradd/groupadd: `new user: name=bob, UID=1001, GID=1001, home=/home/bob, shell=/bin/bash`. */
function userAddMessage(ev: Ev, st: ParseState, msg: string): void {
  const isUser = msg.startsWith("new user:");
  const isGroup = !isUser && msg.startsWith("new group:");
  if (isUser || isGroup) {
    classify(ev, "auth", isUser ? "user_created" : "group_created", "success");
    st.floor = 1;
    const body = msg.slice(isUser ? 9 : 10);
    let i = 0;
    while (i < body.length) {
      let end = body.indexOf(",", i);
      if (end < 0) end = body.length;
      const part = body.slice(i, end).trim();
      i = end + 1;
      const eq = part.indexOf("=");
      if (eq <= 0) continue;
      const key = part.slice(0, eq).toLowerCase();
      const value = part.slice(eq + 1);
      if (key === "name") {
        if (isUser) setTargetUser(ev, value);
        else ev.fields["group"] = value;
      } else ev.fields[`account.${key}`] = value;
    }
    return;
  }
  if (msg.startsWith("failed adding user")) {
    classify(ev, "auth", "user_created", "failure");
    const m = QUOTED.exec(msg);
    if (m !== null) setTargetUser(ev, m[1]);
  }
}

/** usermod/gpasswd: `add 'bob' to group 'sudo'`, `user bob added by root to group sudo`, other changes. */
function userModMessage(
  ev: Ev,
  st: ParseState,
  program: string,
  msg: string,
): void {
  st.floor = 1;
  let m = USERMOD_GROUP.exec(msg);
  if (m !== null) {
    classify(ev, "auth", "user_modified", "success");
    setTargetUser(ev, m[1]);
    ev.fields["group"] = m[2];
    return;
  }
  m = GPASSWD_GROUP.exec(msg);
  if (m !== null) {
    classify(ev, "auth", "user_modified", "success");
    if (m[1] !== undefined) {
      setTargetUser(ev, m[1]);
      setUser(ev, m[2]);
      ev.fields["group"] = m[3];
    } else {
      ev.fields["group"] = m[4];
      setUser(ev, m[5]);
      ev.fields["group.members"] = m[6];
    }
    return;
  }
  m = QUOTED.exec(msg);
  if (m !== null) {
    const action = program === "userdel" ? "user_deleted" : "user_modified";
    classify(
      ev,
      "auth",
      action,
      msg.indexOf("fail") >= 0 ? "failure" : "success",
    );
    setTargetUser(ev, m[1]);
    return;
  }
  st.floor = 0;
}

/** cron: `(root) CMD (/usr/bin/backup.sh)`. */
function cronMessage(ev: Ev, msg: string): void {
  const m = CRON_CMD.exec(msg);
  if (m === null) return;
  classify(ev, "process", "process_start", "success");
  setUser(ev, m[1]);
  setCommandLine(ev, m[2]);
}

/** Kernel netfilter lines: `[UFW BLOCK] IN=eth0 OUT= SRC=… DST=… PROTO=TCP SPT=… DPT=…`. */
function firewallMessage(ev: Ev, st: ParseState, msg: string): void {
  const head = msg.slice(0, msg.indexOf("IN="));
  const word = FIREWALL_WORD.exec(head);
  let i = head.length;
  const n = msg.length;
  while (i < n) {
    const sp = msg.indexOf(" ", i);
    const end = sp < 0 ? n : sp;
    const eq = msg.indexOf("=", i);
    if (eq > i && eq < end) {
      const key = msg.slice(i, eq);
      const value = msg.slice(eq + 1, end);
      switch (key) {
        case "SRC":
          setIp(ev, "source", value);
          break;
        case "DST":
          setIp(ev, "destination", value);
          break;
        case "SPT":
          setPort(ev, "source", value);
          break;
        case "DPT":
          setPort(ev, "destination", value);
          break;
        case "PROTO":
          setTransport(ev, value);
          break;
        default:
          if (value !== "") {
            applyKey(ev, st, `netfilter.${key.toLowerCase()}`, value);
          }
      }
    }
    i = end + 1;
  }
  const outcome = word === null
    ? "unknown"
    : FIREWALL_PASS.test(word[1])
    ? "success"
    : "failure";
  if (word !== null) ev.fields["netfilter.action"] = word[1].toUpperCase();
  classify(ev, "network", "connection", outcome);
}
