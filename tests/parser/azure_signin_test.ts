/**
 * Microsoft Entra ID (Azure AD) sign-in logs, from a diagnostic setting
 * (Event Hub / storage records) and as Log Analytics `SigninLogs` rows.
 * Before, a sign-in was generic JSON: `other`/`unclassified`, no user or
 * address, and no routing to SigmaHQ's `product: azure, service:
 * signinlogs` rules, whose column names (`ResultType`,
 * `AuthenticationRequirement`, `Status`) the diagnostic record does not use.
 */
import assert from "node:assert/strict";
import type { EnrichedEvent } from "../../stages/shared/contracts/mod.ts";
import { validateRecord } from "../../stages/shared/contracts/mod.ts";
import {
  linesThroughDetector,
  parseOne,
  pick,
  sigmaHqRules,
} from "./_helpers.ts";

/** A sign-in as a diagnostic setting streams it (category SignInLogs). */
function diagnostic(
  resultType: string,
  extra: Record<string, unknown> = {},
  status: Record<string, unknown> = { errorCode: Number(resultType) },
): Record<string, unknown> {
  return {
    time: "2026-11-24T10:00:00.1234567Z",
    resourceId:
      "/tenants/00000000-0000-0000-0000-000000000001/providers/Microsoft.aadiam",
    operationName: "Sign-in activity",
    operationVersion: "1.0",
    category: "SignInLogs",
    tenantId: "00000000-0000-0000-0000-000000000001",
    resultType,
    resultSignature: "None",
    resultDescription: extra.resultDescription,
    durationMs: 0,
    callerIpAddress: "203.0.113.70",
    correlationId: "9f1c",
    identity: "Alice Example",
    Level: 4,
    location: "PT",
    properties: {
      id: "a1b2",
      createdDateTime: "2026-11-24T10:00:00.1234567+00:00",
      userDisplayName: "Alice Example",
      userPrincipalName: "alice@example.com",
      userId: "u1",
      appId: "app1",
      appDisplayName: "Office 365 Exchange Online",
      ipAddress: "203.0.113.70",
      status,
      clientAppUsed: "Browser",
      userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
      deviceDetail: { operatingSystem: "Windows10", browser: "Edge" },
      location: {
        city: "Lisbon",
        state: "Lisboa",
        countryOrRegion: "PT",
      },
      conditionalAccessStatus: "notApplied",
      isInteractive: true,
      authenticationRequirement: "singleFactorAuthentication",
      ...extra,
    },
  };
}

const DISABLED = diagnostic("50057", {
  resultDescription:
    "User account is disabled. The account has been disabled by an administrator.",
});
const MFA_DENIED = diagnostic("500121", {
  authenticationRequirement: "multiFactorAuthentication",
}, {
  errorCode: 500121,
  failureReason: "Authentication failed during strong authentication request.",
  additionalDetails: "MFA denied; user declined the authentication",
});

/** The same kind of sign-in as a Log Analytics SigninLogs row. */
const LA_ROW = {
  TenantId: "00000000-0000-0000-0000-000000000001",
  TimeGenerated: "2026-11-24T10:05:00Z",
  Type: "SigninLogs",
  ResultType: "50126",
  ResultDescription:
    "Error validating credentials due to invalid username or password.",
  UserPrincipalName: "bob@example.com",
  IPAddress: "198.51.100.71",
  Location: "US",
  AppDisplayName: "Azure Portal",
  AuthenticationRequirement: "singleFactorAuthentication",
  Status: { errorCode: 50126, failureReason: "Invalid username or password" },
  UserAgent: "python-requests/2.31",
};

interface Case {
  name: string;
  payload: Record<string, unknown>;
  expect: Record<string, unknown>;
}

const CASES: Case[] = [
  {
    name:
      "diagnostic record, success: login, the user, address, agent and country",
    payload: diagnostic("0"),
    expect: {
      format: "azure_signin",
      ts: "2026-11-24T10:00:00.123Z",
      category: "auth",
      action: "web_login",
      outcome: "success",
      user: { name: "alice@example.com" },
      source: { ip: "203.0.113.70", geo: { country_iso_code: "PT" } },
      http: { user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64)" },
      fields: {
        ResultType: "0",
        AuthenticationRequirement: "singleFactorAuthentication",
        AppDisplayName: "Office 365 Exchange Online",
        Location: "PT",
        "DeviceDetail.operatingSystem": "Windows10",
        "properties.appDisplayName": "Office 365 Exchange Online",
        category: "SignInLogs",
      },
    },
  },
  {
    name: "diagnostic record, disabled account: failure with the reason",
    payload: DISABLED,
    expect: {
      outcome: "failure",
      severity: "low",
      fields: {
        ResultType: "50057",
        ResultDescription:
          "User account is disabled. The account has been disabled by an administrator.",
      },
    },
  },
  {
    name: "Log Analytics row",
    payload: LA_ROW,
    expect: {
      format: "azure_signin",
      ts: "2026-11-24T10:05:00.000Z",
      outcome: "failure",
      user: { name: "bob@example.com" },
      source: { ip: "198.51.100.71", geo: { country_iso_code: "US" } },
      fields: { ResultType: "50126", "Status.errorCode": "50126" },
    },
  },
];

