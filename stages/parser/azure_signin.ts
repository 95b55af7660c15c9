/**
 * Microsoft Entra ID (Azure AD) sign-in logs, in the two shapes they leave
 * Azure in: a diagnostic setting's records (Event Hub, storage: `category`
 * SignInLogs / NonInteractiveUserSignInLogs / ServicePrincipalSignInLogs /
 * ManagedIdentitySignInLogs, the sign-in under `properties`), and rows of
 * the Log Analytics `SigninLogs` table (`Type`, `ResultType`,
 * `UserPrincipalName`, …).
 *
 * SigmaHQ's `product: azure, service: signinlogs` rules name the Log
 * Analytics columns (`ResultType`, `ResultDescription`,
 * `AuthenticationRequirement`, `Status`, `DeviceDetail.trusttype`), so a
 * diagnostic record's `properties` are kept under those names as well
 * (`ipAddress` → `IPAddress`, `status` → `Status`, `location` →
 * `LocationDetails` with `Location` its country); the record's own keys
 * stay too. On top:
 * - `ts` from the sign-in time; `user.name` the user principal name;
 *   `source.ip`, the user agent and the country (ISO code);
 * - auth `web_login` (what the pack's spraying and travel rules read):
 *   success when ResultType is 0, else failure (the reason in
 *   ResultDescription).
 *
 * One record a line: a diagnostic setting's Event Hub message holds several
 * under `records` (`jq -c '.records[]'` splits them).
 */
import {
  classify,
  type Ev,
  type ParseState,
  setCountry,
  setIp,
  setUser,
} from "./_event.ts";
import { asObject as obj, flattenInto, scalarText } from "./_flatten.ts";
import { parseTimestamp } from "./time.ts";

type Obj = Record<string, unknown>;

const CATEGORIES = new Set([
  "SignInLogs",
  "NonInteractiveUserSignInLogs",
  "ServicePrincipalSignInLogs",
  "ManagedIdentitySignInLogs",
]);

/** The Log Analytics tables of sign-ins. */
const LA_TABLES = new Set([
  "SigninLogs",
  "AADNonInteractiveUserSignInLogs",
  "AADServicePrincipalSignInLogs",
  "AADManagedIdentitySignInLogs",
]);

/** The sign-in's columns (Log Analytics names) when `o` is one, else null. */
export function azureSignIn(o: Obj): Obj | null {
  if (typeof o.category === "string" && CATEGORIES.has(o.category)) {
    const p = obj(o.properties);
    if (p === null) return null;
    const row: Obj = {};
    for (const k in p) row[k.charAt(0).toUpperCase() + k.slice(1)] = p[k];
    const loc = obj(p.location);
    if (loc !== null) {
      row.LocationDetails = loc;
      row.Location = loc.countryOrRegion;
    }
    row.IPAddress = p.ipAddress ?? o.callerIpAddress;
    row.TimeGenerated = o.time ?? p.createdDateTime;
    row.ResultType = o.resultType ?? obj(p.status)?.errorCode;
    row.ResultDescription = o.resultDescription ??
      obj(p.status)?.failureReason;
    row.Category = o.category;
    row.OperationName = o.operationName;
    return row;
  }
  if (
    typeof o.Type === "string" && LA_TABLES.has(o.Type) &&
    o.ResultType !== undefined
  ) {
    return o;
  }
  return null;
}

/**
 * Keeps column `k`: a scalar as its text; an object or array flattened
 * (`Status.errorCode`) and whole as JSON too, since a Log Analytics column
 * is one dynamic value (`Status|contains: 'MFA Denied'`,
 * `NetworkLocationDetails: '[]'`).
 */
function column(ev: Ev, k: string, v: unknown): void {
  const t = scalarText(v);
  if (t !== null) ev.fields[k] = t;
  else if (v !== null && typeof v === "object") {
    flattenInto(ev, k, v);
    ev.fields[k] = JSON.stringify(v);
  }
}

/** Maps a sign-in (`row`: its Log Analytics columns); null on success. */
export function parseAzureSignIn(
  ev: Ev,
  st: ParseState,
  o: Obj,
  row: Obj,
): string | null {
  ev.format = "azure_signin";
  // The record's own keys (and its properties, also under their own
  // camelCase names: rules name some of them so), then the Log Analytics
  // columns over them.
  if (row !== o) {
    for (const k in o) if (k !== "properties") flattenInto(ev, k, o[k]);
    flattenInto(ev, "properties", o.properties);
    const p = obj(o.properties)!;
    for (const k in p) column(ev, k, p[k]);
  }
  for (const k in row) column(ev, k, row[k]);
  const ms = parseTimestamp(row.TimeGenerated ?? row.CreatedDateTime, st.refMs);
  if (ms === ms) st.tsMs = ms;
  const upn = row.UserPrincipalName;
  if (typeof upn === "string" && upn !== "") setUser(ev, upn);
  const ip = row.IPAddress;
  if (typeof ip === "string") setIp(ev, "source", ip);
  const ua = row.UserAgent;
  if (typeof ua === "string" && ua !== "") (ev.http ??= {}).user_agent = ua;
  const country = row.Location;
  if (typeof country === "string" && country !== "") {
    setCountry(ev, "source", country);
  }
  const result = scalarText(row.ResultType);
  const ok = result === "0";
  classify(
    ev,
    "auth",
    "web_login",
    result === null ? "unknown" : ok ? "success" : "failure",
  );
  if (result !== null && !ok) st.floor = 1;
  return null;
}
