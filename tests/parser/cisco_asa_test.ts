/**
 * Cisco ASA / FTD syslog. Before, an ASA message was a syslog line with
 * nothing read from it (`other`/`unclassified`, no addresses), so denied
 * traffic never reached the pack's firewall rules and a port scan through
 * the ASA went unseen.
 */
import assert from "node:assert/strict";
import type { EnrichedEvent } from "../../stages/shared/contracts/mod.ts";
import { validateRecord } from "../../stages/shared/contracts/mod.ts";
import {
  linesThroughDetector,
  parseOne,
  pick,
  RECEIVED_AT,
} from "./_helpers.ts";

interface Case {
  name: string;
  line: string;
  expect: Record<string, unknown>;
}

const CASES: Case[] = [
  {
    name: "106023 deny by access-group, ASA timestamp with year after ': '",
    line:
      '<164>Nov 24 2026 10:00:00 fw01 : %ASA-4-106023: Deny tcp src outside:203.0.113.5/51234 dst inside:10.0.0.5/22 by access-group "outside_access_in" [0x0, 0x0]',
    expect: {
      format: "cisco_asa",
      ts: "2026-11-24T10:00:00.000Z",
      category: "network",
      action: "connection",
      outcome: "failure",
      severity: "low",
      host: { name: "fw01" },
      source: { ip: "203.0.113.5", port: 51234, ip_class: "public" },
      destination: { ip: "10.0.0.5", port: 22, ip_class: "private" },
      network: { transport: "tcp" },
      fields: {
        "asa.message_id": "106023",
        "asa.level": "4",
        "asa.acl": "outside_access_in",
        "asa.source_interface": "outside",
        "asa.destination_interface": "inside",
      },
    },
  },
  {
    name: "302013 built inbound: initiator first",
    line:
      "Nov 24 10:00:01 fw01 %ASA-6-302013: Built inbound TCP connection 123456 for outside:203.0.113.5/51235 (203.0.113.5/51235) to inside:10.0.0.5/443 (198.51.100.5/443)",
    expect: {
      action: "connection",
      outcome: "success",
      severity: "informational",
      source: { ip: "203.0.113.5", port: 51235 },
      destination: { ip: "10.0.0.5", port: 443 },
      network: { transport: "tcp", direction: "inbound" },
      fields: { "asa.connection_id": "123456" },
    },
  },
  {
    name:
      "302013 built outbound: the ASA lists the responder first, so the endpoints turn round",
    line:
      "Nov 24 10:00:02 fw01 %ASA-6-302013: Built outbound TCP connection 123457 for outside:198.51.100.20/443 (198.51.100.20/443) to inside:10.0.0.9/50000 (203.0.113.1/50000)",
    expect: {
      source: { ip: "10.0.0.9", port: 50000 },
      destination: { ip: "198.51.100.20", port: 443 },
      network: { direction: "outbound" },
      fields: {
        "asa.source_interface": "inside",
        "asa.destination_interface": "outside",
      },
    },
  },
  {
    name: "302014 teardown: connection_end with the bytes",
    line:
      "Nov 24 10:00:03 fw01 %ASA-6-302014: Teardown TCP connection 123457 for outside:198.51.100.20/443 to inside:10.0.0.9/50000 duration 0:00:30 bytes 123456 TCP FINs",
    expect: {
      action: "connection_end",
      network: { bytes: 123456 },
      fields: { "asa.duration": "0:00:30" },
    },
  },
  {
    name: "106100 access-list denied, no syslog timestamp (time of receipt)",
    line:
      "<166>%ASA-6-106100: access-list outside_access_in denied tcp outside/203.0.113.7(40000) -> inside/10.0.0.5(3389) hit-cnt 1 first hit [0x91c26a3a, 0x0]",
    expect: {
      ts: RECEIVED_AT,
      ts_source: "received_at",
      outcome: "failure",
      source: { ip: "203.0.113.7", port: 40000 },
      destination: { ip: "10.0.0.5", port: 3389 },
      fields: { "asa.acl": "outside_access_in" },
    },
  },
  {
    name:
      "106001 inbound SYN denied: low, though the ASA rates it critical (level 2)",
    line:
      "Nov 24 10:00:05 fw01 %ASA-2-106001: Inbound TCP connection denied from 203.0.113.8/40001 to 10.0.0.5/23 flags SYN  on interface outside",
    expect: {
      outcome: "failure",
      severity: "low",
      source: { ip: "203.0.113.8", port: 40001 },
      destination: { ip: "10.0.0.5", port: 23 },
      fields: { "asa.level": "2", "asa.source_interface": "outside" },
    },
  },
  {
    name: "106014 icmp denied (no ports)",
    line:
      "Nov 24 10:00:06 fw01 %ASA-3-106014: Deny inbound icmp src outside:203.0.113.9 dst inside:10.0.0.5 (type 8, code 0)",
    expect: {
      network: { transport: "icmp" },
      source: { ip: "203.0.113.9" },
      destination: { ip: "10.0.0.5" },
    },
  },
  {
    name: "FTD 106023 over IPv6",
    line:
      'Nov 24 10:00:11 fw01 %FTD-4-106023: Deny udp src outside:2001:db8::5/5353 dst inside:2001:db8:1::9/53 by access-group "CSM_FW_ACL_" [0x0, 0x0]',
    expect: {
      source: { ip: "2001:db8::5", port: 5353 },
      destination: { ip: "2001:db8:1::9", port: 53 },
      network: { transport: "udp" },
    },
  },
  {
    name: "113005 AAA authentication rejected: user and address",
    line:
      "Nov 24 10:00:07 fw01 %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.0.0.2 : user = admin : user IP = 203.0.113.10",
    expect: {
      category: "auth",
      action: "login",
      outcome: "failure",
      severity: "low",
      user: { name: "admin" },
      source: { ip: "203.0.113.10" },
      fields: { "asa.reason": "AAA failure", "asa.aaa_server": "10.0.0.2" },
    },
  },
  {
    name: "605004 login to the device denied",
    line:
      'Nov 24 10:00:08 fw01 %ASA-6-605004: Login denied from 203.0.113.11/52000 to outside:198.51.100.5/ssh for user "enable_15"',
    expect: {
      action: "login",
      outcome: "failure",
      user: { name: "enable_15" },
      source: { ip: "203.0.113.11", port: 52000 },
      destination: { ip: "198.51.100.5" },
      fields: { "asa.service": "ssh" },
    },
  },
  {
    name: "716039 WebVPN authentication rejected",
    line:
      "Nov 24 10:00:09 fw01 %ASA-4-716039: Group <VPN-Users> User <alice> IP <203.0.113.12> Authentication: rejected, Session Type: WebVPN.",
    expect: {
      outcome: "failure",
      user: { name: "alice" },
      source: { ip: "203.0.113.12" },
      fields: { "asa.group": "VPN-Users" },
    },
  },
  {
    name: "611102 user authentication failed",
    line:
      "Nov 24 10:00:10 fw01 %ASA-6-611102: User authentication failed: IP address: 203.0.113.13, Uname: bob",
    expect: {
      outcome: "failure",
      user: { name: "bob" },
      source: { ip: "203.0.113.13" },
    },
  },
  {
    name:
      "ASA timestamp without device-id (`…19:12:37: %ASA`), Elastic's sample form",
    line:
      '<166>Jan 13 2021 19:12:37: %ASA-4-106023: Deny tcp src dmz:10.1.2.30/63016 dst outside:192.0.0.8/53 by access-group "acl_dmz" [0x0, 0x0]',
    expect: {
      format: "cisco_asa",
      ts: "2021-01-13T19:12:37.000Z",
      outcome: "failure",
      source: { ip: "10.1.2.30", port: 63016 },
      destination: { ip: "192.0.0.8", port: 53 },
    },
  },
  {
    name: "a zone after the timestamp (`09:34:34 EDT: %ASA-session-5-106100`)",
    line:
      "<166>Apr 15 2014 09:34:34 EDT: %ASA-session-5-106100: access-list acl_in permitted tcp inside/10.0.0.16(2241) -> outside/192.0.0.99(2000) hit-cnt 1 first hit [0x71a87d94, 0x0]",
    expect: {
      format: "cisco_asa",
      outcome: "success",
      source: { ip: "10.0.0.16", port: 2241 },
      destination: { ip: "192.0.0.99", port: 2000 },
    },
  },
  {
    name: "the MSG of an RFC 5424 line",
    line:
      '<164>1 2026-11-24T10:00:00.123Z asa01 - - - - %ASA-4-106023: Deny tcp src outside:203.0.113.5/51234 dst inside:10.0.0.5/22 by access-group "x" [0x0, 0x0]',
    expect: {
      format: "cisco_asa",
      ts: "2026-11-24T10:00:00.123Z",
      host: { name: "asa01" },
      source: { ip: "203.0.113.5", port: 51234 },
      destination: { ip: "10.0.0.5", port: 22 },
    },
  },
  {
    name:
      "identity firewall: the user right after the mapped address of a built connection",
    line:
      "Nov 24 10:00:00 fw01 %ASA-6-302013: Built inbound TCP connection 9 for internet:10.2.3.4/49926 (1.2.3.4/49926)(LOCAL\\username) to vlan-42:10.0.0.5/443 (10.0.0.5/443)",
    expect: {
      user: { name: "username", domain: "LOCAL" },
      source: { ip: "10.2.3.4", port: 49926 },
      destination: { ip: "10.0.0.5", port: 443 },
    },
  },
  {
    name: "identity firewall: the user right after a denied source's port",
    line:
      'Nov 24 10:00:00 fw01 %ASA-4-106023: Deny tcp src outside:203.0.113.5/51234(LOCAL\\eve) dst inside:10.0.0.5/22 by access-group "x" [0x0, 0x0]',
    expect: {
      outcome: "failure",
      severity: "low",
      user: { name: "eve", domain: "LOCAL" },
      source: { ip: "203.0.113.5", port: 51234 },
      destination: { ip: "10.0.0.5", port: 22 },
    },
  },
  {
    name:
      "teardown of an outbound connection: the inside client (higher port) is the source, as in its Built message",
    line:
      "Nov 24 10:00:00 fw01 %ASA-6-302014: Teardown TCP connection 10 for outside:198.51.100.20/443 to inside:10.0.0.5/51001(LOCAL\\bob) duration 0:00:10 bytes 999 TCP FINs",
    expect: {
      action: "connection_end",
      user: { name: "bob" },
      source: { ip: "10.0.0.5", port: 51001 },
      destination: { ip: "198.51.100.20", port: 443 },
      network: { bytes: 999 },
      fields: {
        "asa.source_interface": "inside",
        "asa.destination_interface": "outside",
      },
    },
  },
  {
    name:
      "106023 for a protocol by number and an icmp type without parentheses",
    line:
      'Nov 24 10:00:00 fw01 %ASA-4-106023: Deny protocol 47 src outside:203.0.113.5 dst inside:10.0.0.5 by access-group "x" [0x0, 0x0]',
    expect: {
      outcome: "failure",
      network: { transport: "gre" },
      source: { ip: "203.0.113.5" },
      destination: { ip: "10.0.0.5" },
    },
  },
  {
    name: "any other message: the id as action, the ASA's level as severity",
    line:
      "Nov 24 10:00:12 fw01 %ASA-5-111008: User 'enable_15' executed the 'write memory' command.",
    expect: {
      category: "other",
      action: "asa_111008",
      severity: "low",
      fields: { "asa.message_id": "111008" },
    },
  },
];

