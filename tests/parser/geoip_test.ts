/**
 * Offline GeoIP (`sentinel-parser --geoip`): nested WHOIS ranges resolved to
 * the most specific one, IPv4/IPv6 in text and decimal tables, what is and
 * is not looked up, broken tables refused with the line, the bundled table
 * on real addresses, and the flag end to end.
 */
import assert from "node:assert/strict";
import { GeoIpTable, loadGeoIp } from "../../stages/parser/mod.ts";
import type { EnrichedEvent } from "../../stages/shared/contracts/mod.ts";
import { mulberry32 } from "../../stages/shared/random.ts";
import { parseOne, runParserCli } from "./_helpers.ts";

function table(csv: string): GeoIpTable {
  return new GeoIpTable().addCsv(csv, "test.csv").seal();
}

Deno.test("geoip: an assignment nested inside another country's block wins inside it, the block holds around it", () => {
  // As in the WHOIS data: a DE /26 with a BE /32 and a TR /29 carved out.
  const g = table(
    [
      "3.2.35.0,3.2.35.63,DE",
      "3.2.35.40,3.2.35.47,TR",
      "3.2.35.15,3.2.35.15,BE",
      "3.2.35.64,3.2.35.127,FR",
    ].join("\n"),
  );
  const at = (last: number) => g.country(`3.2.35.${last}`);
  assert.equal(at(0), "DE");
  assert.equal(at(14), "DE");
  assert.equal(at(15), "BE");
  assert.equal(at(16), "DE");
  assert.equal(at(39), "DE");
  assert.equal(at(40), "TR");
  assert.equal(at(47), "TR");
  assert.equal(at(48), "DE");
  assert.equal(at(63), "DE");
  assert.equal(at(64), "FR");
  assert.equal(at(127), "FR");
  assert.equal(at(128), undefined, "outside every range");
  assert.equal(g.country("3.2.34.255"), undefined);
});

Deno.test("geoip: flattening agrees with 'most specific range' on random nested and overlapping tables", () => {
  const next = mulberry32(42);
  const rnd = () => next() / 2 ** 32;
  for (let round = 0; round < 200; round++) {
    const ranges: [number, number, string][] = [];
    const n = 1 + Math.floor(rnd() * 8);
    for (let i = 0; i < n; i++) {
      const s = Math.floor(rnd() * 60);
      const e = s + Math.floor(rnd() * 30);
      ranges.push([s, e, ["AA", "BB", "CC", "DD"][Math.floor(rnd() * 4)]]);
    }
    const g = table(ranges.map(([s, e, c]) => `${s},${e},${c}`).join("\n"));
    for (let ip = 0; ip < 100; ip++) {
      // Reference: among the ranges holding ip, the latest start, then the
      // narrowest (nested ranges: the innermost).
      let best: [number, number, string] | undefined;
      for (const r of ranges) {
        if (r[0] > ip || r[1] < ip) continue;
        if (
          best === undefined || r[0] > best[0] ||
          (r[0] === best[0] && r[1] < best[1])
        ) best = r;
      }
      const want = best?.[2];
      const got = g.country(`0.0.0.${ip}`);
      // Two ranges with the same start and end but different countries
      // are a table conflict; either answer is acceptable there.
      const tied = best !== undefined &&
        ranges.some((r) =>
          r !== best && r[0] === best![0] && r[1] === best![1]
        );
      if (!tied) {
        assert.equal(got, want, `round ${round}, ip ${ip}: ${ranges}`);
      }
    }
  }
});

const DE_START = BigInt("0x2a0014504001" + "0".repeat(20));

Deno.test("geoip: IPv6 ranges from text and decimal tables, exact at 128-bit boundaries", () => {
  const g = table(
    [
      "2a00:1450::,2a00:1450:ffff:ffff:ffff:ffff:ffff:ffff,IE",
      // 2a00:1450:4001::/48 as decimal, nested: the more specific wins.
      `${DE_START},${DE_START + (1n << 80n) - 1n},DE`,
    ].join("\n"),
  );
  assert.equal(g.country("2a00:1450:4001::1"), "DE");
  assert.equal(g.country("2a00:1450:4001:ffff:ffff:ffff:ffff:ffff"), "DE");
  assert.equal(g.country("2a00:1450:4002::"), "IE");
  assert.equal(g.country("2a00:1450:ffff:ffff:ffff:ffff:ffff:ffff"), "IE");
  assert.equal(g.country("2a00:1451::"), undefined);
  assert.equal(g.country("2a00:144f:ffff:ffff:ffff:ffff:ffff:ffff"), undefined);
  assert.equal(g.v6Ranges, 3);
});

