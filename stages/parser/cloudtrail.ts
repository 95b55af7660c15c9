/**
 * AWS CloudTrail records, one a line: what CloudWatch Logs and CloudTrail Lake
 * deliver, what `jq -c '.Records[]'` makes of a trail's S3 log file, and
 * EventBridge events, whose `detail` is the record (parsed alone).
 *
 * Every key is kept in `fields` under CloudTrail's own dotted names
 * (`eventSource`, `eventName`, `errorCode`, `userIdentity.type`,
 * `responseElements.ConsoleLogin`, `additionalEventData.MFAUsed`, …), as
 * SigmaHQ's `product: aws, service: cloudtrail` rules name them; the
 * detector routes `format: cloudtrail` there. On top:
 *
 * - `ts` from `eventTime`; `source.ip` from `sourceIPAddress` (an AWS
 *   service calling on a user's behalf, `ec2.amazonaws.com`, becomes
 *   `source.domain`); the user agent;
 * - `user.name`: the IAM user, `root` for the account's root user, the
 *   role session name of an assumed role (usually the person or tool that
 *   assumed it; the role is `user.target.name`), else the ARN;
 * - outcome: failure when the call returned an `errorCode`, or a console
 *   sign-in says `Failure`; else success;
 * - category auth for sign-in, STS and IAM calls (`console_login`,
 *   `assume_role`, `create_user`, …), other for the rest; the action is the
 *   event name in snake case (`stop_logging`, `put_bucket_policy`).
 */
import { asObject as obj, eventBridgeDetail } from "./_flatten.ts";
import {
  classify,
  type Ev,
  type ParseState,
  setIp,
  setTargetUser,
  setUser,
} from "./_event.ts";
import { parseVendorJson } from "./json_event.ts";

type Obj = Record<string, unknown>;

/**
 * The CloudTrail record `o` is or carries: itself, or the `detail` of an
 * EventBridge event ("AWS API Call via CloudTrail", "AWS Console Sign In via
 * CloudTrail"); null for anything else.
 */
export function cloudTrailRecord(o: Obj): Obj | null {
  if (isCloudTrail(o)) return o;
  const detail = eventBridgeDetail(o);
  return detail !== null && isCloudTrail(detail) ? detail : null;
}

/** True when `o` is a CloudTrail record. */
function isCloudTrail(o: Obj): boolean {
  return typeof o.eventSource === "string" &&
    typeof o.eventName === "string" && o.eventName !== "" &&
    typeof o.eventTime === "string" &&
    (typeof o.eventVersion === "string" ||
      (typeof o.userIdentity === "object" && o.userIdentity !== null));
}

const AUTH_SOURCES = new Set([
  "signin.amazonaws.com",
  "sts.amazonaws.com",
  "iam.amazonaws.com",
  "sso.amazonaws.com",
  "identitystore.amazonaws.com",
]);

/** `StopLogging` → `stop_logging`, `GetSessionToken` → `get_session_token`. */
function snake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2").toLowerCase();
}

/** Maps a CloudTrail record; sets `ev.format` to cloudtrail. */
export function parseCloudTrail(
  ev: Ev,
  st: ParseState,
  o: Obj,
): string | null {
  // The generic mapping, then the record's own meaning over it.
  const failure = parseVendorJson(ev, st, o);
  if (failure !== null) return failure;
  ev.format = "cloudtrail";
  const ip = o.sourceIPAddress;
  if (typeof ip === "string") setIp(ev, "source", ip);
  const id = obj(o.userIdentity);
  if (id !== null) {
    const type = id.type;
    const principal = typeof id.principalId === "string" ? id.principalId : "";
    if (typeof id.userName === "string" && id.userName !== "") {
      setUser(ev, id.userName);
    } else if (type === "Root") setUser(ev, "root");
    else if (type === "AssumedRole" && principal.includes(":")) {
      setUser(ev, principal.slice(principal.indexOf(":") + 1));
      const role = obj(obj(id.sessionContext)?.sessionIssuer)?.userName;
      if (typeof role === "string") setTargetUser(ev, role);
    } else if (typeof id.arn === "string") setUser(ev, id.arn);
  }
  const source = o.eventSource as string;
  const name = o.eventName as string;
  const console = obj(o.responseElements)?.ConsoleLogin;
  const failed = (typeof o.errorCode === "string" && o.errorCode !== "") ||
    console === "Failure";
  classify(
    ev,
    AUTH_SOURCES.has(source) ? "auth" : "other",
    snake(name),
    failed ? "failure" : "success",
  );
  if (failed && ev.category === "auth") st.floor = 1;
  return null;
}
