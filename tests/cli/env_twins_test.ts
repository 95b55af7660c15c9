/**
 * Environment twins as a shell user meets them: one exported variable must
 * not change the meaning of another binary's flag, and a repeatable flag's
 * twin carries values that contain commas.
 */
import assert from "node:assert/strict";
import { runCli } from "./_run.ts";

Deno.test("SENTINEL_FORMAT (the parser's input hint) does not reach sentinel-sink query --format", async () => {
  // A shell that exported the parser's hint: the query must not fail on
  // --format. It reaches the store check instead (an NDJSON file cannot be
  // queried), which is fast and needs no database.
  const r = await runCli(
    "sentinel-sink",
    ["query", "--out", "file:/dev/null", "SELECT 1"],
    { SENTINEL_FORMAT: "rfc5424" },
  );
  assert.equal(r.code, 2);
  assert.doesNotMatch(r.stderr, /--format/);
  assert.match(r.stderr, /queries need a chdb: or http\(s\): store/);
});

Deno.test("sentinel-sink query --format has its own twin SENTINEL_QUERY_FORMAT, named in --help", async () => {
  const bad = await runCli(
    "sentinel-sink",
    ["query", "--out", "file:/dev/null", "SELECT 1"],
    { SENTINEL_QUERY_FORMAT: "yaml" },
  );
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--format: expected table, json or csv, got 'yaml'/);
  const help = await runCli("sentinel-sink", ["query", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--format FORMAT .*\[env SENTINEL_QUERY_FORMAT\]/);
  assert.doesNotMatch(help.stdout, /SENTINEL_FORMAT\b/);
  // The parser keeps SENTINEL_FORMAT for its hint.
  const parser = await runCli("sentinel-parser", ["--help"]);
  assert.match(parser.stdout, /--format HINT .*\[env SENTINEL_FORMAT\]/);
});

Deno.test("SENTINEL_INJECT carries a scenario with several keys, and several scenarios", async () => {
  const r = await runCli(
    "sentinel-generator",
    ["--dry-run", "--rate", "0", "--count", "400", "--seed", "5"],
    {
      SENTINEL_INJECT:
        "port_scan:at=0,source=45.155.205.9,count=30;brute_force_ssh:at=0",
    },
  );
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const scan = events.filter((e) => e.ground_truth?.scenario === "port_scan");
  assert.equal(scan.length, 30);
  assert.ok(
    scan.every((e) => JSON.stringify(e.payload).includes("45.155.205.9")),
  );
  assert.ok(
    events.some((e) => e.ground_truth?.scenario === "brute_force_ssh"),
  );
});