for (const c of CASES) {
  Deno.test(`azure sign-in: ${c.name}`, () => {
    const r = parseOne(c.payload);
    assert.equal(validateRecord(r), null, JSON.stringify(r));
    assert.equal(r.record, "enriched_event", JSON.stringify(r));
    assert.deepEqual(pick(r, c.expect), c.expect);
    assert.deepEqual((r as EnrichedEvent).payload, c.payload);
  });
}

Deno.test("azure sign-in: a diagnostic record keeps its properties under their own names too, and array columns whole (rules name userAgent, NetworkLocationDetails: '[]')", () => {
  const e = parseOne(
    diagnostic("0", { networkLocationDetails: [] }),
  ) as EnrichedEvent;
  assert.equal(e.fields.userAgent, "Mozilla/5.0 (Windows NT 10.0; Win64; x64)");
  assert.equal(e.fields.conditionalAccessStatus, "notApplied");
  assert.equal(e.fields.NetworkLocationDetails, "[]");
  assert.equal(e.fields.networkLocationDetails, "[]");
});

Deno.test("azure sign-in: Log Analytics rows of the service-principal and managed-identity tables are sign-ins too", () => {
  for (
    const Type of [
      "AADServicePrincipalSignInLogs",
      "AADManagedIdentitySignInLogs",
    ]
  ) {
    const e = parseOne({
      ...LA_ROW,
      Type,
      UserPrincipalName: undefined,
    }) as EnrichedEvent;
    assert.equal(e.format, "azure_signin", Type);
    assert.equal(e.outcome, "failure");
  }
});

Deno.test("Okta and Entra sign-ins | parser | detector: the pack's password spraying (12 accounts failing from one address) and impossible travel (one user from two countries within the hour) read them", async () => {
  const lines: string[] = [];
  for (let i = 0; i < 12; i++) {
    lines.push(JSON.stringify({
      ...LA_ROW,
      TimeGenerated: `2026-11-24T10:0${i % 10}:${String(i).padStart(2, "0")}Z`,
      UserPrincipalName: `user${i}@example.com`,
      IPAddress: "203.0.113.99",
    }));
  }
  lines.push(JSON.stringify(diagnostic("0")));
  lines.push(JSON.stringify({
    ...diagnostic("0"),
    time: "2026-11-24T10:20:00.0000000Z",
    properties: {
      ...(diagnostic("0").properties as Record<string, unknown>),
      ipAddress: "198.51.100.250",
      location: { city: "Lagos", countryOrRegion: "NG" },
    },
  }));
  const { alerts } = await linesThroughDetector(lines, [
    "--rules",
    "./sigma",
    "--anomaly",
    "off",
  ]);
  const titles = alerts.map((a) => a.rule.title);
  assert.ok(titles.includes("Password Spraying"), titles.join());
  assert.ok(titles.includes("Impossible Travel"), titles.join());
});

Deno.test("azure sign-in: JSON with another category, or a row of another table, stays generic JSON", () => {
  for (
    const p of [
      { category: "SignInLogs", properties: "x", time: "2026-11-24T10:00:00Z" },
      { category: "Network", properties: {}, time: "2026-11-24T10:00:00Z" },
      { Type: "Heartbeat", ResultType: "0", TimeGenerated: "2026-11-24" },
    ]
  ) {
    assert.equal((parseOne(p) as EnrichedEvent).format, "json");
  }
});

const SIGMAHQ_SIGNIN = sigmaHqRules("cloud/azure/signin_logs");

Deno.test({
  name:
    "Entra ID sign-ins | sentinel-parser --in-format lines | sentinel-detector: SigmaHQ's sign-in rules fire (disabled account, MFA denied)",
  ignore: SIGMAHQ_SIGNIN === null,
  async fn() {
    const { alerts } = await linesThroughDetector(
      [diagnostic("0"), DISABLED, MFA_DENIED].map((e) => JSON.stringify(e)),
      ["--rules", SIGMAHQ_SIGNIN!, "--anomaly", "off"],
    );
    const titles = alerts.map((a) => a.rule.title);
    assert.ok(titles.includes("Login to Disabled Account"), titles.join());
    assert.ok(
      titles.includes("Multifactor Authentication Denied"),
      titles.join(),
    );
  },
});