Deno.test("geoip: only public addresses without a country are looked up; documentation ranges have none", () => {
  const g = table(
    [
      "0.0.0.0,255.255.255.255,ZZ",
      "2000::,3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,ZZ",
    ].join("\n"),
  );
  const sshd = (ip: string) =>
    parseOne(
      `<38>Nov 30 10:00:00 web1 sshd[4242]: Failed password for root from ${ip} port 50000 ssh2`,
      {},
      { geoip: g },
    ) as EnrichedEvent;
  assert.equal(sshd("81.2.69.160").source?.geo?.country_iso_code, "ZZ");
  assert.equal(sshd("2a00:1450:4001::1").source?.geo?.country_iso_code, "ZZ");
  for (
    const ip of [
      "10.1.2.3",
      "192.168.0.7",
      "127.0.0.1",
      "203.0.113.9",
      "198.51.100.20",
      "192.0.2.1",
      "2001:db8::5",
      "fe80::1",
    ]
  ) {
    assert.equal(sshd(ip).source?.geo, undefined, ip);
  }
  // A country the record carries is the sender's word: kept.
  const carried = parseOne(
    {
      "@timestamp": "2026-11-30T10:00:00Z",
      event: { category: "authentication", outcome: "success" },
      user: { name: "bob" },
      source: { ip: "81.2.69.160", geo: { country_iso_code: "JP" } },
      destination: { ip: "8.8.8.8" },
    },
    {},
    { geoip: g },
  ) as EnrichedEvent;
  assert.equal(carried.source?.geo?.country_iso_code, "JP");
  assert.equal(carried.destination?.geo?.country_iso_code, "ZZ");
});

Deno.test("geoip: a broken table is refused with the file, line and reason", () => {
  const bad: [string, RegExp][] = [
    ["1.0.0.0,1.0.0.255", /t\.csv:1: expected start,end,country/],
    ["1.0.0.0,1.0.0.255,Germany", /t\.csv:1: country is not a 2-letter code/],
    ["# ok\n1.0.0.9,1.0.0.1,DE", /t\.csv:2: start is after end/],
    ["1.0.0.0,2001:db8::,DE", /not addresses of one family/],
    ["1.0.0.256,1.0.1.0,DE", /not an IPv4 address/],
    ["2001:db8:::1,2001:db8::2,DE", /not an IPv6 address/],
  ];
  for (const [csv, re] of bad) {
    assert.throws(() => new GeoIpTable().addCsv(csv, "t.csv"), re, csv);
  }
});

Deno.test("geoip: a header line before the first range is skipped, one later is refused", () => {
  const g = table("start,end,CC\n3.2.35.0,3.2.35.63,DE\n");
  assert.equal(g.country("3.2.35.1"), "DE");
  assert.equal(
    table(
      "# comment\nip_range_start,ip_range_end,country_code\n3.2.35.0,3.2.35.63,DE",
    )
      .country("3.2.35.9"),
    "DE",
  );
  assert.throws(
    () =>
      new GeoIpTable().addCsv("3.2.35.0,3.2.35.63,DE\nstart,end,CC", "t.csv"),
    /t\.csv:2: country is not a 2-letter code|t\.csv:2: start and end/,
  );
});

Deno.test("geoip: the bundled WHOIS table places well-known public addresses", async () => {
  const g = await loadGeoIp("builtin");
  assert.ok(g.v4Ranges > 100_000, `${g.v4Ranges} IPv4 ranges`);
  assert.ok(g.v6Ranges > 50_000, `${g.v6Ranges} IPv6 ranges`);
  assert.equal(g.country("8.8.8.8"), "US"); // Google (ARIN)
  assert.equal(g.country("81.2.69.160"), "GB"); // Andrews & Arnold (RIPE)
  assert.equal(g.country("200.160.2.3"), "BR"); // NIC.br (LACNIC)
  assert.equal(g.country("1.1.1.1"), "AU"); // APNIC research block
  assert.equal(g.country("2001:4860:4860::8888"), "US");
  assert.equal(g.country("10.0.0.1"), undefined);
});

Deno.test("cli: --geoip builtin fills the country of sshd sources; a missing table exits 2 and says which", async () => {
  const lines = [
    "<38>Nov 30 10:00:00 web1 sshd[4242]: Failed password for root from 81.2.69.160 port 50000 ssh2",
    "<38>Nov 30 10:00:01 web1 sshd[4243]: Accepted password for bob from 200.160.2.3 port 50001 ssh2",
    "<38>Nov 30 10:00:02 web1 sshd[4244]: Failed password for root from 10.0.0.9 port 50002 ssh2",
  ].join("\n") + "\n";
  const run = (args: string[]) => runParserCli(args, lines);
  const ok = await run(["--in-format", "lines", "--geoip", "builtin"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(
    ok.records.map((r) => r.source?.geo?.country_iso_code),
    ["GB", "BR", undefined],
  );
  const missing = await run([
    "--in-format",
    "lines",
    "--geoip",
    "/nonexistent/geo.csv",
  ]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--geoip \/nonexistent\/geo\.csv/);
  assert.equal(missing.records.length, 0);
});

Deno.test("geoip: a table directory whose path has spaces and '%' loads (the -num.csv twins preferred)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "geo ip %20 " });
  try {
    await Deno.writeTextFile(
      `${dir}/t-ipv4-num.csv`,
      "134744064,134744319,US\n",
    );
    // The text twin would say otherwise; only the -num tables are read.
    await Deno.writeTextFile(`${dir}/t-ipv4.csv`, "8.8.8.0,8.8.8.255,ZZ\n");
    const g = await loadGeoIp(dir);
    assert.equal(g.country("8.8.8.8"), "US");
    assert.equal(g.v4Ranges, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
