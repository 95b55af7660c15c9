/**
 * Regression tests for the code-review findings on the parser (B12–B19,
 * H44/H46/H47): each asserts what a user of the pipeline would notice.
 */
import assert from "node:assert/strict";
import type {
  DeadLetter,
  EnrichedEvent,
} from "../../stages/shared/contracts/mod.ts";
import { validateRecord } from "../../stages/shared/contracts/mod.ts";
import { FIELD_VALUE_MAX } from "../../stages/parser/_flatten.ts";
import { canonicalIp, lastIpClass } from "../../stages/parser/ip.ts";
import { IndicatorLookup } from "../../stages/parser/lookup.ts";
import { isUuid } from "../../stages/parser/envelope.ts";
import {
  rawEventFromLine,
  rawLineSerializer,
} from "../../stages/parser/raw_lines.ts";
import { parseOne, rawEvent, RECEIVED_AT } from "./_helpers.ts";
import { createParser, isFormatHint } from "../../stages/parser/mod.ts";
import type { AnyRecord } from "../../stages/shared/records.ts";

function enriched(r: EnrichedEvent | DeadLetter): EnrichedEvent {
  assert.equal(r.record, "enriched_event", JSON.stringify(r).slice(0, 300));
  return r as EnrichedEvent;
}

function dead(r: EnrichedEvent | DeadLetter): DeadLetter {
  assert.equal(r.record, "dead_letter", JSON.stringify(r).slice(0, 300));
  return r as DeadLetter;
}

// B12: a huge JSON string value is not copied whole next to the payload.
Deno.test("B12: a 600 KB JSON value is capped in fields, kept whole in the payload", () => {
  const big = "x".repeat(600_000);
  for (
    const payload of [
      { message: big, user: { name: "bob" } },
      JSON.stringify({ note: big, user: "bob" }),
    ]
  ) {
    const ev = enriched(parseOne(payload));
    const key = typeof payload === "string" ? "note" : "message";
    assert.equal(ev.fields[key].length, FIELD_VALUE_MAX);
    assert.equal(ev.fields[key], big.slice(0, FIELD_VALUE_MAX));
    assert.equal(ev.fields["parser.truncated"], key);
    assert.ok(JSON.stringify(ev).length < 600_000 + 20_000);
    assert.deepEqual(ev.payload, payload);
    assert.equal(validateRecord(ev), null);
  }
});

Deno.test("B12: short values are untouched and unmarked; a cut never splits a surrogate pair", () => {
  const ev = enriched(parseOne({ message: "short", a: "y".repeat(4096) }));
  assert.equal(ev.fields["parser.truncated"], undefined);
  assert.equal(ev.fields.a.length, 4096);
  const emoji = "a".repeat(FIELD_VALUE_MAX - 1) + "😀".repeat(10);
  const cut = enriched(parseOne({ msg: emoji })).fields.msg;
  assert.equal(cut, "a".repeat(FIELD_VALUE_MAX - 1));
  assert.equal(cut.isWellFormed(), true);
});

// B13: envelope fields the schema refuses are dead-lettered, not copied.
Deno.test("B13: a RawEvent envelope the schema refuses becomes a schema dead letter with the reason", () => {
  const line = "a=b";
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ event_id: "abc" }, /event_id "abc" is not a UUID/],
    [{ transport: "pigeon" }, /transport "pigeon" is not one of/],
    [{ tenant: "t".repeat(300) }, /tenant is 300 characters long/],
    [{ source_name: "s".repeat(300) }, /source_name is 300 characters/],
    [{ ingest_node: "" }, /ingest_node must not be empty/],
    [{ format: "x".repeat(100) }, /format is 100 characters long/],
    [{ format: 5 }, /format must be a string/],
    [{ ground_truth: { foo: 1 } }, /ground_truth has an unknown key "foo"/],
    [{ ground_truth: { role: "x" } }, /ground_truth.scenario is required/],
  ];
  for (const [extra, reason] of cases) {
    const dl = dead(parseOne(line, extra as never));
    assert.equal(dl.reason_code, "schema");
    assert.match(dl.reason, reason);
    assert.equal(validateRecord(dl), null, JSON.stringify(dl));
  }
});

