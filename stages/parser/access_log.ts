/**
 * Web server logs: Apache/nginx access logs (common and combined, with an
 * optional trailing field such as request time) and error logs (Apache 2.2
 * and 2.4 forms, nginx).
 */
import {
  classify,
  type Ev,
  type ParseState,
  setIp,
  setMethod,
  setPid,
  setPort,
  setResponseBytes,
  setStatus,
  setUrl,
  setUser,
  toInt,
} from "./_event.ts";
import { canonicalIp } from "./ip.ts";
import { LOGIN_PATH } from "./_classify.ts";
import { severityFromText } from "./severity.ts";
import { parseClfAt, parseCtimeAt, parseIsoAt } from "./time.ts";

const ACCESS =
  /^(\S+) (\S+) (\S+) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}|-) (\S+)(?: "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)")?(.*)$/;
const CLIENT_ADDR = /^client:? (\S+)$/;
const APACHE_AUTH =
  /^(?:AH\d+: )?(?:user (\S+): authentication failure for "([^"]*)"|user (\S+) not found: (\S+))/;
const ERROR_FAILURE =
  /forbidden|denied|not permitted|authentication failure|not found/i;
const NGINX_TAIL =
  /, (client|server|request|upstream|host|referrer): ("(?:[^"\\]|\\.)*"|[^,]*)/g;

/** Parses an access-log line; null on success, else the reason. */
export function parseAccessLog(
  ev: Ev,
  st: ParseState,
  line: string,
): string | null {
  let m = ACCESS.exec(line);
  let vhostEnd = -1;
  let chain = "";
  let vhost = "";
  if (m === null) {
    // vhost_combined (Debian/Ubuntu's stock format): "%v:%p " first.
    vhostEnd = vhostPrefixEnd(line);
    if (vhostEnd > 0) m = ACCESS.exec(line.slice(vhostEnd + 1));
    else {
      const sp = line.indexOf(" ");
      if (line.charCodeAt(sp - 1) === 44) { // ','
        // An X-Forwarded-For chain as the client (`10.0.0.2, 10.0.0.1,
        // 127.0.0.1 - - [`): the last entry stands where %h does.
        let last = sp + 1;
        for (;;) {
          const next = line.indexOf(" ", last);
          if (next < 0 || line.charCodeAt(next - 1) !== 44) break;
          last = next + 1;
        }
        m = ACCESS.exec(line.slice(last));
        if (m !== null) chain = line.slice(0, last) + m[1];
      } else if (sp > 0) {
        // "%v %h …" (vhost without its port, as some distributions log).
        m = ACCESS.exec(line.slice(sp + 1));
        if (m !== null) vhost = line.slice(0, sp);
      }
    }
    if (m === null) {
      return "access log: line does not match the common/combined layout (truncated?)";
    }
  }
  const ms = parseClfAt(m[4], 0);
  if (ms !== ms) return `access log: unreadable time [${m[4]}]`;
  st.tsMs = ms;
  if (chain !== "") {
    // The first entry is the client as the proxies report it (what Elastic
    // reads too); the whole chain is kept, as it is spoofable at its start.
    ev.fields["http.forwarded_for"] = chain;
    setIp(ev, "source", chain.slice(0, chain.indexOf(",")));
  } else setIp(ev, "source", m[1]);
  if (m[2] !== "-") ev.fields["http.ident"] = m[2];
  setUser(ev, m[3]);
  const request = unescapeQuoted(m[5]);
  const sp1 = request.indexOf(" ");
  if (sp1 > 0) {
    setMethod(ev, request.slice(0, sp1));
    const sp2 = request.indexOf(" ", sp1 + 1);
    setUrl(ev, sp2 > 0 ? request.slice(sp1 + 1, sp2) : request.slice(sp1 + 1));
    if (sp2 > 0) ev.fields["http.version"] = request.slice(sp2 + 1);
  } else if (request !== "" && request !== "-") {
    ev.fields["http.request_line"] = request;
  }
  setStatus(ev, m[6]);
  setResponseBytes(ev, m[7]);
  // A size that is no byte count (1e400, 99999999999999999999) is kept as
  // written rather than read as a wrong number.
  if (ev.http?.response?.bytes === undefined && m[7] !== "-") {
    ev.fields["http.response.bytes"] = m[7];
  }
  if (m[8] !== undefined && m[8] !== "-" && m[8] !== "") {
    ((ev.http ??= {}).request ??= {}).referrer = unescapeQuoted(m[8]);
  }
  if (m[9] !== undefined && m[9] !== "-" && m[9] !== "") {
    (ev.http ??= {}).user_agent = unescapeQuoted(m[9]);
  }
  if (vhostEnd > 0) setVhost(ev, line, vhostEnd);
  else if (vhost !== "") {
    setIp(ev, "destination", vhost);
    const u = ev.url;
    if (u !== undefined && u.domain === undefined) u.domain = vhost;
  }
  if (m[10] !== "") ev.fields["http.extra"] = m[10].trim();
  (ev.network ??= {}).protocol = "http";
  const status = ev.http?.response?.status_code;
  const outcome = status === undefined
    ? "unknown"
    : status < 400
    ? "success"
    : "failure";
  const path = ev.url?.path;
  if (
    ev.http?.request?.method === "POST" && path !== undefined &&
    LOGIN_PATH.test(path)
  ) {
    classify(ev, "auth", "web_login", outcome);
    if (outcome === "failure") st.floor = 1;
  } else classify(ev, "web", "http_request", outcome);
  return null;
}

