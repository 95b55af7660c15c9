/**
 * Palo Alto Networks PAN-OS CSV logs (TRAFFIC, THREAT and the other types),
 * after a BSD or IETF syslog header or bare. Before, the CSV was not read at
 * all (`other`/`unclassified`, no addresses), so PAN-OS denies never reached
 * the pack's firewall rules and its threat logs raised nothing.
 */
import assert from "node:assert/strict";
import type { EnrichedEvent } from "../../stages/shared/contracts/mod.ts";
import { validateRecord } from "../../stages/shared/contracts/mod.ts";
import { linesThroughDetector, parseOne, pick } from "./_helpers.ts";

const TRAFFIC_END_IETF =
  "<14>1 2026-11-24T10:00:00.000Z pa-fw01 - - - - 1,2026/11/24 10:00:00,012345678901,TRAFFIC,end,2561,2026/11/24 10:00:00,10.0.0.9,198.51.100.20,203.0.113.1,198.51.100.20,allow-web,corp\\alice,,ssl,vsys1,trust,untrust,ethernet1/2,ethernet1/1,Log,2026/11/24 10:00:00,12345,1,51000,443,40000,443,0x40001c,tcp,allow,5000,1200,3800,20,2026/11/24 09:59:50,10,computer-and-internet-info,0,123,0x0,10.0.0.0-10.255.255.255,United States,0,12,8,tcp-fin";
const TRAFFIC_DENY_BSD =
  "<14>Nov 24 10:00:01 pa-fw01 1,2026/11/24 10:00:01,012345678901,TRAFFIC,deny,2561,2026/11/24 10:00:01,203.0.113.50,10.0.0.5,0.0.0.0,0.0.0.0,deny-all,,,not-applicable,vsys1,untrust,trust,ethernet1/1,,Log,2026/11/24 10:00:01,0,1,40000,3389,0,0,0x0,tcp,deny,60,60,0,1,2026/11/24 10:00:01,0,any,0,124,0x0,United States,10.0.0.0-10.255.255.255,0,1,0,policy-deny";
const THREAT_BARE =
  '1,2026/11/24 10:00:02,012345678901,THREAT,vulnerability,2561,2026/11/24 10:00:02,203.0.113.60,10.0.0.5,0.0.0.0,0.0.0.0,allow-dmz,,,web-browsing,vsys1,untrust,dmz,ethernet1/1,ethernet1/3,Log,2026/11/24 10:00:02,777,1,41000,80,0,0,0x2000,tcp,reset-both,"/cgi-bin/test.cgi?a=1,2",Apache Log4j Remote Code Execution Vulnerability(91991),code-execution,critical,client-to-server,125,0x0,United States,10.0.0.0-10.255.255.255,0,,0,,,0,,,,,,,,0,0,0,0,0,,pa-fw01';
const THREAT_URL =
  '<14>Nov 24 10:00:03 pa-fw01 1,2026/11/24 10:00:03,012345678901,THREAT,url,2561,2026/11/24 10:00:03,10.0.0.9,198.51.100.30,203.0.113.1,198.51.100.30,allow-web,corp\\bob,,web-browsing,vsys1,trust,untrust,ethernet1/2,ethernet1/1,Log,2026/11/24 10:00:03,778,1,52000,80,40001,80,0x40b000,tcp,block-url,"malware.example/payload.exe",(9999),malware,informational,client-to-server,126';
const SYSTEM =
  '<14>Nov 24 10:00:04 pa-fw01 1,2026/11/24 10:00:04,012345678901,SYSTEM,general,0,2026/11/24 10:00:04,,general,,0,0,general,informational,"User admin logged in via Web from 10.0.0.2 using https",127,0x0';

interface Case {
  name: string;
  line: string;
  expect: Record<string, unknown>;
}