Deno.test("B13: a valid envelope (with ground truth) still parses, output schema-valid", () => {
  const ev = enriched(
    parseOne("a=b", {
      ground_truth: { scenario: "brute_force_ssh", role: "attack" },
      format: "kv",
    }),
  );
  assert.deepEqual(ev.ground_truth, {
    scenario: "brute_force_ssh",
    role: "attack",
  });
  assert.equal(validateRecord(ev), null);
});

// B14: an IPv4-mapped IPv6 address is the IPv4 host.
Deno.test("B14: ::ffff:203.0.113.9 becomes 203.0.113.9, classed and looked up as IPv4", () => {
  assert.equal(canonicalIp("::ffff:203.0.113.9"), "203.0.113.9");
  assert.equal(lastIpClass(), "public");
  assert.equal(canonicalIp("[::FFFF:10.0.0.5]"), "10.0.0.5");
  assert.equal(lastIpClass(), "private");
  assert.equal(canonicalIp("::ffff:1:2:3"), "::ffff:1:2:3"); // not mapped
  const lookup = new IndicatorLookup().addCsv(
    "indicator,threat.list\n203.0.113.0/24,scanners\n::ffff:198.51.100.0/120,mapped-block\n",
  );
  const ev = enriched(
    parseOne(
      {
        source: { ip: "::ffff:203.0.113.9" },
        destination: { ip: "::ffff:198.51.100.7" },
      },
      {},
      { lookup },
    ),
  );
  assert.equal(ev.source?.ip, "203.0.113.9");
  assert.equal(ev.source?.ip_class, "public");
  assert.equal(ev.destination?.ip, "198.51.100.7");
  assert.equal(ev.enrichment?.["source.threat.list"], "scanners");
  assert.equal(ev.enrichment?.["destination.threat.list"], "mapped-block");
  const kv = enriched(parseOne("src=::ffff:10.0.0.5 dst=10.0.0.6 act=x"));
  assert.equal(kv.source?.ip, "10.0.0.5");
  assert.equal(kv.source?.ip_class, "private");
});

// B15: implausible event times fall back to the receipt time.
Deno.test("B15: event times before 2000 or over a day after receipt fall back to received_at, noted in fields", () => {
  for (
    const [stamp, read] of [
      [12, "1970-01-01T00:00:12.000Z"],
      ["1999-12-31T23:59:59.000Z", "1999-12-31T23:59:59.000Z"],
      ["2099-01-01T00:00:00.000Z", "2099-01-01T00:00:00.000Z"],
      ["2026-12-02T00:00:01.000Z", "2026-12-02T00:00:01.000Z"],
    ] as const
  ) {
    const ev = enriched(parseOne({ "@timestamp": stamp, message: "m" }));
    assert.equal(ev.ts, RECEIVED_AT, String(stamp));
    assert.equal(ev.ts_source, "received_at");
    assert.equal(ev.fields["parser.ts_implausible"], read);
  }
  // Old but real (the Apache sample is from 2005) and slightly ahead stay.
  for (
    const stamp of ["2005-12-04T04:47:44.000Z", "2026-12-01T20:00:00.000Z"]
  ) {
    const ev = enriched(parseOne({ "@timestamp": stamp, message: "m" }));
    assert.equal(ev.ts, stamp);
    assert.equal(ev.ts_source, "event");
    assert.equal(ev.fields["parser.ts_implausible"], undefined);
  }
});

