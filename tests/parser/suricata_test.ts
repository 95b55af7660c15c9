/**
 * Suricata EVE JSON. Before, every EVE record was generic JSON: a network
 * `connection` whatever its type, so a DNS query never reached the pack's
 * `category: dns` rules (a tunnelling label went unseen), an IDS alert kept
 * neither its severity nor a name for what it is, and HTTP, file and flow
 * details were only strings in `fields`.
 */
import assert from "node:assert/strict";
import type { EnrichedEvent } from "../../stages/shared/contracts/mod.ts";
import { validateRecord } from "../../stages/shared/contracts/mod.ts";
import { linesThroughDetector, parseOne, pick } from "./_helpers.ts";

/** The fields every EVE record carries (a flow between two endpoints). */
function eve(
  type: string,
  extra: Record<string, unknown>,
  ts = "2026-11-24T10:00:00.123456+0000",
): Record<string, unknown> {
  return {
    timestamp: ts,
    flow_id: 1719274412390210,
    in_iface: "eth1",
    event_type: type,
    src_ip: "10.0.0.8",
    src_port: 53211,
    dest_ip: "198.51.100.20",
    dest_port: 53,
    proto: "UDP",
    host: "ids-01",
    ...extra,
  };
}

interface Case {
  name: string;
  payload: Record<string, unknown>;
  expect: Record<string, unknown>;
}

