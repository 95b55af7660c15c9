/**
 * Okta System Log events. Before, an event was generic JSON: `other` /
 * `unclassified`, no user or address, and no routing to SigmaHQ's
 * `product: okta, service: okta` rules, so a lockout or a sign-in through an
 * anonymising proxy raised nothing.
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

/** An Okta System Log event as the API returns it. */
function event(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    uuid: "2bf4fd1a-8a63-11ee-b9d1-0242ac120002",
    published: "2026-11-24T10:00:00.123Z",
    eventType: "user.session.start",
    version: "0",
    displayMessage: "User login to Okta",
    severity: "INFO",
    actor: {
      id: "00u1abcd",
      type: "User",
      alternateId: "alice@example.com",
      displayName: "Alice Example",
    },
    client: {
      userAgent: {
        rawUserAgent: "Mozilla/5.0 (X11; Linux x86_64)",
        os: "Linux",
        browser: "FIREFOX",
      },
      zone: "null",
      device: "Computer",
      ipAddress: "203.0.113.44",
      geographicalContext: {
        city: "Lisbon",
        state: "Lisbon",
        country: "Portugal",
      },
    },
    outcome: { result: "SUCCESS" },
    securityContext: { isProxy: false },
    authenticationContext: { authenticationStep: 0, externalSessionId: "x" },
    target: [],
    ...extra,
  };
}

const LOCKOUT = event({
  eventType: "user.account.lock",
  displayMessage: "Max sign in attempts exceeded",
  severity: "WARN",
  outcome: { result: "FAILURE", reason: "LOCKED_OUT" },
});
const PROXY_LOGIN = event({ securityContext: { isProxy: true } });
const MFA_RESET = event({
  eventType: "user.mfa.factor.reset_all",
  displayMessage: "Reset all factors for user",
  actor: { type: "User", alternateId: "admin@example.com" },
  target: [{
    id: "00u9",
    type: "User",
    alternateId: "bob@example.com",
    displayName: "Bob",
  }],
});

interface Case {
  name: string;
  payload: Record<string, unknown>;
  expect: Record<string, unknown>;
}

const CASES: Case[] = [
  {
    name: "session start: login, the actor, address, agent and country",
    payload: event({}),
    expect: {
      format: "okta",
      ts: "2026-11-24T10:00:00.123Z",
      category: "auth",
      action: "web_login",
      outcome: "success",
      severity: "informational",
      user: { name: "alice@example.com" },
      source: {
        ip: "203.0.113.44",
        geo: { country_name: "Portugal" },
      },
      http: { user_agent: "Mozilla/5.0 (X11; Linux x86_64)" },
      fields: {
        eventType: "user.session.start",
        displayMessage: "User login to Okta",
        "securityContext.isProxy": "false",
        "outcome.result": "SUCCESS",
      },
    },
  },
  {
    name: "a failed sign-in is a failure, low",
    payload: event({
      outcome: { result: "FAILURE", reason: "INVALID_CREDENTIALS" },
    }),
    expect: { action: "web_login", outcome: "failure", severity: "low" },
  },
  {
    name: "lockout: account_locked, WARN",
    payload: LOCKOUT,
    expect: {
      action: "account_locked",
      outcome: "failure",
      severity: "medium",
      fields: { displayMessage: "Max sign in attempts exceeded" },
    },
  },
  {
    name: "an MFA reset by an admin: the user it is about is the target",
    payload: MFA_RESET,
    expect: {
      category: "auth",
      action: "user_mfa_factor_reset_all",
      user: { name: "admin@example.com", target: { name: "bob@example.com" } },
    },
  },
  {
    name: "an admin-side event: other, the event type as action",
    payload: event({
      eventType: "policy.lifecycle.update",
      displayMessage: "Update policy",
    }),
    expect: { category: "other", action: "policy_lifecycle_update" },
  },
];

for (const c of CASES) {
  Deno.test(`okta: ${c.name}`, () => {
    const r = parseOne(c.payload);
    assert.equal(validateRecord(r), null, JSON.stringify(r));
    assert.equal(r.record, "enriched_event", JSON.stringify(r));
    assert.deepEqual(pick(r, c.expect), c.expect);
    assert.deepEqual((r as EnrichedEvent).payload, c.payload);
  });
}

Deno.test("okta: an EventBridge event from Okta's log streaming is read as its detail (the AWS account is no user)", () => {
  const bridged = {
    version: "0",
    id: "5e1c",
    "detail-type": "SystemLog",
    source: "aws.partner/okta.com/example/okta-logs",
    account: "123456789012",
    time: "2026-11-24T10:00:00Z",
    region: "us-east-1",
    resources: [],
    detail: LOCKOUT,
  };
  const e = parseOne(bridged) as EnrichedEvent;
  assert.equal(e.format, "okta");
  assert.equal(e.action, "account_locked");
  assert.equal(e.user?.name, "alice@example.com");
});

Deno.test("okta: an application acting names no user; an app user acted on is the target", () => {
  const e = parseOne(event({
    eventType: "app.user_membership.add",
    actor: { type: "PublicClientApp", alternateId: "0oa1clientid" },
    target: [{ type: "AppUser", alternateId: "carol@example.com" }],
  })) as EnrichedEvent;
  assert.equal(e.user?.name, undefined);
  assert.equal(e.user?.target?.name, "carol@example.com");
});

Deno.test("okta: JSON with an eventType but no actor, uuid or published time stays generic JSON", () => {
  for (
    const p of [
      { eventType: "click", published: "2026-11-24T10:00:00Z" },
      { eventType: "", published: "x", uuid: "u", actor: {} },
    ]
  ) {
    assert.equal((parseOne(p) as EnrichedEvent).format, "json");
  }
});

const SIGMAHQ_OKTA = sigmaHqRules("identity/okta");

Deno.test({
  name:
    "Okta System Log | sentinel-parser --in-format lines | sentinel-detector: SigmaHQ's Okta rules fire (lockout, sign-in through an anonymising proxy, MFA reset)",
  ignore: SIGMAHQ_OKTA === null,
  async fn() {
    const { alerts } = await linesThroughDetector(
      [event({}), LOCKOUT, PROXY_LOGIN, MFA_RESET].map((e) =>
        JSON.stringify(e)
      ),
      ["--rules", SIGMAHQ_OKTA!, "--anomaly", "off"],
    );
    assert.deepEqual(alerts.map((a) => a.rule.title).sort(), [
      "Okta MFA Reset or Deactivated",
      "Okta User Account Locked Out",
      "Okta User Session Start Via An Anonymising Proxy Service",
    ]);
  },
});