const QUOTED_ESCAPE = /\\(["\\])/g;

/**
 * Undoes mod_log_config's `\"` and `\\` in a quoted field (`\xhh` and
 * `\n`-style escapes of control bytes are left as written).
 */
function unescapeQuoted(v: string): string {
  return v.indexOf("\\") < 0 ? v : v.replace(QUOTED_ESCAPE, "$1");
}

/** End of a leading `%v:%p` token (`www.example.com:443`) before " ", or -1. */
function vhostPrefixEnd(line: string): number {
  const sp = line.indexOf(" ");
  const colon = line.lastIndexOf(":", sp);
  if (sp < 0 || colon <= 0 || colon + 1 >= sp) return -1;
  return toInt(line.slice(colon + 1, sp)) >= 0 ? sp : -1;
}

/** The virtual host served (`%v:%p`): destination address/domain and port. */
function setVhost(ev: Ev, line: string, end: number): void {
  const colon = line.lastIndexOf(":", end);
  let host = line.slice(0, colon);
  if (host.charCodeAt(0) === 91) host = host.slice(1, -1); // [v6]
  setIp(ev, "destination", host);
  setPort(ev, "destination", line.slice(colon + 1, end));
  const u = ev.url;
  if (u !== undefined && u.domain === undefined) {
    u.domain = ev.destination?.domain ?? ev.destination?.ip ?? host;
  }
}

/**
 * Apache error log: `[Sun Dec 04 04:47:44 2005] [error] [client 1.2.3.4] msg`
 * or 2.4 `[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 1] [client 1.2.3.4:5678] AH00124: msg`.
 */
export function parseApacheError(
  ev: Ev,
  st: ParseState,
  line: string,
): string | null {
  const close = line.indexOf("]");
  if (close < 0) return "apache error log: '[' time not closed (truncated?)";
  const ms = parseCtimeAt(line, 1);
  if (ms !== ms) {
    return `apache error log: unreadable time ${
      JSON.stringify(line.slice(0, close + 1))
    }`;
  }
  st.tsMs = ms;
  let i = close + 1;
  let level = "";
  // 2.4 writes the client as ip:port (IPv6 unbracketed), 2.2 the bare ip;
  // 2.4 is told by its fractional time, module:level or pid group.
  let v24 = line.lastIndexOf(".", close) > 0;
  // Bracketed groups: level, then optional pid and client.
  while (line.charCodeAt(i) === 32 && line.charCodeAt(i + 1) === 91) {
    let end = line.indexOf("]", i + 2);
    if (end < 0) break;
    // "[client [2001:db8::1]:5678]": the group ends after the inner ']'.
    if (line.charCodeAt(i + 9) === 91 && line.startsWith("client [", i + 2)) {
      end = line.indexOf("]", end + 1);
      if (end < 0) break;
    }
    const group = line.slice(i + 2, end);
    if (level === "") {
      level = group;
      if (group.indexOf(":") > 0) v24 = true;
      const s = severityFromText(group);
      if (s >= 0) st.sev = s;
      ev.fields["log.level"] = group;
    } else if (group.startsWith("pid ")) {
      v24 = true;
      const colon = group.indexOf(":");
      setPid(ev, group.slice(4, colon < 0 ? group.length : colon));
    } else if (group.startsWith("client")) {
      const c = CLIENT_ADDR.exec(group);
      if (c !== null) setClient(ev, c[1], v24);
      else ev.fields["client"] = group;
    } else break;
    i = end + 1;
  }
  if (level === "") return "apache error log: no [level] after the time";
  const msg = line.slice(i).trim();
  ev.fields["message"] = msg;
  (ev.network ??= {}).protocol = "http";
  const a = APACHE_AUTH.exec(msg);
  if (a !== null) {
    classify(ev, "auth", "web_login", "failure");
    setUser(ev, a[1] ?? a[3]);
    setUrl(ev, a[2] ?? a[4]);
    st.floor = 1;
    return null;
  }
  classify(
    ev,
    "web",
    "server_log",
    ERROR_FAILURE.test(msg) ? "failure" : "unknown",
  );
  return null;
}

/**
 * `1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:5678`, or an unbracketed IPv6:
 * with its port in 2.4's `%s:%d` form (`2001:db8::1:5678`, split at the
 * last ':' when what precedes is an address), bare in 2.2's.
 */
function setClient(ev: Ev, addr: string, withPort: boolean): void {
  const colon = addr.lastIndexOf(":");
  if (addr.charCodeAt(0) === 91) { // [v6]:port
    const close = addr.indexOf("]");
    setIp(ev, "source", addr.slice(1, close));
    if (addr.charCodeAt(close + 1) === 58) {
      setPort(ev, "source", addr.slice(close + 2));
    }
  } else if (colon > 0 && addr.indexOf(":") === colon) {
    setIp(ev, "source", addr.slice(0, colon));
    setPort(ev, "source", addr.slice(colon + 1));
  } else if (
    withPort && colon > 0 && toInt(addr.slice(colon + 1)) >= 0 &&
    canonicalIp(addr.slice(0, colon)) !== null
  ) {
    setIp(ev, "source", addr.slice(0, colon));
    setPort(ev, "source", addr.slice(colon + 1));
  } else setIp(ev, "source", addr);
}

/**
 * nginx error log: `2026/11/24 10:00:00 [error] 1234#5678: *99 message,
 * client: 1.2.3.4, server: example.com, request: "GET / HTTP/1.1", host: "x"`.
 */
export function parseNginxError(
  ev: Ev,
  st: ParseState,
  line: string,
): string | null {
  const ms = parseIsoAt(line, 0);
  if (ms !== ms) return "nginx error log: unreadable time";
  st.tsMs = ms;
  const open = line.indexOf(" [");
  const close = line.indexOf("] ", open);
  if (open < 0 || close < 0) {
    return "nginx error log: no [level] after the time";
  }
  const level = line.slice(open + 2, close);
  ev.fields["log.level"] = level;
  const s = severityFromText(level);
  if (s >= 0) st.sev = s;
  let rest = line.slice(close + 2);
  const hash = rest.indexOf("#");
  const colon = rest.indexOf(": ");
  if (hash > 0 && colon > hash) {
    setPid(ev, rest.slice(0, hash));
    rest = rest.slice(colon + 2);
  }
  let cut = rest.length;
  NGINX_TAIL.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = NGINX_TAIL.exec(rest)) !== null) {
    if (m.index < cut) cut = m.index;
    let v = m[2];
    if (v.charCodeAt(0) === 34) v = v.slice(1, -1);
    switch (m[1]) {
      case "client":
        setIp(ev, "source", v);
        break;
      case "request": {
        const sp1 = v.indexOf(" ");
        if (sp1 > 0) {
          setMethod(ev, v.slice(0, sp1));
          const sp2 = v.indexOf(" ", sp1 + 1);
          setUrl(ev, sp2 > 0 ? v.slice(sp1 + 1, sp2) : v.slice(sp1 + 1));
        }
        break;
      }
      default:
        ev.fields[`nginx.${m[1]}`] = v;
    }
  }
  const msg = rest.slice(0, cut);
  ev.fields["message"] = msg;
  (ev.network ??= {}).protocol = "http";
  classify(
    ev,
    "web",
    "server_log",
    ERROR_FAILURE.test(msg) ? "failure" : "unknown",
  );
  return null;
}