const CASES: Case[] = [
  {
    name:
      "TRAFFIC end, allowed, IETF syslog: endpoints, user, app, bytes and packets each way",
    line: TRAFFIC_END_IETF,
    expect: {
      format: "panos",
      ts: "2026-11-24T10:00:00.000Z",
      category: "network",
      action: "connection",
      outcome: "success",
      host: { name: "pa-fw01" },
      user: { name: "alice", domain: "corp" },
      source: { ip: "10.0.0.9", port: 51000, bytes: 1200, packets: 12 },
      destination: {
        ip: "198.51.100.20",
        port: 443,
        bytes: 3800,
        packets: 8,
      },
      network: { transport: "tcp", protocol: "ssl", bytes: 5000 },
      fields: {
        "pan.type": "TRAFFIC",
        "pan.subtype": "end",
        "pan.rule": "allow-web",
        "pan.from_zone": "trust",
        "pan.to_zone": "untrust",
        "pan.nat_source": "203.0.113.1",
        "pan.session_end_reason": "tcp-fin",
      },
    },
  },
  {
    name: "TRAFFIC deny, BSD syslog: a failure, low",
    line: TRAFFIC_DENY_BSD,
    expect: {
      action: "connection",
      outcome: "failure",
      severity: "low",
      source: { ip: "203.0.113.50", port: 40000 },
      destination: { ip: "10.0.0.5", port: 3389 },
      fields: { "pan.action": "deny", "pan.rule": "deny-all" },
    },
  },
  {
    name:
      "THREAT vulnerability, bare CSV, a quoted URL holding a comma: ids_alert, critical",
    line: THREAT_BARE,
    expect: {
      format: "panos",
      category: "network",
      action: "ids_alert",
      outcome: "failure",
      severity: "critical",
      source: { ip: "203.0.113.60", port: 41000 },
      destination: { ip: "10.0.0.5", port: 80 },
      fields: {
        "pan.threat": "Apache Log4j Remote Code Execution Vulnerability(91991)",
        "pan.threat_category": "code-execution",
        "pan.direction": "client-to-server",
        "pan.misc": "/cgi-bin/test.cgi?a=1,2",
        "pan.action": "reset-both",
      },
    },
  },
  {
    name: "THREAT url blocked: web url_filtering, failure, the URL",
    line: THREAT_URL,
    expect: {
      category: "web",
      action: "url_filtering",
      outcome: "failure",
      user: { name: "bob" },
      url: { original: "malware.example/payload.exe" },
      fields: { "pan.threat_category": "malware" },
    },
  },
  {
    name: "SYSTEM: other, the type as action",
    line: SYSTEM,
    expect: {
      format: "panos",
      category: "other",
      action: "panos_system",
      host: { name: "pa-fw01" },
      fields: { "pan.type": "SYSTEM", "pan.subtype": "general" },
    },
  },
];

for (const c of CASES) {
  Deno.test(`panos: ${c.name}`, () => {
    const r = parseOne(c.line);
    assert.equal(validateRecord(r), null, JSON.stringify(r));
    assert.equal(r.record, "enriched_event", JSON.stringify(r));
    assert.deepEqual(pick(r, c.expect), c.expect);
    assert.equal((r as EnrichedEvent).payload, c.line);
  });
}

Deno.test("panos: a TRAFFIC log cut short is a dead letter naming the column count; every shorter cut is valid output", () => {
  const csv = THREAT_BARE;
  const r = parseOne(csv.slice(0, csv.indexOf(",tcp,")));
  assert.equal(r.record, "dead_letter", JSON.stringify(r));
  assert.match((r as { reason: string }).reason, /THREAT log with \d+ columns/);
  for (let cut = 40; cut < csv.length; cut += 7) {
    const out = parseOne(csv.slice(0, cut));
    assert.equal(validateRecord(out), null, `cut at ${cut}`);
  }
});

Deno.test("PAN-OS syslog | sentinel-parser --in-format lines | sentinel-detector: a critical threat log raises the pack's high IDS alert, and denied ports a port scan", async () => {
  const denies = Array.from(
    { length: 25 },
    (_, i) =>
      TRAFFIC_DENY_BSD.replace("40000,3389", `${40000 + i},${2000 + i}`)
        .replaceAll("10:00:01", `10:00:${String(10 + i).padStart(2, "0")}`),
  );
  const { alerts } = await linesThroughDetector(
    [THREAT_BARE, ...denies],
    ["--rules", "./sigma", "--anomaly", "off"],
  );
  const titles = alerts.map((a) => a.rule.title);
  assert.ok(titles.includes("Network IDS Alert, High Severity"), titles.join());
  assert.ok(titles.includes("Port Scan"), titles.join());
});