for (const c of CASES) {
  Deno.test(`cisco asa: ${c.name}`, () => {
    const r = parseOne(c.line);
    assert.equal(validateRecord(r), null, JSON.stringify(r));
    assert.equal(r.record, "enriched_event", JSON.stringify(r));
    assert.deepEqual(pick(r, c.expect), c.expect);
    assert.equal((r as EnrichedEvent).payload, c.line);
  });
}

Deno.test("cisco asa: a damaged message keeps its header's facts and classifies nothing it cannot read", () => {
  for (
    const line of [
      "Nov 24 10:00:00 fw01 %ASA-4-106023: Deny tcp src outside:",
      "Nov 24 10:00:00 fw01 %ASA-6-302013: Built inbound TCP connection",
      "%ASA-9-106023: level out of range",
    ]
  ) {
    const r = parseOne(line);
    assert.equal(validateRecord(r), null, JSON.stringify(r));
  }
  const cut = parseOne(
    "Nov 24 10:00:00 fw01 %ASA-4-106023: Deny tcp src outside:",
  ) as EnrichedEvent;
  assert.equal(cut.action, "asa_106023");
  assert.equal(cut.source, undefined);
});

Deno.test("ASA syslog | sentinel-parser --in-format lines | sentinel-detector: 25 ports denied to one scanner raise the pack's Port Scan", async () => {
  const lines = Array.from(
    { length: 25 },
    (_, i) =>
      `Nov 24 10:00:${
        String(i).padStart(2, "0")
      } fw01 %ASA-4-106023: Deny tcp src outside:203.0.113.66/${
        40000 + i
      } dst inside:10.0.0.5/${
        1000 + i
      } by access-group "outside_access_in" [0x0, 0x0]`,
  );
  const { alerts } = await linesThroughDetector(
    lines,
    ["--rules", "./sigma"],
  );
  const scan = alerts.filter((a) => a.rule.title === "Port Scan");
  assert.equal(scan.length, 1, alerts.map((a) => a.rule.title).join());
  assert.deepEqual(scan[0].entity, {
    type: "source.ip",
    value: "203.0.113.66",
  });
});
