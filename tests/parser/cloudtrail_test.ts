/**
 * AWS CloudTrail records. Before, a record was generic JSON: `other` /
 * `unclassified`, no user, `sourceIPAddress` only a string in fields, and
 * no routing to SigmaHQ's `product: aws, service: cloudtrail` rules, so a
 * failed console sign-in or a trail switched off raised nothing.
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

function record(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    eventVersion: "1.08",
    userIdentity: {
      type: "IAMUser",
      principalId: "AIDAJ45Q7YFFAREXAMPLE",
      arn: "arn:aws:iam::123456789012:user/alice",
      accountId: "123456789012",
      userName: "alice",
    },
    eventTime: "2026-11-24T10:00:00Z",
    eventSource: "s3.amazonaws.com",
    eventName: "ListBuckets",
    awsRegion: "us-east-1",
    sourceIPAddress: "203.0.113.10",
    userAgent: "aws-cli/2.15.0",
    requestParameters: null,
    responseElements: null,
    eventID: "3a2b1c4d-0000-4000-8000-000000000001",
    readOnly: true,
    eventType: "AwsApiCall",
    managementEvent: true,
    recipientAccountId: "123456789012",
    eventCategory: "Management",
    ...extra,
  };
}

const CONSOLE_FAILURE = record({
  eventSource: "signin.amazonaws.com",
  eventName: "ConsoleLogin",
  userAgent: "Mozilla/5.0 (X11; Linux x86_64)",
  errorMessage: "Failed authentication",
  responseElements: { ConsoleLogin: "Failure" },
  additionalEventData: {
    LoginTo: "https://console.aws.amazon.com/console/home",
    MobileVersion: "No",
    MFAUsed: "No",
  },
  eventType: "AwsConsoleSignIn",
});

const STOP_LOGGING = record({
  userIdentity: {
    type: "AssumedRole",
    principalId: "AROAEXAMPLEID:bob@example.com",
    arn: "arn:aws:sts::123456789012:assumed-role/Admin/bob@example.com",
    accountId: "123456789012",
    accessKeyId: "ASIAEXAMPLE",
    sessionContext: {
      sessionIssuer: {
        type: "Role",
        principalId: "AROAEXAMPLEID",
        arn: "arn:aws:iam::123456789012:role/Admin",
        accountId: "123456789012",
        userName: "Admin",
      },
    },
  },
  eventTime: "2026-11-24T10:01:00Z",
  eventSource: "cloudtrail.amazonaws.com",
  eventName: "StopLogging",
  awsRegion: "eu-west-1",
  sourceIPAddress: "198.51.100.7",
  requestParameters: { name: "management-trail" },
  readOnly: false,
});

interface Case {
  name: string;
  payload: Record<string, unknown>;
  expect: Record<string, unknown>;
}

const CASES: Case[] = [
  {
    name: "ConsoleLogin failed: auth, failure, the IAM user and address",
    payload: CONSOLE_FAILURE,
    expect: {
      format: "cloudtrail",
      ts: "2026-11-24T10:00:00.000Z",
      ts_source: "event",
      category: "auth",
      action: "console_login",
      outcome: "failure",
      severity: "low",
      user: { name: "alice" },
      source: { ip: "203.0.113.10", ip_class: "public" },
      http: { user_agent: "Mozilla/5.0 (X11; Linux x86_64)" },
      fields: {
        eventName: "ConsoleLogin",
        "responseElements.ConsoleLogin": "Failure",
        "additionalEventData.MFAUsed": "No",
        "userIdentity.type": "IAMUser",
      },
    },
  },
  {
    name: "the root user signing in",
    payload: record({
      userIdentity: {
        type: "Root",
        principalId: "123456789012",
        arn: "arn:aws:iam::123456789012:root",
        accountId: "123456789012",
      },
      eventSource: "signin.amazonaws.com",
      eventName: "ConsoleLogin",
      responseElements: { ConsoleLogin: "Success" },
    }),
    expect: {
      action: "console_login",
      outcome: "success",
      user: { name: "root" },
    },
  },
  {
    name:
      "StopLogging by an assumed role: the session is the user, the role the target",
    payload: STOP_LOGGING,
    expect: {
      category: "other",
      action: "stop_logging",
      outcome: "success",
      user: { name: "bob@example.com", target: { name: "Admin" } },
      source: { ip: "198.51.100.7" },
      fields: {
        eventSource: "cloudtrail.amazonaws.com",
        "requestParameters.name": "management-trail",
      },
    },
  },
  {
    name:
      "a call refused with an errorCode is a failure; an AWS service caller is a domain",
    payload: record({
      eventSource: "iam.amazonaws.com",
      eventName: "CreateUser",
      sourceIPAddress: "cloudformation.amazonaws.com",
      errorCode: "AccessDenied",
      errorMessage: "User is not authorized to perform: iam:CreateUser",
    }),
    expect: {
      category: "auth",
      action: "create_user",
      outcome: "failure",
      source: { domain: "cloudformation.amazonaws.com" },
      fields: { errorCode: "AccessDenied" },
    },
  },
  {
    name: "acronyms in event names stay words",
    payload: record({
      eventSource: "rds.amazonaws.com",
      eventName: "CreateDBInstance",
    }),
    expect: { action: "create_db_instance" },
  },
];

for (const c of CASES) {
  Deno.test(`cloudtrail: ${c.name}`, () => {
    const r = parseOne(c.payload);
    assert.equal(validateRecord(r), null, JSON.stringify(r));
    assert.equal(r.record, "enriched_event", JSON.stringify(r));
    assert.deepEqual(pick(r, c.expect), c.expect);
    assert.deepEqual((r as EnrichedEvent).payload, c.payload);
  });
}

Deno.test("cloudtrail: every top-level key stays in fields under its own name, userAgent and eventTime too (SigmaHQ rules test userAgent; a text line has no object payload to fall back on)", () => {
  const e = parseOne(JSON.stringify(CONSOLE_FAILURE)) as EnrichedEvent;
  assert.equal(e.format, "cloudtrail");
  for (const [k, v] of Object.entries(CONSOLE_FAILURE)) {
    if (v === null || typeof v === "object") continue;
    assert.equal(e.fields[k], String(v), k);
  }
});

Deno.test("cloudtrail: an EventBridge event carrying a record in detail is read as that record", () => {
  const envelope = {
    version: "0",
    id: "6f8c3b1e-0000-4000-8000-000000000009",
    "detail-type": "AWS API Call via CloudTrail",
    source: "aws.cloudtrail",
    account: "123456789012",
    time: "2026-11-24T10:01:00Z",
    region: "eu-west-1",
    resources: [],
    detail: STOP_LOGGING,
  };
  const e = parseOne(envelope) as EnrichedEvent;
  assert.equal(validateRecord(e), null);
  const want = {
    format: "cloudtrail",
    action: "stop_logging",
    user: { name: "bob@example.com" },
    fields: { eventName: "StopLogging" },
  };
  assert.deepEqual(pick(e, want), want);
  assert.deepEqual(e.payload, envelope, "the event kept whole");
});

Deno.test("cloudtrail: an empty eventName is not a CloudTrail record (a schema-valid generic event, not an empty action)", () => {
  const r = parseOne(record({ eventName: "" }));
  assert.equal(validateRecord(r), null, JSON.stringify(r));
  assert.equal((r as EnrichedEvent).format, "json");
});

const SIGMAHQ_AWS = sigmaHqRules("cloud/aws");

Deno.test({
  name:
    "CloudTrail records | sentinel-parser --in-format lines | sentinel-detector: SigmaHQ's AWS rules fire (failed console sign-in, trail stopped, TruffleHog by its user agent)",
  ignore: SIGMAHQ_AWS === null,
  async fn() {
    const lines = [
      CONSOLE_FAILURE,
      STOP_LOGGING,
      record({
        eventSource: "sts.amazonaws.com",
        eventName: "GetCallerIdentity",
        userAgent: "TruffleHog",
      }),
    ].map((r) => JSON.stringify(r));
    const { alerts } = await linesThroughDetector(
      lines,
      ["--rules", SIGMAHQ_AWS!, "--anomaly", "off"],
    );
    const titles = alerts.map((a) => a.rule.title);
    assert.ok(
      titles.includes("AWS ConsoleLogin Failed Authentication"),
      titles.join(),
    );
    assert.ok(
      titles.includes("AWS CloudTrail Important Change"),
      titles.join(),
    );
    // Matched on userAgent, which the text line carries only in fields.
    assert.ok(
      titles.includes("AWS STS GetCallerIdentity Enumeration Via TruffleHog"),
      titles.join(),
    );
  },
});