const CASES: Case[] = [
  {
    name: "alert: ids_alert, signature severity 1 → high, the signature kept",
    payload: eve("alert", {
      src_ip: "203.0.113.9",
      src_port: 51234,
      dest_ip: "10.0.0.5",
      dest_port: 22,
      proto: "TCP",
      app_proto: "ssh",
      alert: {
        action: "allowed",
        gid: 1,
        signature_id: 2001219,
        rev: 20,
        signature: "ET SCAN Potential SSH Scan",
        category: "Attempted Information Leak",
        severity: 1,
      },
    }),
    expect: {
      format: "suricata",
      ts: "2026-11-24T10:00:00.123Z",
      ts_source: "event",
      category: "network",
      action: "ids_alert",
      outcome: "unknown",
      severity: "high",
      host: { name: "ids-01" },
      source: { ip: "203.0.113.9", port: 51234 },
      destination: { ip: "10.0.0.5", port: 22 },
      network: { transport: "tcp", protocol: "ssh" },
      fields: {
        event_type: "alert",
        "alert.signature": "ET SCAN Potential SSH Scan",
        "alert.signature_id": "2001219",
        "alert.category": "Attempted Information Leak",
      },
    },
  },
  {
    name: "alert blocked (IPS mode), severity 3 → low: outcome failure",
    payload: eve("alert", {
      alert: { action: "blocked", signature: "ET POLICY x", severity: 3 },
    }),
    expect: { action: "ids_alert", outcome: "failure", severity: "low" },
  },
  {
    name: "dns query (EVE v2)",
    payload: eve("dns", {
      dns: {
        type: "query",
        id: 4242,
        rrname: "AAAA.Tunnel.Example.",
        rrtype: "TXT",
        tx_id: 0,
      },
    }),
    expect: {
      category: "dns",
      action: "dns_query",
      dns: { question: { name: "aaaa.tunnel.example", type: "TXT" } },
      network: { transport: "udp", protocol: "dns" },
      fields: { "dns.id": "4242" },
    },
  },
  {
    name: "dns answer (EVE v2, detailed answers): NXDOMAIN is a failure",
    payload: eve("dns", {
      dns: {
        type: "answer",
        id: 4242,
        rrname: "nosuch.example",
        rrtype: "A",
        rcode: "NXDOMAIN",
      },
    }),
    expect: {
      action: "dns_answer",
      outcome: "failure",
      dns: { question: { name: "nosuch.example" }, response_code: "NXDOMAIN" },
    },
  },
  {
    name:
      "dns answer: sent by the resolver, so the endpoints turn round: the client is the source, as in its query",
    payload: eve("dns", {
      src_ip: "8.8.8.8",
      src_port: 53,
      dest_ip: "10.0.1.10",
      dest_port: 50000,
      dns: {
        type: "answer",
        rrname: "example.com",
        rrtype: "A",
        rcode: "NOERROR",
      },
    }),
    expect: {
      action: "dns_answer",
      source: { ip: "10.0.1.10", port: 50000 },
      destination: { ip: "8.8.8.8", port: 53 },
    },
  },
  {
    name: "dns answer (EVE v2, grouped answers)",
    payload: eve("dns", {
      dns: {
        type: "answer",
        rrname: "example.com",
        rrtype: "A",
        rcode: "NOERROR",
        grouped: { A: ["93.184.216.34", "93.184.216.35"] },
      },
    }),
    expect: {
      outcome: "success",
      dns: { answers: ["93.184.216.34", "93.184.216.35"] },
    },
  },
  {
    name: "dns request (EVE v3, Suricata 8: queries[])",
    payload: eve("dns", {
      dns: {
        version: 3,
        type: "request",
        tx_id: 1,
        id: 7,
        queries: [{ rrname: "update.example.org", rrtype: "AAAA" }],
      },
    }),
    expect: {
      action: "dns_query",
      dns: { question: { name: "update.example.org", type: "AAAA" } },
    },
  },
  {
    name: "http: the URL from hostname, port and url; method, status, agent",
    payload: eve("http", {
      dest_port: 8080,
      proto: "TCP",
      app_proto: "http",
      http: {
        hostname: "evil.example",
        http_port: 8080,
        url: "/payload.bin?id=7",
        http_user_agent: "curl/8.0",
        http_method: "GET",
        http_refer: "http://portal.example/",
        protocol: "HTTP/1.1",
        status: 404,
        length: 153,
      },
    }),
    expect: {
      category: "web",
      action: "http_request",
      outcome: "failure",
      url: {
        original: "http://evil.example:8080/payload.bin?id=7",
        domain: "evil.example",
        path: "/payload.bin",
        query: "id=7",
      },
      http: {
        request: { method: "GET", referrer: "http://portal.example/" },
        response: { status_code: 404, bytes: 153 },
        user_agent: "curl/8.0",
      },
    },
  },
  {
    name: "flow: bytes and packets each way",
    payload: eve("flow", {
      proto: "TCP",
      app_proto: "tls",
      dest_port: 443,
      flow: {
        pkts_toserver: 10,
        pkts_toclient: 8,
        bytes_toserver: 250000,
        bytes_toclient: 1000,
        start: "2026-11-24T09:59:00.000000+0000",
        end: "2026-11-24T10:00:02.000000+0000",
        state: "closed",
      },
    }),
    expect: {
      category: "network",
      action: "connection",
      source: { bytes: 250000, packets: 10 },
      destination: { bytes: 1000, packets: 8, port: 443 },
      network: { bytes: 251000, protocol: "tls" },
      fields: { "flow.state": "closed" },
    },
  },
  {
    name: "fileinfo: the file and its hashes",
    payload: eve("fileinfo", {
      proto: "TCP",
      app_proto: "http",
      fileinfo: {
        filename: "/downloads/invoice.exe",
        magic: "PE32 executable",
        md5: "44d88612fea8a8f36de82e1278abb02f",
        sha256:
          "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
        size: 68,
        stored: false,
      },
    }),
    expect: {
      category: "file",
      action: "file_transfer",
      file: {
        path: "/downloads/invoice.exe",
        name: "invoice.exe",
        hash: {
          md5: "44d88612fea8a8f36de82e1278abb02f",
          sha256:
            "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
        },
      },
      fields: { "fileinfo.magic": "PE32 executable" },
    },
  },
  {
    name: "tls: the event type as action, its fields kept",
    payload: eve("tls", {
      proto: "TCP",
      dest_port: 443,
      tls: { sni: "c2.example", version: "TLS 1.3", ja3s: { hash: "abc" } },
    }),
    expect: {
      category: "network",
      action: "tls",
      fields: {
        "tls.sni": "c2.example",
        "tls.version": "TLS 1.3",
        "tls.ja3s.hash": "abc",
      },
    },
  },
];

for (const c of CASES) {
  Deno.test(`suricata: ${c.name}`, () => {
    const r = parseOne(c.payload);
    assert.equal(validateRecord(r), null, JSON.stringify(r));
    assert.equal(r.record, "enriched_event", JSON.stringify(r));
    assert.deepEqual(pick(r, c.expect), c.expect);
    assert.deepEqual((r as EnrichedEvent).payload, c.payload);
  });
}

Deno.test("suricata: an application's own JSON with event_type, timestamp and src_ip (no numeric flow_id) stays generic JSON, user and outcome kept", () => {
  const r = parseOne({
    timestamp: "2026-11-24T10:00:00Z",
    event_type: "login",
    src_ip: "203.0.113.9",
    user: "bob",
    outcome: "failure",
  }) as EnrichedEvent;
  assert.equal(r.format, "json");
  assert.equal(r.user?.name, "bob");
  assert.equal(r.outcome, "failure");
  assert.equal(parseOne({ event_type: "login" }).record, "enriched_event");
});

