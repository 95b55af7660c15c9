/**
 * Cisco ASA (and Firepower Threat Defense, PIX, FWSM) syslog messages:
 * `%ASA-<level>-<id>: <text>`, after a syslog header (`: %ASA-…` when the
 * ASA adds its own timestamp, or as the program tag).
 *
 * Read by message id, for the messages a SOC works with:
 * - denied traffic (106001, 106006, 106007, 106014, 106015, 106021, 106023,
 *   and 106100 with `denied`): network `connection`, failure, the ACL;
 * - permitted/built connections (106100 `permitted`, 302013/302015):
 *   network `connection`, success; an `outbound` build lists the
 *   destination first, so its endpoints are turned round;
 * - teardowns (302014/302016): network `connection_end` with the bytes;
 * - logins to the device and AAA/VPN authentication (113004/113005/113015,
 *   605004/605005, 611101/611102, 716038/716039): auth `login`, with user
 *   and source address.
 *
 * Every message keeps `asa.message_id`, `asa.level` and its interfaces
 * (`asa.source_interface`, `asa.destination_interface`). A denial or failed
 * login is low severity (the ASA rates a denied SYN critical); other
 * messages are `other` with the message id as action (`asa_111008`) and the
 * ASA's level as severity, the text in the payload.
 */
import {
  classify,
  type Ev,
  type ParseState,
  setIp,
  setPort,
  setTransport,
  setUser,
} from "./_event.ts";
import { NO_SEVERITY, severityFromSyslog } from "./severity.ts";

/** `%ASA-4-106023: ` at the start of a message: level, id, text offset. */
const HEAD = /^%(?:ASA|FTD|PIX|FWSM)-(?:[a-z]+-)?([0-7])-(\d{6}): ?/;

/** IP protocol numbers an ASA names by number (`Deny protocol 47 src …`). */
const IP_PROTOCOLS: Record<string, string> = {
  "47": "gre",
  "50": "esp",
  "51": "ah",
  "132": "sctp",
};

/** True when `msg` (from `i`) is an ASA message. */
export function isAsaAt(msg: string, i: number): boolean {
  return msg.charCodeAt(i) === 37 && HEAD.test(msg.slice(i, i + 24)); // '%'
}

/**
 * IFC:IP/PORT, IFC:IP (icmp), with the identity firewall's user right after
 * (`/51234(LOCAL\eve)`): four groups, interface, address, port, user.
 */
const EP = String
  .raw`([^\s:]+):([0-9A-Fa-f.:]+)(?:\/(\d+))?(?:\(([^)\s]*)\))?`;

const DENY_ACL = new RegExp(
  String
    .raw`^Deny (protocol \d+|\S+) src ${EP} dst ${EP}(?: \(type \d+, code \d+\)| type \d+, code \d+,)? by access-group "([^"]*)"`,
);
const DENY_FROM = new RegExp(
  String
    .raw`^(?:Deny inbound (\S+) from|Inbound (\S+) connection denied from|Deny (\S+) \(no connection\) from|Deny (\S+) reverse path check from) ([0-9A-Fa-f.:]+)(?:\/(\d+))? to ([0-9A-Fa-f.:]+)(?:\/(\d+))?`,
);
const DENY_ICMP = new RegExp(
  String.raw`^Deny inbound (icmp) src ${EP} dst ${EP}`,
);
const ACCESS_LIST = new RegExp(
  String
    .raw`^access-list (\S+) (permitted|denied|est-allowed) (\S+) ([^\s/]+)\/([0-9A-Fa-f.:]+)\((\d+)\) -> ([^\s/]+)\/([0-9A-Fa-f.:]+)\((\d+)\)`,
);
const BUILT = new RegExp(
  String
    .raw`^Built (inbound|outbound) (\S+) connection (\d+) for ${EP} \([^)]*\)(?: ?\(([^)]*)\))? to ${EP} \(`,
);
const TEARDOWN = new RegExp(
  String
    .raw`^Teardown (\S+) connection (\d+) for ${EP} to ${EP}(?: duration (\S+))? bytes (\d+)`,
);
const AAA = /^AAA user authentication (Successful|Rejected) :(.*)$/;
const LOGIN =
  /^Login (permitted|denied) from ([0-9A-Fa-f.:]+?)\/(\d+) to ([^\s:]+):([0-9A-Fa-f.:]+?)\/(\S+) for user "([^"]*)"/;
const USER_AUTH = /^User authentication (succeeded|failed):/;
const WEBVPN =
  /^Group <([^>]*)> User <([^>]*)> IP <([^>]*)> Authentication: (rejected|successful)/;

function endpoint(
  ev: Ev,
  which: "source" | "destination",
  ifc: string | undefined,
  ip: string,
  port: string | undefined,
): void {
  setIp(ev, which, ip);
  if (port !== undefined) setPort(ev, which, port);
  if (ifc !== undefined) ev.fields[`asa.${which}_interface`] = ifc;
}

/**
 * The two {@link EP} matches of `m` starting at groups `src` and `dst`
 * (interface, address, port, user); the source's user is user.name.
 */
function endpoints(ev: Ev, m: RegExpExecArray, src: number, dst: number) {
  endpoint(ev, "source", m[src], m[src + 1], m[src + 2]);
  endpoint(ev, "destination", m[dst], m[dst + 1], m[dst + 2]);
  const user = m[src + 3];
  if (user) {
    const slash = user.indexOf("\\");
    if (slash > 0) setUser(ev, user.slice(slash + 1), user.slice(0, slash));
    else setUser(ev, user);
  }
  if (m[dst + 3]) ev.fields["asa.destination_user"] = m[dst + 3];
}

