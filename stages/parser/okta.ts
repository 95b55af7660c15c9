/**
 * Okta System Log events (the System Log API's JSON, one event a line, as
 * Okta's log streaming and most collectors deliver them).
 *
 * Every key stays in `fields` under Okta's own dotted names (`eventType`,
 * `displayMessage`, `outcome.result`, `securityContext.isProxy`, …), as
 * SigmaHQ's `product: okta, service: okta` rules name them; the detector
 * routes `format: okta` there. On top:
 *
 * - `ts` from `published`; `source.ip`, the user agent and the client's
 *   country from `client`;
 * - `user.name`: the acting user's `alternateId` (the login, an email
 *   address); a user the event is about (`target` of type User or AppUser)
 *   as `user.target`;
 * - outcome from `outcome.result` (SUCCESS, ALLOW: success; FAILURE, DENY:
 *   failure), severity from `severity` (INFO, WARN, ERROR);
 * - category auth for `user.session.*`, `user.authentication.*`,
 *   `user.account.*`, `user.mfa.*`, `user.lifecycle.*` and
 *   `policy.evaluate_sign_on`, other for the rest; action: a sign-in is
 *   `web_login` (what the pack's spraying and travel rules read), a lockout
 *   `account_locked`, a user created or deleted `user_created` /
 *   `user_deleted`, else the event type with `_` for `.`;
 * - an EventBridge event from Okta's log streaming is read as its `detail`.
 *
 * Okta gives the client's country by name, not ISO code: with `--geoip`
 * the address gives the code the pack's impossible travel compares.
 */
import {
  classify,
  type Ev,
  type ParseState,
  setCountry,
  setIp,
  setTargetUser,
  setUser,
} from "./_event.ts";
import { asObject as obj, eventBridgeDetail } from "./_flatten.ts";
import { parseVendorJson } from "./json_event.ts";
import { severityFromText } from "./severity.ts";
import { parseTimestamp } from "./time.ts";

type Obj = Record<string, unknown>;

/**
 * The Okta event `o` is or carries: itself, or the `detail` of the
 * EventBridge event Okta's log streaming sends (`detail-type` SystemLog);
 * null for anything else.
 */
export function oktaEvent(o: Obj): Obj | null {
  if (isOkta(o)) return o;
  const detail = eventBridgeDetail(o);
  return detail !== null && isOkta(detail) ? detail : null;
}

/** True when `o` is an Okta System Log event. */
function isOkta(o: Obj): boolean {
  return typeof o.eventType === "string" && o.eventType !== "" &&
    typeof o.published === "string" && typeof o.uuid === "string" &&
    obj(o.actor) !== null;
}

const AUTH_PREFIXES = [
  "user.session.",
  "user.authentication.",
  "user.account.",
  "user.mfa.",
  "user.lifecycle.",
  "policy.evaluate_sign_on",
];

const ACTIONS: Record<string, string> = {
  // A sign-in to a web identity provider: web_login, as the pack's
  // password-spraying and impossible-travel rules read it.
  "user.session.start": "web_login",
  "user.session.end": "logout",
  "user.account.lock": "account_locked",
  "user.account.lock.limit": "account_locked",
  "user.lifecycle.create": "user_created",
  "user.lifecycle.delete.initiated": "user_deleted",
  "user.lifecycle.delete.completed": "user_deleted",
};

/** Maps an Okta event; sets `ev.format` to okta. */
export function parseOkta(ev: Ev, st: ParseState, o: Obj): string | null {
  // The generic mapping, then the event's own meaning over it.
  const failure = parseVendorJson(ev, st, o);
  if (failure !== null) return failure;
  ev.format = "okta";
  const ms = parseTimestamp(o.published, st.refMs);
  if (ms === ms) st.tsMs = ms;
  // A person acting (an application's client id names no one).
  const actor = obj(o.actor)!;
  if (
    actor.type === "User" && typeof actor.alternateId === "string" &&
    actor.alternateId !== ""
  ) {
    setUser(ev, actor.alternateId);
  }
  if (Array.isArray(o.target)) {
    for (const t of o.target) {
      const target = obj(t);
      if (
        (target?.type === "User" || target?.type === "AppUser") &&
        typeof target.alternateId === "string"
      ) {
        setTargetUser(ev, target.alternateId);
        break;
      }
    }
  }
  const client = obj(o.client);
  if (client !== null) {
    if (typeof client.ipAddress === "string") {
      setIp(ev, "source", client.ipAddress);
    }
    const ua = obj(client.userAgent)?.rawUserAgent;
    if (typeof ua === "string") (ev.http ??= {}).user_agent = ua;
    const country = obj(client.geographicalContext)?.country;
    if (typeof country === "string") setCountry(ev, "source", country);
  }
  const sev = typeof o.severity === "string"
    ? severityFromText(o.severity)
    : -1;
  if (sev >= 0) st.sev = sev;
  const result = obj(o.outcome)?.result;
  const outcome = result === "SUCCESS" || result === "ALLOW"
    ? "success"
    : result === "FAILURE" || result === "DENY"
    ? "failure"
    : "unknown";
  const type = o.eventType as string;
  const auth = AUTH_PREFIXES.some((p) => type.startsWith(p));
  classify(
    ev,
    auth ? "auth" : "other",
    ACTIONS[type] ?? type.replaceAll(".", "_"),
    outcome,
  );
  if (auth && outcome === "failure") st.floor = 1;
  return null;
}
