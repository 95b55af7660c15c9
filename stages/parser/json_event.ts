/**
 * JSON records: ECS-shaped documents (what Beats/Elastic Agent and the
 * generator write) and any other flat or nested JSON object. Known ECS paths
 * fill entities; well-known flat keys (`src_ip`, `user`, …) are mapped via the
 * shared key table; everything else is flattened into `fields`.
 */
import {
  type Ev,
  outcomeFromWord,
  type ParseState,
  setCommandLine,
  setCountry,
  setExecutable,
  setHash,
  setHostIp,
  setHostName,
  setIp,
  setMethod,
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
import { classifyByEntities } from "./_classify.ts";
import { asObject as obj, flattenInto, scalarText } from "./_flatten.ts";
import { applyKey } from "./_keys.ts";
import { classifyProgramMessage } from "./programs.ts";
import { severityFromCef, severityFromText } from "./severity.ts";
import { canonicalIsoMs, parseTimestamp, plausibleMs } from "./time.ts";

type Obj = Record<string, unknown>;

/** ECS `event.category` values (and ours) → our category. */
const CATEGORIES = new Map<string, Ev["category"]>([
  ["auth", "auth"],
  ["authentication", "auth"],
  ["iam", "auth"],
  ["session", "auth"],
  ["network", "network"],
  ["intrusion_detection", "network"],
  ["dns", "dns"],
  ["process", "process"],
  ["web", "web"],
  ["file", "file"],
  ["other", "other"],
]);

/** Default action per category when `event.action` is absent. */
const DEFAULT_ACTION: Record<Ev["category"], string> = {
  auth: "login",
  network: "connection",
  dns: "dns_query",
  process: "process_start",
  web: "http_request",
  file: "file_event",
  other: "unclassified",
};

const TIME_KEYS = ["time", "date", "eventTime", "EventTime", "created_at", "t"];

const NOT_SNAKE = /[^a-z0-9]+/g;

/** `logged-in` → `logged_in`, `User Login` → `user_login`. */
function snakeCase(s: string): string {
  // Most shippers already write snake_case: check before copying.
  const n = s.length;
  let ok = n > 0 && s.charCodeAt(0) !== 95 && s.charCodeAt(n - 1) !== 95;
  for (let i = 0; ok && i < n; i++) {
    const c = s.charCodeAt(i);
    ok = (c >= 97 && c <= 122) || (c >= 48 && c <= 57) ||
      (c === 95 && s.charCodeAt(i + 1) !== 95);
  }
  if (ok) return s;
  const t = s.toLowerCase().replace(NOT_SNAKE, "_");
  let a = 0;
  let b = t.length;
  while (a < b && t.charCodeAt(a) === 95) a++;
  while (b > a && t.charCodeAt(b - 1) === 95) b--;
  return t.slice(a, b);
}

/** True when the object looks like ECS (has `@timestamp`, `event` or `ecs`). */
export function isEcs(o: Obj): boolean {
  return "@timestamp" in o || obj(o.event) !== null || obj(o.ecs) !== null;
}

/**
 * The generic mapping for a vendor's JSON record whose own reader sets its
 * meaning afterwards (CloudTrail, Okta): every key flattened into fields,
 * the time read, and the top-level values the generic mapping moves into
 * the event (`userAgent` into http.user_agent, a time into ts) kept in
 * fields under their own names too, since rules name them as the vendor
 * does and a record read as a text line has no object payload to fall
 * back on. Null on success.
 */
export function parseVendorJson(
  ev: Ev,
  st: ParseState,
  o: Obj,
): string | null {
  const failure = parseJsonObject(ev, st, o);
  if (failure !== null) return failure;
  for (const k in o) {
    if (ev.fields[k] !== undefined) continue;
    const v = o[k];
    if (typeof v === "string") ev.fields[k] = v;
    else if (typeof v === "number" || typeof v === "boolean") {
      ev.fields[k] = String(v);
    }
  }
  return null;
}

/** Parses a JSON object as ECS or generic JSON; null on success. */
export function parseJsonObject(ev: Ev, st: ParseState, o: Obj): string | null {
  ev.format = isEcs(o) ? "ecs" : "json";
  let category: Ev["category"] | undefined;
  let action = "";
  let outcome = "";
  let message = "";
  for (const k in o) {
    const v = o[k];
    if (v === null || v === undefined) continue;
    switch (k) {
      case "@timestamp": {
        let ms = typeof v === "string" ? canonicalIsoMs(v, true) : NaN;
        if (!plausibleMs(ms)) ms = parseTimestamp(v, st.refMs);
        if (ms === ms) st.tsMs = ms;
        else flattenInto(ev, k, v);
        continue;
      }
      case "event": {
        const e = obj(v);
        if (e === null) break;
        for (const ek in e) {
          const ev2 = e[ek];
          if (ek === "category") {
            const list = Array.isArray(ev2) ? ev2 : [ev2];
            for (const c of list) {
              const m = typeof c === "string"
                ? CATEGORIES.get(c.toLowerCase())
                : undefined;
              if (m !== undefined) {
                category = m;
                break;
              }
            }
            if (category === undefined) flattenInto(ev, "event.category", ev2);
          } else if (ek === "action" && typeof ev2 === "string") {
            action = snakeCase(ev2);
          } else if (ek === "outcome" && typeof ev2 === "string") {
            outcome = ev2.toLowerCase();
          } else if (ek === "severity") {
            const n = typeof ev2 === "number" ? ev2 : Number(ev2);
            if (n === n) {
              st.sev = n <= 10 ? severityFromCef(String(n)) : riskSeverity(n);
            }
            flattenInto(ev, "event.severity", ev2);
          } else if (ek === "created" || ek === "ingested") {
            flattenInto(ev, `event.${ek}`, ev2);
            if (st.tsMs !== st.tsMs && ek === "created") {
              const ms = parseTimestamp(ev2, st.refMs);
              if (ms === ms) st.tsMs = ms;
            }
          } else flattenInto(ev, `event.${ek}`, ev2);
        }
        continue;
      }
      case "source":
      case "destination":
      case "client":
      case "server": {
        const e = obj(v);
        if (e === null) break;
        endpoint(
          ev,
          k === "source" || k === "client" ? "source" : "destination",
          k,
          e,
        );
        continue;
      }
      case "host": {
        const e = obj(v);
        if (e === null) break;
        for (const hk in e) {
          const hv = e[hk];
          if (hk === "name" && typeof hv === "string") setHostName(ev, hv);
          else if (hk === "hostname" && typeof hv === "string") {
            if (ev.host?.name === undefined) setHostName(ev, hv);
            ev.fields["host.hostname"] = hv;
          } else if (hk === "ip") {
            const first = Array.isArray(hv) ? hv[0] : hv;
            if (typeof first === "string") setHostIp(ev, first);
            flattenInto(ev, "host.ip", hv);
          } else flattenInto(ev, `host.${hk}`, hv);
        }
        continue;
      }
      case "user": {
        const e = obj(v);
        if (e === null) break;
        for (const uk in e) {
          const uv = e[uk];
          if (uk === "name" && typeof uv === "string") setUser(ev, uv);
          else if (uk === "domain" && typeof uv === "string") {
            (ev.user ??= {}).domain = uv;
          } else if (uk === "target" && obj(uv) !== null) {
            const t = uv as Obj;
            if (typeof t.name === "string") {
              setTargetUser(
                ev,
                t.name,
                typeof t.domain === "string" ? t.domain : undefined,
              );
            }
            for (const tk in t) {
              if (tk !== "name" && tk !== "domain") {
                flattenInto(ev, `user.target.${tk}`, t[tk]);
              }
            }
          } else flattenInto(ev, `user.${uk}`, uv);
        }
        continue;
      }
      case "network": {
        const e = obj(v);
        if (e === null) break;
        for (const nk in e) {
          const nv = e[nk];
          if (nk === "transport" && typeof nv === "string") {
            setTransport(ev, nv);
          } else if (nk === "protocol" && typeof nv === "string") {
            setProtocol(ev, nv);
          } else if (
            nk === "direction" && typeof nv === "string" && DIRECTIONS.has(nv)
          ) {
            (ev.network ??= {}).direction = nv as "inbound";
          } else if ((nk === "bytes" || nk === "packets") && toInt(nv) >= 0) {
            (ev.network ??= {})[nk] = toInt(nv);
          } else flattenInto(ev, `network.${nk}`, nv);
        }
        continue;
      }
      case "process": {
        const e = obj(v);
        if (e === null) break;
        if (e.executable !== undefined && e.name === undefined) {
          st.sliced = true; // the name is cut from the path
        }
        processNode(ev, e);
        continue;
      }
      case "dns": {
        const e = obj(v);
        if (e === null) break;
        dnsNode(ev, e);
        continue;
      }
      case "url": {
        const e = obj(v);
        if (e === null) break;
        st.sliced = true; // path and query are cut from the original
        const original = scalarText(e.original ?? e.full);
        if (original !== null) setUrl(ev, original);
        for (const uk in e) {
          if (uk === "original" || uk === "full") continue;
          const t = scalarText(e[uk]);
          if (
            (uk === "domain" || uk === "path" || uk === "query") && t !== null
          ) {
            (ev.url ??= {})[uk] = t;
          } else flattenInto(ev, `url.${uk}`, e[uk]);
        }
        continue;
      }
      case "http": {
        const e = obj(v);
        if (e === null) break;
        httpNode(ev, e);
        continue;
      }
      case "user_agent": {
        const e = obj(v);
        if (e === null) break;
        if (typeof e.original === "string") {
          (ev.http ??= {}).user_agent = e.original;
        }
        for (const uk in e) {
          if (uk !== "original") flattenInto(ev, `user_agent.${uk}`, e[uk]);
        }
        continue;
      }
      case "file": {
        const e = obj(v);
        if (e === null) break;
        for (const fk in e) {
          const fv = e[fk];
          if ((fk === "path" || fk === "name") && typeof fv === "string") {
            (ev.file ??= {})[fk] = fv;
          } else if (fk === "hash" && obj(fv) !== null) {
            hashNode(ev, "file", fv as Obj);
          } else flattenInto(ev, `file.${fk}`, fv);
        }
        continue;
      }
      case "log": {
        const e = obj(v);
        if (e === null) break;
        for (const lk in e) {
          if (lk === "level" && typeof e.level === "string") {
            const s = severityFromText(e.level);
            if (s >= 0 && st.sev < 0) st.sev = s;
          }
          flattenInto(ev, `log.${lk}`, e[lk]);
        }
        continue;
      }
      case "message":
        if (typeof v === "string") message = v;
        break;
    }
    // Not an ECS object field: a flat well-known key or anything else.
    const t = scalarText(v);
    if (t !== null) applyKey(ev, st, k, t);
    else flattenInto(ev, k, v);
  }

  // Generic JSON often names its time "time" or "date".
  if (st.tsMs !== st.tsMs) {
    for (const k of TIME_KEYS) {
      const ms = parseTimestamp(o[k], st.refMs);
      if (ms === ms) {
        st.tsMs = ms;
        break;
      }
    }
  }
  if (category !== undefined) {
    ev.category = category;
    ev.action = action !== "" ? action : DEFAULT_ACTION[category];
    ev.outcome = outcome === "" ? "unknown" : outcomeFromWord(outcome);
  } else {
    // Beats' system module: a raw syslog message with the program named.
    const program = ev.process?.name;
    if (message !== "" && program !== undefined) {
      st.sliced = true; // entities are cut from the message
      classifyProgramMessage(ev, st, program, "", message);
    }
    if (ev.action === "unclassified") {
      if (outcome !== "") st.outcome = outcome;
      classifyByEntities(ev, st, message);
    }
    if (action !== "") ev.action = action;
  }
  return null;
}

const DIRECTIONS = new Set([
  "inbound",
  "outbound",
  "internal",
  "external",
  "unknown",
]);

/** Elastic risk-score style 0–100 → severity rank. */
function riskSeverity(n: number): number {
  if (n >= 99) return 4;
  if (n >= 73) return 3;
  if (n >= 47) return 2;
  if (n >= 21) return 1;
  return 0;
}

function endpoint(
  ev: Ev,
  which: "source" | "destination",
  prefix: string,
  e: Obj,
): void {
  for (const k in e) {
    const v = e[k];
    switch (k) {
      case "ip":
      case "address":
        if (typeof v === "string") {
          if (k === "address" && ev[which]?.ip !== undefined) break;
          setIp(ev, which, v);
          continue;
        }
        break;
      case "port":
        if (toInt(v) >= 0 && toInt(v) <= 65535) {
          setPort(ev, which, v as number);
          continue;
        }
        break;
      case "bytes":
      case "packets": {
        const n = toInt(v);
        if (n >= 0) {
          (ev[which] ??= {})[k] = n;
          continue;
        }
        break;
      }
      case "domain":
        if (typeof v === "string") {
          (ev[which] ??= {}).domain = v.toLowerCase();
          continue;
        }
        break;
      case "geo": {
        const g = obj(v);
        if (g === null) break;
        for (const gk in g) {
          const gv = g[gk];
          if (gk === "country_iso_code" && typeof gv === "string") {
            if (!setCountry(ev, which, gv)) {
              ev.fields[`${which}.geo.country_iso_code`] = gv;
            }
          } else if (
            (gk === "country_name" || gk === "city_name") &&
            typeof gv === "string"
          ) {
            ((ev[which] ??= {}).geo ??= {})[gk] = gv;
          } else if (gk === "location" && obj(gv) !== null) {
            const l = gv as Obj;
            if (typeof l.lat === "number" && typeof l.lon === "number") {
              ((ev[which] ??= {}).geo ??= {}).location = {
                lat: l.lat,
                lon: l.lon,
              };
            }
          } else flattenInto(ev, `${prefix}.geo.${gk}`, gv);
        }
        continue;
      }
      case "user": {
        const u = obj(v);
        if (
          u !== null && typeof u.name === "string" && which === "source" &&
          ev.user?.name === undefined
        ) {
          setUser(ev, u.name);
        }
        break;
      }
    }
    flattenInto(ev, `${prefix}.${k}`, v);
  }
}

function processNode(ev: Ev, e: Obj): void {
  for (const k in e) {
    const v = e[k];
    if (k === "name" && typeof v === "string") setProcessName(ev, v);
    else if (k === "pid" && toInt(v) >= 0) setPid(ev, v as number);
    else if (k === "executable" && typeof v === "string") setExecutable(ev, v);
    else if (k === "command_line" && typeof v === "string") {
      setCommandLine(ev, v);
    } else if (k === "hash" && obj(v) !== null) {
      hashNode(ev, "process", v as Obj);
    } else if (k === "parent" && obj(v) !== null) {
      const p = v as Obj;
      const out = ((ev.process ??= {}).parent ??= {});
      for (const pk in p) {
        const pv = p[pk];
        if (
          (pk === "name" || pk === "executable" || pk === "command_line") &&
          typeof pv === "string"
        ) {
          out[pk] = pv;
        } else if (pk === "pid" && toInt(pv) >= 0) out.pid = toInt(pv);
        else flattenInto(ev, `process.parent.${pk}`, pv);
      }
    } else flattenInto(ev, `process.${k}`, v);
  }
}

function hashNode(ev: Ev, on: "process" | "file", h: Obj): void {
  for (const k in h) {
    if (typeof h[k] === "string") setHash(ev, on, h[k] as string, k);
    if (
      (on === "process" ? ev.process?.hash : ev.file?.hash)?.[k as "md5"] ===
        undefined
    ) {
      flattenInto(ev, `${on}.hash.${k}`, h[k]);
    }
  }
}

function dnsNode(ev: Ev, e: Obj): void {
  for (const k in e) {
    const v = e[k];
    if (k === "question" && obj(v) !== null) {
      const q = v as Obj;
      for (const qk in q) {
        if (qk === "name" && typeof q.name === "string") setQuery(ev, q.name);
        else if (qk === "type" && typeof q.type === "string") {
          setQueryType(ev, q.type);
        } else flattenInto(ev, `dns.question.${qk}`, q[qk]);
      }
    } else if (k === "response_code" && typeof v === "string") setRcode(ev, v);
    else if (k === "answers" && Array.isArray(v)) {
      const answers: string[] = [];
      for (const a of v) {
        const t = scalarText(a) ?? scalarText(obj(a)?.data);
        if (t !== null) answers.push(t);
      }
      (ev.dns ??= {}).answers = answers;
    } else flattenInto(ev, `dns.${k}`, v);
  }
}

function httpNode(ev: Ev, e: Obj): void {
  for (const k in e) {
    const v = e[k];
    if (k === "request" && obj(v) !== null) {
      const r = v as Obj;
      for (const rk in r) {
        const rv = r[rk];
        if (rk === "method" && typeof rv === "string") setMethod(ev, rv);
        else if (rk === "referrer" && typeof rv === "string") {
          ((ev.http ??= {}).request ??= {}).referrer = rv;
        } else flattenInto(ev, `http.request.${rk}`, rv);
      }
    } else if (k === "response" && obj(v) !== null) {
      const r = v as Obj;
      for (const rk in r) {
        const rv = r[rk];
        if (rk === "status_code" && toInt(rv) >= 0) setStatus(ev, rv as number);
        else if (rk === "bytes" && toInt(rv) >= 0) {
          setResponseBytes(ev, rv as number);
        } else if (rk === "body" && toInt(obj(rv)?.bytes) >= 0) {
          setResponseBytes(ev, obj(rv)!.bytes as number);
        } else flattenInto(ev, `http.response.${rk}`, rv);
      }
    } else flattenInto(ev, `http.${k}`, v);
  }
}