/** Maps an ASA message starting at `msg`; null on success. */
export function parseAsa(ev: Ev, st: ParseState, msg: string): string | null {
  const head = HEAD.exec(msg);
  if (head === null) return "cisco asa: no %ASA-<level>-<id> header";
  ev.format = "cisco_asa";
  const id = head[2];
  const text = msg.slice(head[0].length);
  ev.fields["asa.message_id"] = id;
  ev.fields["asa.level"] = head[1];
  // The ASA rates routine traffic high (an inbound SYN denied is level 2,
  // critical): a classified message takes its severity from what it is
  // (a denial or a failed login: low); only the rest keeps the ASA's level.
  st.sev = NO_SEVERITY;
  let m: RegExpExecArray | null;
  if ((m = DENY_ACL.exec(text)) !== null) {
    setTransport(
      ev,
      m[1].startsWith("protocol ")
        ? IP_PROTOCOLS[m[1].slice(9)] ?? m[1].slice(9)
        : m[1],
    );
    endpoints(ev, m, 2, 6);
    ev.fields["asa.acl"] = m[10];
    denied(ev, st);
    return null;
  }
  if ((m = DENY_ICMP.exec(text)) !== null) {
    setTransport(ev, m[1]);
    endpoints(ev, m, 2, 6);
    denied(ev, st);
    return null;
  }
  if ((m = DENY_FROM.exec(text)) !== null) {
    setTransport(ev, m[1] ?? m[2] ?? m[3] ?? m[4]);
    endpoint(ev, "source", undefined, m[5], m[6]);
    endpoint(ev, "destination", undefined, m[7], m[8]);
    const on = / on interface (\S+)/.exec(text);
    if (on !== null) ev.fields["asa.source_interface"] = on[1];
    denied(ev, st);
    return null;
  }
  if ((m = ACCESS_LIST.exec(text)) !== null) {
    ev.fields["asa.acl"] = m[1];
    setTransport(ev, m[3]);
    endpoint(ev, "source", m[4], m[5], m[6]);
    endpoint(ev, "destination", m[7], m[8], m[9]);
    if (m[2] === "denied") denied(ev, st);
    else classify(ev, "network", "connection", "success");
    return null;
  }
  if ((m = BUILT.exec(text)) !== null) {
    setTransport(ev, m[2]);
    ev.fields["asa.connection_id"] = m[3];
    // The first endpoint's user may follow its mapped address instead.
    m[7] ??= m[8];
    // "outbound" names the responder first, the initiator second.
    const out = m[1] === "outbound";
    endpoints(ev, m, out ? 9 : 4, out ? 4 : 9);
    (ev.network ??= {}).direction = m[1] as "inbound" | "outbound";
    classify(ev, "network", "connection", "success");
    return null;
  }
  if ((m = TEARDOWN.exec(text)) !== null) {
    setTransport(ev, m[1]);
    ev.fields["asa.connection_id"] = m[2];
    // Listed as in its Built message, which for an outbound connection
    // names the responder first; the teardown does not say which. The end
    // on the lower port (a service's) is taken as the responder.
    const swap = Number(m[5]) < Number(m[9]);
    endpoints(ev, m, swap ? 7 : 3, swap ? 3 : 7);
    if (m[11] !== undefined) ev.fields["asa.duration"] = m[11];
    (ev.network ??= {}).bytes = Number(m[12]);
    classify(ev, "network", "connection_end", "success");
    return null;
  }
  if ((m = AAA.exec(text)) !== null) {
    // ` reason = … : server = … : user = … : user IP = …`
    const kv = new Map<string, string>();
    for (const part of m[2].split(" : ")) {
      const eq = part.indexOf(" = ");
      if (eq > 0) kv.set(part.slice(0, eq).trim(), part.slice(eq + 3).trim());
    }
    const user = kv.get("user");
    if (user !== undefined && user !== "***") setUser(ev, user);
    const ip = kv.get("user IP");
    if (ip !== undefined) setIp(ev, "source", ip);
    const reason = kv.get("reason");
    if (reason !== undefined) ev.fields["asa.reason"] = reason;
    const server = kv.get("server");
    if (server !== undefined) ev.fields["asa.aaa_server"] = server;
    authResult(ev, st, m[1] === "Successful");
    return null;
  }
  if ((m = LOGIN.exec(text)) !== null) {
    setIp(ev, "source", m[2]);
    setPort(ev, "source", m[3]);
    endpoint(ev, "destination", m[4], m[5], undefined);
    ev.fields["asa.service"] = m[6];
    setUser(ev, m[7]);
    authResult(ev, st, m[1] === "permitted");
    return null;
  }
  if (USER_AUTH.test(text)) {
    const ip = /IP address: ([0-9A-Fa-f.:]+)/.exec(text);
    if (ip !== null) setIp(ev, "source", ip[1]);
    const user = /Uname: ([^,\s]+)/.exec(text);
    if (user !== null) setUser(ev, user[1]);
    authResult(ev, st, text.startsWith("User authentication succeeded"));
    return null;
  }
  if ((m = WEBVPN.exec(text)) !== null) {
    ev.fields["asa.group"] = m[1];
    setUser(ev, m[2]);
    setIp(ev, "source", m[3]);
    authResult(ev, st, m[4] === "successful");
    return null;
  }
  st.sev = severityFromSyslog(Number(head[1]));
  classify(ev, "other", `asa_${id}`, "unknown");
  return null;
}

/** A denied connection: low, whatever level the ASA gave it. */
function denied(ev: Ev, st: ParseState): void {
  classify(ev, "network", "connection", "failure");
  st.floor = 1;
}

function authResult(ev: Ev, st: ParseState, ok: boolean): void {
  classify(ev, "auth", "login", ok ? "success" : "failure");
  if (!ok) st.floor = 1;
}
