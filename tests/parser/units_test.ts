/** IP validation and class, timestamp forms, and the CSV indicator lookup. */
import assert from "node:assert/strict";
import {
  canonicalIp,
  IndicatorLookup,
  ipClass,
  parseTimestamp,
} from "../../stages/parser/mod.ts";
import { parseOne } from "./_helpers.ts";
import type { EnrichedEvent } from "../../stages/shared/contracts/mod.ts";

Deno.test("canonicalIp validates v4/v6 and returns canonical text", () => {
  const cases: [string, string | null][] = [
    ["192.168.1.10", "192.168.1.10"],
    ["010.000.000.001", "10.0.0.1"],
    ["256.1.1.1", null],
    ["1.2.3", null],
    ["1.2.3.4.5", null],
    ["2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["[2001:db8::1]", "2001:db8::1"],
    ["fe80::1%eth0", "fe80::1"],
    ["::", "::"],
    ["::1", "::1"],
    ["::ffff:10.1.2.3", "10.1.2.3"],
    ["::ffff:a01:203", "10.1.2.3"],
    ["2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"],
    ["2001:db8::1::2", null],
    ["12345::", null],
    ["hostname.example", null],
    ["-", null],
  ];
  for (const [input, want] of cases) {
    assert.equal(canonicalIp(input), want, input);
  }
});

Deno.test("ipClass covers private, loopback, link-local, multicast, reserved, public", () => {
  const cases: [string, string][] = [
    ["10.1.2.3", "private"],
    ["172.20.0.1", "private"],
    ["192.168.0.1", "private"],
    ["127.0.0.1", "loopback"],
    ["169.254.1.1", "link_local"],
    ["224.0.0.251", "multicast"],
    ["0.0.0.0", "reserved"],
    ["240.0.0.1", "reserved"],
    ["8.8.8.8", "public"],
    ["203.0.113.9", "public"],
    ["::1", "loopback"],
    ["fd00::1", "private"],
    ["fe80::1", "link_local"],
    ["ff02::1", "multicast"],
    ["2606:4700::1111", "public"],
    ["::ffff:10.0.0.1", "private"],
    ["::", "reserved"],
  ];
  for (const [ip, want] of cases) {
    assert.equal(ipClass(canonicalIp(ip)!), want, ip);
  }
});

Deno.test("parseTimestamp reads every listed form into UTC ms", () => {
  const ref = Date.UTC(2026, 11, 1);
  const want = Date.UTC(2026, 10, 24, 10, 0, 0, 123);
  const cases: [unknown, number][] = [
    ["2026-11-24T10:00:00.123Z", want],
    ["2026-11-24T10:00:00.123456789Z", want],
    ["2026-11-24T15:45:00.123+05:45", want],
    ["2026-11-24T06:30:00.123-0330", want],
    ["2026-11-24 10:00:00.123", want],
    ["Nov 24 10:00:00.123", want],
    ["Tue, 24 Nov 2026 11:00:00 +0100", want - 123],
    ["24 Nov 2026 10:00:00 GMT", want - 123],
    ["24/Nov/2026:11:00:00 +0100", want - 123],
    ["Tue Nov 24 10:00:00 2026", want - 123],
    ["Nov 24 2026 11:00:00.123 +0100", want],
    ["Nov 24 2026 05:00:00.123 EST", want],
    ["Nov 24 2026 02:00:00.123 pst", want],
    ["Nov 24 2026 11:00:00.123 GMT+01:00", want],
    ["Nov 24 2026 08:00:00.123 UTC-2", want],
    ["Nov 24 11:00:00.123 +01:00", want],
    ["Tue, 24 Nov 2026 04:00:00 CST", want - 123],
    ["2026-11-24 05:00:00.123 EST", want],
    [want / 1000, want],
    [want, want],
    [want * 1000, want],
    [want * 1e6, want],
    [String(want), want],
  ];
  for (const [input, ms] of cases) {
    assert.equal(parseTimestamp(input, ref), ms, String(input));
  }
  assert.ok(Number.isNaN(parseTimestamp("yesterday", ref)));
  // Days that do not exist are no time (Date.UTC would roll them over).
  for (
    const bad of [
      "2026-02-30T10:00:00Z",
      "2026-02-29",
      "2026-04-31 10:00:00",
      "Feb 30 2026 10:00:00",
      "30/Feb/2026:10:00:00 +0000",
      "Mon Feb 30 10:00:00 2026",
      "Mon, 31 Jun 2026 10:00:00 GMT",
    ]
  ) assert.ok(Number.isNaN(parseTimestamp(bad, ref)), bad);
  assert.equal(
    parseTimestamp("2028-02-29T10:00:00Z", ref),
    Date.UTC(2028, 1, 29, 10),
  );
  // Unknown or malformed zones leave no time rather than UTC.
  for (const bad of ["IST", "CEST", "+25", "+01:", "PST junk", "GMT+xx"]) {
    const t = `Nov 24 2026 10:00:00 ${bad}`;
    assert.ok(Number.isNaN(parseTimestamp(t, ref)), t);
  }
  assert.ok(Number.isNaN(parseTimestamp("2026-13-01T00:00:00Z", ref)));
  assert.ok(Number.isNaN(parseTimestamp(-5, ref)));
});

Deno.test("lookup CSV enriches source IP by CIDR, user name-free IPs exactly, IPv6 CIDR and DNS suffix", async () => {
  const text = await Deno.readTextFile(
    new URL("../fixtures/parser/assets.csv", import.meta.url),
  );
  const lookup = new IndicatorLookup().addCsv(text, "assets.csv");
  assert.equal(lookup.size, 4);
  const a = parseOne(
    "Nov 24 10:00:00 web-01 sshd[1]: Failed password for root from 203.0.113.9 port 22 ssh2",
    {},
    { lookup },
  ) as EnrichedEvent;
  assert.deepEqual(a.enrichment, { "source.threat.list": "known-scanners" });
  const b = parseOne("src=10.0.0.7 dst=2001:db8:bad::5 dpt=22", {}, {
    lookup,
  }) as EnrichedEvent;
  assert.deepEqual(b.enrichment, {
    "source.asset.owner": "alice",
    "destination.threat.list": "ipv6-scanners",
  });
  const c = parseOne(
    {
      "@timestamp": "2026-11-24T10:00:00Z",
      event: { category: "dns" },
      dns: { question: { name: "abc.def.tunnel.example" } },
    },
    {},
    { lookup },
  ) as EnrichedEvent;
  assert.deepEqual(c.enrichment, { "dns.question.threat.list": "dns-tunnel" });
  const none = parseOne("src=8.8.8.8", {}, { lookup }) as EnrichedEvent;
  assert.equal(none.enrichment, undefined);
});

Deno.test("lookup CSV errors name the file and line", () => {
  assert.throws(
    () => new IndicatorLookup().addCsv("ip,owner\n1.2.3.4,x", "a.csv"),
    /a.csv line 1: expected a header/,
  );
  assert.throws(
    () =>
      new IndicatorLookup().addCsv("indicator,owner\n10.0.0.0/40,x", "b.csv"),
    /b.csv line 2: bad CIDR '10.0.0.0\/40'/,
  );
});