Deno.test("suricata: an empty event_type is not EVE (a schema-valid generic event, not an empty action)", () => {
  const r = parseOne({
    timestamp: "2026-11-24T10:00:00Z",
    flow_id: 1,
    event_type: "",
    src_ip: "10.0.0.5",
  });
  assert.equal(validateRecord(r), null, JSON.stringify(r));
  assert.equal((r as EnrichedEvent).format, "json");
});

Deno.test("eve.json: 35 clients each resolving a long name through one resolver (query and answer logged) raise no tunnelling alert, and a long label alerts once per lookup, on the client", async () => {
  const lines: string[] = [];
  for (let i = 0; i < 35; i++) {
    const client = `10.0.1.${10 + i}`;
    const name = `service-${i}-abcdefghijklmnop.eu-west-1.elb.example.com`;
    const ts = `2026-11-24T10:00:${String(i).padStart(2, "0")}.000000+0000`;
    lines.push(JSON.stringify(eve("dns", {
      src_ip: client,
      dest_ip: "8.8.8.8",
      dns: { type: "query", id: i, rrname: name, rrtype: "A" },
    }, ts)));
    lines.push(JSON.stringify(eve("dns", {
      src_ip: "8.8.8.8",
      src_port: 53,
      dest_ip: client,
      dest_port: 53211,
      dns: {
        type: "answer",
        id: i,
        rrname: name,
        rrtype: "A",
        rcode: "NOERROR",
      },
    }, ts)));
  }
  const long = `${"q".repeat(45)}.t.example`;
  for (const type of ["query", "answer"]) {
    lines.push(JSON.stringify(eve("dns", {
      src_ip: type === "query" ? "10.0.2.2" : "8.8.8.8",
      dest_ip: type === "query" ? "8.8.8.8" : "10.0.2.2",
      dns: { type, id: 99, rrname: long, rrtype: "A", rcode: "NOERROR" },
    }, "2026-11-24T10:01:00.000000+0000")));
  }
  const { alerts } = await linesThroughDetector(
    lines,
    ["--rules", "./sigma", "--anomaly", "off"],
  );
  assert.deepEqual(alerts.map((a) => a.rule.title), [
    "DNS Query With Very Long Label",
  ]);
  assert.deepEqual(alerts[0].entity, { type: "source.ip", value: "10.0.2.2" });
  assert.equal(alerts[0].evidence.count, 1);
});

Deno.test("eve.json | sentinel-parser --in-format lines | sentinel-detector: a tunnelling DNS label and a port scan seen by Suricata raise the pack's alerts", async () => {
  const label = "a".repeat(48);
  const lines = [
    eve("dns", {
      dns: {
        type: "query",
        id: 1,
        rrname: `${label}.t.example`,
        rrtype: "TXT",
      },
    }),
    ...Array.from({ length: 25 }, (_, i) =>
      eve("flow", {
        src_ip: "203.0.113.77",
        src_port: 40000 + i,
        dest_ip: "10.0.0.5",
        dest_port: 1000 + i,
        proto: "TCP",
        flow: { pkts_toserver: 1, pkts_toclient: 1, state: "closed" },
      }, `2026-11-24T10:00:${String(i).padStart(2, "0")}.000000+0000`)),
  ].map((o) => JSON.stringify(o));
  const { alerts } = await linesThroughDetector(
    lines,
    ["--rules", "./sigma"],
  );
  const titles = alerts.map((a) => a.rule.title);
  assert.ok(titles.includes("DNS Query With Very Long Label"), titles.join());
  assert.ok(titles.includes("Port Scan"), titles.join());
});

Deno.test("eve.json | sentinel-parser | sentinel-detector: Suricata's high and medium severity alerts become alerts of that level; low ones stay events", async () => {
  const alertOf = (severity: number, sid: number) =>
    JSON.stringify(eve("alert", {
      proto: "TCP",
      alert: {
        action: "allowed",
        signature_id: sid,
        signature: `ET TEST sid ${sid}`,
        severity,
      },
    }));
  const { out, alerts } = await linesThroughDetector(
    [alertOf(1, 1001), alertOf(2, 1002), alertOf(3, 1003)],
    ["--rules", "./sigma"],
  );
  assert.deepEqual(
    alerts.map((a) => [a.rule.title, a.severity]).sort(),
    [
      ["Network IDS Alert, High Severity", "high"],
      ["Network IDS Alert, Medium Severity", "medium"],
    ],
  );
  assert.equal(out.filter((r) => r.record === "enriched_event").length, 3);
});
