/**
 * SigmaHQ webserver/proxy rules name W3C log fields (`cs-uri-query`,
 * `cs-user-agent`, …). The default mapping must send each one the parser
 * fills to the EnrichedEvent field it fills, or those rules load, lint clean
 * and never fire on Apache/nginx access logs.
 */
import assert from "node:assert/strict";
import type { EnrichedEvent } from "../../../stages/shared/contracts/mod.ts";
import { newState, parseRawEvent } from "../../../stages/parser/mod.ts";
import { runPipe } from "../../../scripts/pipe.ts";
import { matches, rulesFrom, ruleYaml } from "./_helpers.ts";
import { isFile } from "./_run.ts";

/** An access-log line as the real parser core turns it into an event. */
function parsed(line: string): EnrichedEvent {
  const ev = parseRawEvent({
    record: "raw_event",
    event_id: "00000000-0000-4000-8000-000000000001",
    received_at: "2026-11-24T12:00:00.000Z",
    tenant: "default",
    source_name: "access.log",
    transport: "file",
    ingest_node: "test",
    payload: line,
  }, newState());
  assert.equal(ev.record, "enriched_event", JSON.stringify(ev));
  return ev as EnrichedEvent;
}

// vhost_combined: the served host and port come first.
const BY_NAME = parsed(
  'www.example.com:443 203.0.113.50 - alice [24/Nov/2026:10:00:00 +0000] "GET /cgi-bin/search.php?q=../../etc/passwd HTTP/1.1" 404 512 "http://evil.example/x" "sqlmap/1.7"',
);
const BY_ADDRESS = parsed(
  '192.0.2.10:8080 203.0.113.51 - - [24/Nov/2026:10:00:00 +0000] "POST /upload HTTP/1.0" 200 7 "-" "-"',
);

/** Whether a rule `name: value` (exact, case-insensitive) fires on `ev`. */
function fires(name: string, value: string, ev: EnrichedEvent): boolean {
  const set = rulesFrom(
    ruleYaml(`selection:\n  ${name}: '${value}'\ncondition: selection`),
  );
  assert.deepEqual(set.errors, []);
  return matches(set, ev);
}

// Each field the default mapping adds, with the value the first line
// carries for it and a value it does not.
const CASES: [field: string, value: string, other: string][] = [
  ["cs-uri", "/cgi-bin/search.php?q=../../etc/passwd", "/cgi-bin/search.php"],
  ["cs-uri-query", "q=../../etc/passwd", "q=1"],
  ["cs-uri-stem", "/cgi-bin/search.php", "/upload"],
  ["cs-user-agent", "sqlmap/1.7", "Mozilla/5.0"],
  ["cs-referrer", "http://evil.example/x", "-"],
  ["cs-version", "HTTP/1.1", "HTTP/1.0"],
  ["cs-username", "alice", "bob"],
  ["sc-bytes", "512", "7"],
  ["r-dns", "www.example.com", "example.org"],
];

for (const [field, value, other] of CASES) {
  Deno.test(`default mapping: ${field} reads what the access-log parser fills`, () => {
    assert.ok(fires(field, value, BY_NAME), `${field}: '${value}' missed`);
    assert.ok(!fires(field, other, BY_NAME), `${field}: '${other}' matched`);
  });
}

Deno.test("default mapping: s-ip and s-port read the served address of a vhost_combined line", () => {
  assert.ok(fires("s-ip", "192.0.2.10", BY_ADDRESS));
  assert.ok(!fires("s-ip", "203.0.113.51", BY_ADDRESS));
  assert.ok(fires("s-port", "8080", BY_ADDRESS));
  assert.ok(!fires("s-port", "443", BY_ADDRESS));
});

Deno.test("default mapping: the fields mapped before still resolve (c-uri-query, c-useragent, cs-method, sc-status, cs-host, c-ip)", () => {
  assert.ok(fires("c-uri-query", "q=../../etc/passwd", BY_NAME));
  assert.ok(fires("c-useragent", "sqlmap/1.7", BY_NAME));
  assert.ok(fires("cs-method", "GET", BY_NAME));
  assert.ok(fires("sc-status", "404", BY_NAME));
  assert.ok(fires("cs-host", "www.example.com", BY_NAME));
  assert.ok(fires("c-ip", "203.0.113.50", BY_NAME));
});

const WEBSERVER_GENERIC = new URL(
  "../../../../shared/sigmahq/rules/web/webserver_generic",
  import.meta.url,
);

Deno.test({
  name:
    "SigmaHQ webserver_generic rules fire on parsed access logs: path traversal in the query, sqlmap user agent",
  // The corpus lives in shared/ beside the repo; a clone without it skips.
  ignore: !isFile(
    new URL("webserver_generic/web_susp_useragents.yml", WEBSERVER_GENERIC),
  ),
  fn: async () => {
    const lines = [
      '203.0.113.50 - - [24/Nov/2026:10:00:00 +0000] "GET /index.php?file=../../../etc/passwd HTTP/1.1" 200 123 "-" "Mozilla/5.0"',
      '203.0.113.51 - - [24/Nov/2026:10:00:01 +0000] "GET /index.php?id=1 HTTP/1.1" 200 123 "-" "sqlmap/1.7#stable (https://sqlmap.org)"',
    ];
    const r = await runPipe([
      { bin: "sentinel-parser", args: ["--in-format", "lines"] },
      {
        bin: "sentinel-detector",
        args: [
          "--rules",
          WEBSERVER_GENERIC.pathname,
          "--anomaly",
          "off",
        ],
      },
    ], { input: new TextEncoder().encode(lines.join("\n") + "\n") });
    for (const s of r.stages) assert.equal(s.code, 0, `${s.bin}: ${s.stderr}`);
    const alerts = new TextDecoder().decode(r.stdout).split("\n")
      .filter((l) => l.includes('"record":"alert"'))
      .map((l) => JSON.parse(l));
    // Each line raises its own rule's alert, about its own client.
    assert.deepEqual(
      alerts.map((a) => [a.rule.title, a.entity.value]).sort(),
      [
        ["Path Traversal Exploitation Attempts", "203.0.113.50"],
        ["Suspicious User-Agents Related To Recon Tools", "203.0.113.51"],
      ],
    );
  },
});