// B16: an unknown hint on a record falls back to auto-detection, noted.
Deno.test("B16: a record with an unknown format hint is auto-detected, the hint noted and counted", () => {
  const parser = createParser();
  const out: AnyRecord[] = [];
  const emitter = { emit: (r: AnyRecord) => out.push(r), forward: () => {} };
  parser.push(
    rawEvent("src=10.0.0.1 dst=10.0.0.2", { format: "pigeon_post" }),
    emitter,
    { line: 1 },
  );
  parser.push(rawEvent("src=10.0.0.1", { format: "KV" }), emitter, {
    line: 2,
  });
  const ev = enriched(out[0] as EnrichedEvent);
  assert.equal(ev.format, "kv");
  assert.equal(ev.source?.ip, "10.0.0.1");
  assert.equal(ev.fields["parser.format_hint"], "pigeon_post");
  assert.equal(
    enriched(out[1] as EnrichedEvent).fields["parser.format_hint"],
    undefined,
  );
  assert.equal(parser.stats().unknown_format_hints, 1);
  assert.equal(isFormatHint("Windows_EVTX"), true);
  assert.equal(isFormatHint("foo"), false);
});

// B17: a parser exception is the parser's failure, not the input's.
Deno.test("B17: an exception inside a format parser becomes a processing_error dead letter", () => {
  const hostile = {
    message: "x",
    get user(): string {
      throw new Error("boom in getter");
    },
  };
  const dl = dead(parseOne(hostile as never));
  assert.equal(dl.reason_code, "processing_error");
  assert.match(dl.reason, /parser error: boom in getter/);
  // Input that merely fails to parse stays "unparseable".
  assert.equal(
    dead(parseOne("<999>Nov 24 10:00:00 h x: y")).reason_code,
    "unparseable",
  );
});

// B18: sniffing an IPv6 access-log client needs a ':' near the start.
Deno.test("B18: 'ERROR [main] …' is an unknown format, not a broken access log; IPv6 clients still sniffed", () => {
  const dl = dead(parseOne("ERROR [main] connection pool exhausted"));
  assert.equal(dl.reason_code, "unknown_format");
  assert.match(dl.reason, /no known log format matches/);
  const line =
    ' - - [04/Dec/2005:04:47:44 +0000] "GET /x HTTP/1.1" 200 5 "-" "ua"';
  for (const client of ["2001:db8::1", "fe80::1", "::1"]) {
    const ev = enriched(parseOne(client + line));
    assert.equal(ev.format, "apache_access");
    assert.equal(ev.source?.ip, client);
  }
});

// B19: sshd/su lines that were misclassified or left unclassified.
Deno.test("B19: 'Failed none' is a probe, not a failed login; PAM summary and FAILED SU are classified", () => {
  const h = "Nov 24 10:00:00 h ";
  const none = enriched(
    parseOne(
      `${h}sshd[1]: Failed none for invalid user x from 203.0.113.9 port 4242 ssh2`,
    ),
  );
  assert.equal(none.action, "ssh_auth_probe");
  assert.notEqual(none.outcome, "failure");
  assert.equal(none.source?.ip, "203.0.113.9");
  const pw = enriched(
    parseOne(
      `${h}sshd[1]: Failed password for invalid user x from 203.0.113.9 port 4242 ssh2`,
    ),
  );
  assert.equal(pw.action, "ssh_login");
  assert.equal(pw.outcome, "failure");
  const pam = enriched(
    parseOne(
      `${h}sshd[1]: PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root`,
    ),
  );
  assert.equal(pam.category, "auth");
  assert.equal(pam.action, "ssh_auth_failures");
  assert.equal(pam.outcome, "failure");
  assert.equal(pam.fields["ssh.more_failures"], "2");
  assert.equal(pam.source?.ip, "203.0.113.9");
  assert.equal(pam.user?.name, "root");
  const su = enriched(parseOne(`${h}su: FAILED SU (to root) bob on pts/0`));
  assert.equal(su.action, "su");
  assert.equal(su.outcome, "failure");
  assert.equal(su.user?.name, "bob");
  assert.equal(su.user?.target?.name, "root");
  assert.equal(su.fields["su.tty"], "pts/0");
});

