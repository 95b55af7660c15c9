/**
 * Zeek (Bro) JSON logs: conn, dns and http, told apart by `_path` or by
 * their characteristic keys. Zeek's own field names are kept in `fields`
 * (`conn_state`, `history`, `uid`, …) so rules written for Zeek still match.
 */
import {
  classify,
  type Ev,
  type ParseState,
  setBytes,
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
  setUser,
  sumEndBytes,
  toInt,
} from "./_event.ts";
import { flattenInto, scalarText } from "./_flatten.ts";
import { parseTimestamp } from "./time.ts";

/** True when `o` looks like a Zeek log record. */
export function isZeek(o: Record<string, unknown>): boolean {
  return typeof o.uid === "string" &&
    ("id.orig_h" in o || (typeof o.id === "object" && o.id !== null));
}

const FAILED_STATES = new Set(["REJ", "S0", "RSTOS0", "RSTRH", "SH", "SHR"]);
const OK_STATES = new Set(["SF", "S1", "S2", "S3", "RSTO", "RSTR"]);

/** Maps a Zeek record; sets `ev.format` to zeek_conn/zeek_dns/zeek_http/zeek. */
export function parseZeek(
  ev: Ev,
  st: ParseState,
  o: Record<string, unknown>,
): string | null {
  let kind = typeof o._path === "string" ? o._path : "";
  if (kind === "") {
    if ("conn_state" in o || "duration" in o) kind = "conn";
    else if ("query" in o || "qtype_name" in o || "rcode_name" in o) {
      kind = "dns";
    } else if ("method" in o || "status_code" in o || "uri" in o) kind = "http";
  }
  if (kind === "http") st.sliced = true; // url parts are cut from the uri
  ev.format = kind === "conn" || kind === "dns" || kind === "http"
    ? `zeek_${kind}`
    : "zeek";
  // Zeek writes the conn id flat ("id.orig_h") in JSON logs, nested ("id":
  // {"orig_h"}) when a shipper un-flattens it. Constant keys: a key built
  // per event would be interned on every lookup.
  const id = typeof o.id === "object" && o.id !== null
    ? o.id as Record<string, unknown>
    : null;
  if (id === null) {
    endpoint(ev, "source", o["id.orig_h"], o["id.orig_p"]);
    endpoint(ev, "destination", o["id.resp_h"], o["id.resp_p"]);
  } else {
    endpoint(ev, "source", id.orig_h, id.orig_p);
    endpoint(ev, "destination", id.resp_h, id.resp_p);
  }
  const ms = parseTimestamp(o.ts, st.refMs);
  if (ms === ms) st.tsMs = ms;
  for (const k in o) {
    switch (k) {
      case "ts":
      case "id":
      case "id.orig_h":
      case "id.orig_p":
      case "id.resp_h":
      case "id.resp_p":
        continue;
      case "proto":
        if (typeof o.proto === "string") setTransport(ev, o.proto);
        continue;
      case "service":
        if (typeof o.service === "string") {
          setProtocol(ev, o.service.split(",")[0]);
        } else flattenInto(ev, k, o[k]);
        continue;
      case "orig_bytes":
        setBytes(ev, "source", o[k] as number);
        continue;
      case "resp_bytes":
        setBytes(ev, "destination", o[k] as number);
        continue;
      case "orig_pkts":
        setPackets(ev, "source", o[k] as number);
        continue;
      case "resp_pkts":
        setPackets(ev, "destination", o[k] as number);
        continue;
    }
    if (kind === "dns") {
      if (k === "query" && typeof o.query === "string") {
        setQuery(ev, o.query);
        continue;
      }
      if (k === "qtype_name" && typeof o.qtype_name === "string") {
        setQueryType(ev, o.qtype_name);
        continue;
      }
      if (k === "rcode_name" && typeof o.rcode_name === "string") {
        setRcode(ev, o.rcode_name);
        continue;
      }
      if (k === "answers" && Array.isArray(o.answers)) {
        (ev.dns ??= {}).answers = o.answers.map(String);
        continue;
      }
    } else if (kind === "http") {
      const v = scalarText(o[k]);
      if (v !== null) {
        if (k === "method") {
          setMethod(ev, v);
          continue;
        }
        if (k === "uri") {
          setUrl(ev, v);
          continue;
        }
        if (k === "host") {
          (ev.url ??= {}).domain = v;
          continue;
        }
        if (k === "status_code") {
          setStatus(ev, o[k] as number);
          continue;
        }
        if (k === "user_agent") {
          (ev.http ??= {}).user_agent = v;
          continue;
        }
        if (k === "referrer") {
          ((ev.http ??= {}).request ??= {}).referrer = v;
          continue;
        }
        if (k === "response_body_len") {
          setResponseBytes(ev, o[k] as number);
          continue;
        }
        if (k === "username") {
          setUser(ev, v);
          continue;
        }
      }
    }
    flattenInto(ev, k, o[k]);
  }
  sumEndBytes(ev);
  if (kind === "dns") {
    const rc = ev.dns?.response_code;
    classify(
      ev,
      "dns",
      "dns_query",
      rc === undefined ? "unknown" : rc === "NOERROR" ? "success" : "failure",
    );
    setProtocol(ev, "dns");
  } else if (kind === "http") {
    const status = ev.http?.response?.status_code;
    classify(
      ev,
      "web",
      "http_request",
      status === undefined ? "unknown" : status < 400 ? "success" : "failure",
    );
    setProtocol(ev, "http");
  } else {
    const state = typeof o.conn_state === "string" ? o.conn_state : "";
    classify(
      ev,
      "network",
      "connection",
      FAILED_STATES.has(state)
        ? "failure"
        : OK_STATES.has(state)
        ? "success"
        : "unknown",
    );
  }
  return null;
}

function endpoint(
  ev: Ev,
  which: "source" | "destination",
  host: unknown,
  port: unknown,
): void {
  if (typeof host === "string") setIp(ev, which, host);
  if (port !== undefined && toInt(port as number) >= 0) {
    setPort(ev, which, port as number);
  }
}
