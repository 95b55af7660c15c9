/**
 * Windows EVTX JSON reaches `logsource: product: windows` rules whether it
 * arrives as a JSON object (generator --replay: the payload stays an object)
 * or as a text line (`sentinel-parser --in-format lines`: the payload is the
 * line and the parser's `fields` carry Channel/EventID/Provider).
 */
import assert from "node:assert/strict";
import type {
  Alert,
  EnrichedEvent,
  RawEvent,
} from "../../../stages/shared/contracts/mod.ts";
import { newState, parseRawEvent } from "../../../stages/parser/mod.ts";
import { SigmaDetector } from "../../../stages/detector/sigma/engine.ts";
import { parseMappingDoc } from "../../../stages/detector/sigma/logsource.ts";
import { event, rulesFrom } from "./_helpers.ts";
import { isFile } from "./_run.ts";

const SIGMAHQ_RULE = new URL(
  "../../../../shared/sigmahq/rules/windows/builtin/security/win_security_audit_log_cleared.yml",
  import.meta.url,
);

/** The Security log cleared (1102), as evtx_dump writes it (#attributes). */
const LOG_CLEARED = {
  Event: {
    System: {
      Provider: { "#attributes": { Name: "Microsoft-Windows-Eventlog" } },
      EventID: 1102,
      Level: 4,
      TimeCreated: {
        "#attributes": { SystemTime: "2026-11-24T10:00:00.000Z" },
      },
      EventRecordID: 42,
      Channel: "Security",
      Computer: "dc01.corp.example",
    },
    UserData: {
      LogFileCleared: { SubjectUserName: "mallory", SubjectDomainName: "CORP" },
    },
  },
};

/** A Sysmon process creation, as xmltodict writes it (@Name). */
const SYSMON_WHOAMI = {
  Event: {
    System: {
      Provider: { "@Name": "Microsoft-Windows-Sysmon" },
      EventID: 1,
      Channel: "Microsoft-Windows-Sysmon/Operational",
      Computer: "ws-01",
      TimeCreated: { "@SystemTime": "2026-11-24T10:00:01.000Z" },
    },
    EventData: {
      Data: [
        { "@Name": "Image", "#text": "C:\\Windows\\System32\\whoami.exe" },
        { "@Name": "CommandLine", "#text": "whoami /all" },
        { "@Name": "User", "#text": "CORP\\bob" },
      ],
    },
  },
};

const WHOAMI_RULE = `title: Whoami Run
id: 60000000-0000-4000-8000-000000000001
logsource: { product: windows, category: process_creation }
detection:
  sel: { Image|endswith: '\\whoami.exe' }
  condition: sel
level: medium
`;

function parsed(payload: string | Record<string, unknown>): EnrichedEvent {
  const raw: RawEvent = {
    record: "raw_event",
    event_id: "00000000-0000-4000-8000-000000000001",
    received_at: "2026-11-24T10:00:05.000Z",
    tenant: "default",
    source_name: "evtx.jsonl",
    transport: "file",
    ingest_node: "test",
    payload,
  } as RawEvent;
  const out = parseRawEvent(raw, newState());
  assert.equal(out.record, "enriched_event", JSON.stringify(out));
  return out as EnrichedEvent;
}

function titles(ruleText: string, ev: EnrichedEvent): string[] {
  const set = rulesFrom(ruleText);
  assert.deepEqual(set.errors, []);
  const det = new SigmaDetector(set, { now: () => 0 });
  const out: Alert[] = [];
  det.observe(ev, (a) => out.push(a));
  return out.map((a) => a.rule.title);
}

const available = isFile(SIGMAHQ_RULE);

Deno.test({
  name: available
    ? "windows routing: SigmaHQ 'Security Eventlog Cleared' alerts on an EVTX JSON line and on the same event as an object"
    : "windows routing: IGNORED because ../shared/sigmahq is not beside the repo",
  ignore: !available,
  async fn() {
    const rule = await Deno.readTextFile(SIGMAHQ_RULE);
    const line = parsed(JSON.stringify(LOG_CLEARED));
    assert.equal(typeof line.payload, "string"); // what --in-format lines gives
    assert.deepEqual(titles(rule, line), ["Security Eventlog Cleared"]);
    const object = parsed(LOG_CLEARED);
    assert.deepEqual(titles(rule, object), ["Security Eventlog Cleared"]);
  },
});

Deno.test("windows routing: a Sysmon EVTX JSON line reaches process_creation rules through the parser's fields", () => {
  const line = parsed(JSON.stringify(SYSMON_WHOAMI));
  assert.equal(typeof line.payload, "string");
  assert.deepEqual(titles(WHOAMI_RULE, line), ["Whoami Run"]);
  assert.deepEqual(titles(WHOAMI_RULE, parsed(SYSMON_WHOAMI)), ["Whoami Run"]);
});

Deno.test("windows routing: Channel and EventID in fields alone route; another channel or event id does not", () => {
  const sysmon = (id: string, channel: string) =>
    event({
      format: "windows_evtx",
      fields: {
        EventID: id,
        Channel: channel,
        Image: "C:\\Windows\\System32\\whoami.exe",
      },
      payload: "opaque line",
    });
  const ch = "Microsoft-Windows-Sysmon/Operational";
  assert.deepEqual(titles(WHOAMI_RULE, sysmon("1", ch)), ["Whoami Run"]);
  assert.deepEqual(titles(WHOAMI_RULE, sysmon("3", ch)), []); // network_connection
  assert.deepEqual(titles(WHOAMI_RULE, sysmon("1", "Application")), []);
});

Deno.test("windows routing: a parsed Windows event is product windows even with no Channel", () => {
  const rule = `title: Any Windows
id: 60000000-0000-4000-8000-000000000002
logsource: { product: windows }
detection:
  sel: { EventID: 4625 }
  condition: sel
level: low
`;
  const ev = event({
    format: "windows_evtx",
    fields: { EventID: "4625" },
    payload: "opaque line",
  });
  assert.deepEqual(titles(rule, ev), ["Any Windows"]);
  // A syslog event with an EventID-like field is not Windows.
  const linux = event({ format: "rfc3164", fields: { EventID: "4625" } });
  assert.deepEqual(titles(rule, linux), []);
});

Deno.test("windows routing: a user's field: routing key reads the rule field through its mapping; an empty one is refused", () => {
  const rule = `title: Firewall Deny
id: 60000000-0000-4000-8000-000000000003
logsource: { category: vendor_fw }
detection:
  sel: { Verdict: deny }
  condition: sel
level: low
---
logsources:
  - when: { "field:Verdict": "*" }
    category: vendor_fw
fieldmappings:
  Verdict: [payload.fw.verdict]
`;
  const ev = event({ payload: { fw: { verdict: "deny" } } });
  assert.deepEqual(titles(rule, ev), ["Firewall Deny"]);
  assert.deepEqual(titles(rule, event({ payload: { other: 1 } })), []);
  assert.throws(
    () => parseMappingDoc({ logsources: [{ when: { "field:": "x" } }] }),
    /logsources\[0\]\.when\.field:.*needs a rule field name/,
  );
});
