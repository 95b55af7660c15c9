/**
 * Classification of records whose format does not say what happened
 * (key=value, CEF, LEEF, flat JSON): decided from the entities found.
 */
import {
  classify,
  type Ev,
  outcomeFromWord,
  type ParseState,
} from "./_event.ts";

/** Request paths of login forms and APIs. */
export const LOGIN_PATH =
  /(?:log[-_]?in|sign[-_]?in|logon|wp-login\.php|\/auth(?:enticate)?(?:[/?.]|$)|\/sessions?(?:[/?.]|$)|j_security_check)/i;

/** Texts that speak of authentication. */
const AUTH_TEXT = /log[ -]?[io]n|logon|authenticat|password|credential/i;
const FAILURE_TEXT = /fail|invalid|denied|bad|wrong/i;
const SUCCESS_TEXT = /success|accepted|succeeded/i;

/** Sets category/action/outcome from the entities and `hint` text (name, message). */
export function classifyByEntities(ev: Ev, st: ParseState, hint: string): void {
  let outcome = st.outcome !== "" ? outcomeFromWord(st.outcome) : "unknown";
  if (outcome === "unknown" && st.act !== "") outcome = outcomeFromWord(st.act);
  const status = ev.http?.response?.status_code;
  if (ev.dns?.question?.name !== undefined) {
    const rc = ev.dns.response_code;
    if (outcome === "unknown" && rc !== undefined) {
      outcome = rc === "NOERROR" || rc === "0" ? "success" : "failure";
    }
    classify(ev, "dns", "dns_query", outcome);
    return;
  }
  if (
    status !== undefined || ev.http?.request?.method !== undefined
  ) {
    if (outcome === "unknown" && status !== undefined) {
      outcome = status < 400 ? "success" : "failure";
    }
    const path = ev.url?.path ?? ev.url?.original;
    if (
      ev.http?.request?.method === "POST" && path !== undefined &&
      LOGIN_PATH.test(path)
    ) {
      classify(ev, "auth", "web_login", outcome);
    } else classify(ev, "web", "http_request", outcome);
    return;
  }
  if (ev.user?.name !== undefined && hint !== "" && AUTH_TEXT.test(hint)) {
    if (outcome === "unknown") {
      if (FAILURE_TEXT.test(hint)) outcome = "failure";
      else if (SUCCESS_TEXT.test(hint)) outcome = "success";
    }
    classify(ev, "auth", "login", outcome);
    if (outcome === "failure") st.floor = Math.max(st.floor, 1);
    return;
  }
  const s = ev.source;
  const d = ev.destination;
  if (
    s?.ip !== undefined || d?.ip !== undefined || s?.port !== undefined ||
    d?.port !== undefined
  ) {
    classify(ev, "network", "connection", outcome);
    return;
  }
  if (ev.process?.command_line !== undefined) {
    classify(ev, "process", "process_start", outcome);
    return;
  }
  if (ev.file?.path !== undefined || ev.file?.name !== undefined) {
    classify(ev, "file", "file_event", outcome);
    return;
  }
  ev.outcome = outcome;
}