// H44: raw lines are serialized without building a RawEvent and a Date each.
Deno.test("H44: the raw-line serializer writes exactly what JSON.stringify of the RawEvent would", () => {
  let t = Date.parse("2026-11-24T10:00:00.000Z");
  const opts = {
    tenant: 'ac"me',
    sourceName: "auth.log",
    transport: "file" as const,
    ingestNode: "node\u2028one",
    now: () => t,
  };
  const lines = [
    "Nov 24 10:00:00 h sshd[1]: Failed password for root from 1.2.3.4",
    '{"json": "line", "q": "\\"}',
    "tab\there \u0001 \ud800 lone surrogate, emoji 😀, U+2028 \u2028",
    "",
  ];
  for (const format of [undefined, "kv"]) {
    const serialize = rawLineSerializer({ ...opts, format });
    for (const line of lines) {
      t += 1;
      const text = serialize(line);
      const parsed = JSON.parse(text);
      const expected = rawEventFromLine(line, { ...opts, format });
      expected.event_id = parsed.event_id;
      assert.equal(text, JSON.stringify(expected));
      assert.match(parsed.event_id, /^[0-9a-f-]{36}$/);
    }
  }
});

// H46: IPv6 CIDR lookups by hash per prefix length (no BigInt, no scan).
Deno.test("H46: IPv6 CIDR lookup: longest prefix wins whatever the CSV order, odd prefix lengths, misses", () => {
  const csv = [
    "indicator,net",
    "2001:db8::/32,doc",
    "2001:db8:abcd:12::/64,lab",
    "2001:db8:abcd::/55,lab-wide",
    "2001:db8:abcd:12:8000::/65,lab-upper",
    "::/0,anything-v6",
    "fe80::1,exact",
  ].join("\n");
  const lookup = new IndicatorLookup().addCsv(csv);
  const net = (ip: string) =>
    enriched(parseOne({ source: { ip } }, {}, { lookup })).enrichment?.[
      "source.net"
    ];
  assert.equal(net("2001:db8:abcd:12::1"), "lab");
  assert.equal(net("2001:db8:abcd:12:8000::1"), "lab-upper");
  assert.equal(net("2001:db8:abcd:13::1"), "lab-wide"); // inside /55, not /64
  assert.equal(net("2001:db8:abcd:1400::1"), "doc");
  assert.equal(net("2001:db9::1"), "anything-v6");
  assert.equal(net("fe80::1"), "exact");
  assert.equal(net("10.0.0.1"), undefined); // ::/0 covers IPv6 only
  assert.throws(
    () => new IndicatorLookup().addCsv("indicator,x\n2001:db8::/129,y"),
    /bad CIDR/,
  );
});

Deno.test("B12: long values from long text lines (kv, syslog) are capped too", () => {
  const big = "v".repeat(10_000);
  const ev = enriched(parseOne(`src=10.0.0.1 note=${big}`));
  assert.equal(ev.fields.note.length, FIELD_VALUE_MAX);
  assert.equal(ev.fields["parser.truncated"], "note");
  assert.equal(ev.payload, `src=10.0.0.1 note=${big}`);
});

Deno.test("B13: the UUID check agrees with the schema's uuid format", () => {
  for (
    const ok of [
      "3f1c2d9e-1b2a-4c3d-8e4f-5a6b7c8d9e0f",
      "3F1C2D9E-1B2A-4C3D-8E4F-5A6B7C8D9E0F",
      "urn:uuid:3f1c2d9e-1b2a-4c3d-8e4f-5a6b7c8d9e0f",
      "00000000-0000-0000-0000-000000000000",
    ]
  ) {
    assert.equal(isUuid(ok), true, ok);
    assert.equal(validateRecord({ ...rawEvent("a=b"), event_id: ok }), null);
  }
  for (
    const bad of [
      "abc",
      "3f1c2d9e-1b2a-4c3d-8e4f-5a6b7c8d9e0",
      "3f1c2d9e-1b2a-4c3d-8e4f-5a6b7c8d9e0g",
      "3f1c2d9e1b2a-4c3d-8e4f-5a6b7c8d9e0f0",
      "urn:uuid3f1c2d9e-1b2a-4c3d-8e4f-5a6b7c8d9e0fx",
      "{3f1c2d9e-1b2a-4c3d-8e4f-5a6b7c8d9e0f}",
    ]
  ) {
    assert.equal(isUuid(bad), false, bad);
    assert.notEqual(
      validateRecord({ ...rawEvent("a=b"), event_id: bad }),
      null,
    );
  }
});
