/**
 * The sentinel-parser binary's entry point as a subprocess: raw lines on
 * stdin (`--in-format lines`), NDJSON RawEvents, a lookup file, bad flags.
 */
import assert from "node:assert/strict";
import { validateRecord } from "../../stages/shared/contracts/mod.ts";
import { rawEvent, runParserCli } from "./_helpers.ts";

const fixture = (name: string) =>
  new URL(`../fixtures/parser/${name}`, import.meta.url).pathname;

const runCli = runParserCli;

Deno.test("cli: raw log lines on stdin become enriched events or dead letters, none lost", async () => {
  const text = await Deno.readTextFile(fixture("auth_sample.log"));
  const { code, records } = await runCli(
    [
      "--in-format",
      "lines",
      "--tenant",
      "acme",
      "--lookup",
      fixture("assets.csv"),
    ],
    text,
  );
  assert.equal(code, 0);
  assert.equal(records.length, 4);
  for (const r of records) {
    assert.equal(validateRecord(r), null, JSON.stringify(r));
  }
  const [fail, ok, dns, junk] = records;
  assert.equal(fail.action, "ssh_login");
  assert.equal(fail.outcome, "failure");
  assert.equal(fail.tenant, "acme");
  assert.equal(fail.transport, "stdin");
  assert.equal(fail.enrichment["source.threat.list"], "known-scanners");
  assert.equal(ok.outcome, "success");
  assert.equal(ok.enrichment["source.asset.owner"], "alice");
  // A JSON log line is a payload in lines mode, not an NDJSON record.
  assert.equal(dns.format, "zeek_dns");
  assert.equal(junk.record, "dead_letter");
  assert.equal(junk.reason_code, "unknown_format");
});

Deno.test("cli: NDJSON RawEvents in, enriched events out; other records forwarded", async () => {
  const raws = [
    rawEvent(
      "Nov 24 10:00:00 web-01 sudo: alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/sh",
    ),
    rawEvent("CEF:0|broken"),
  ];
  const alien = { record: "dead_letter", reason: "upstream" };
  const input =
    [...raws.map((r) => JSON.stringify(r)), JSON.stringify(alien), "not json"]
      .join("\n") + "\n";
  const { code, records } = await runCli([], input);
  assert.equal(code, 0);
  assert.equal(records.length, 4);
  assert.equal(records[0].action, "sudo");
  assert.equal(records[1].reason_code, "unparseable");
  assert.deepEqual(records[2], alien);
  assert.equal(records[3].reason_code, "invalid_json");
});

Deno.test("cli: bad flag values exit 2 with a message", async () => {
  const a = await runCli(["--in-format", "xml"], "");
  assert.equal(a.code, 2);
  assert.match(a.stderr, /--in-format: expected ndjson or lines/);
  const b = await runCli(["--lookup", fixture("missing.csv")], "");
  assert.equal(b.code, 2);
  assert.match(b.stderr, /--lookup .*missing.csv/);
  // B16: an unknown --format is a usage error, not silently auto-detected.
  const c = await runCli(["--in-format", "lines", "--format", "foo"], "x=1\n");
  assert.equal(c.code, 2);
  assert.match(c.stderr, /--format: unknown format hint 'foo'/);
  assert.equal(c.records.length, 0);
});
