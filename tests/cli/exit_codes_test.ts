/**
 * Exit codes through the binaries: 2 for anything the user fixes by
 * changing a flag (a missing input file, an output path that cannot be
 * created, an unsupported --target scheme), reported at once with the flag
 * in the message; 1 for failures of a run that was configured correctly.
 */
import assert from "node:assert/strict";
import { runCli } from "./_run.ts";

const MISSING = "/nonexistent-sentinel-dir/events.ndjson";

Deno.test("a missing --in file:PATH exits 2 naming the flag (parser, detector, sink)", async () => {
  for (
    const binary of ["sentinel-parser", "sentinel-detector", "sentinel-sink"]
  ) {
    const r = await runCli(binary, ["--in", `file:${MISSING}`]);
    assert.equal(r.code, 2, `${binary}: ${r.stderr}`);
    assert.match(
      r.stderr,
      /--in file:\/nonexistent-sentinel-dir\/events\.ndjson: cannot read: no such file/,
      binary,
    );
  }
});

Deno.test("an --out file:PATH that cannot be created exits 2 (parser, detector, generator)", async () => {
  for (
    const [binary, extra] of [
      ["sentinel-parser", []],
      ["sentinel-detector", []],
      ["sentinel-generator", ["--count", "1"]],
    ] as const
  ) {
    const r = await runCli(
      binary,
      ["--out", `file:${MISSING}`, ...extra],
      {},
      "",
    );
    assert.equal(r.code, 2, `${binary}: ${r.stderr}`);
    assert.match(
      r.stderr,
      /--out file:\S+: cannot write: no such file/,
      binary,
    );
  }
  // A folder given for the output file is the same kind of mistake.
  const dir = await Deno.makeTempDir();
  try {
    const r = await runCli("sentinel-parser", ["--out", `file:${dir}`], {}, "");
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /cannot write: is a directory/);
  } finally {
    await Deno.remove(dir);
  }
});

Deno.test("generator: a missing --replay file exits 2 and writes nothing", async () => {
  const r = await runCli("sentinel-generator", ["--replay", MISSING]);
  assert.equal(r.code, 2, r.stderr);
  // The path as typed: --replay takes a path, not a file: URI.
  assert.ok(r.stderr.includes(`--replay ${MISSING}: cannot read`), r.stderr);
  assert.equal(r.stdout, "");
});

Deno.test("generator: --target with an unsupported scheme exits 2 at once, before any retry", async () => {
  const r = await runCli("sentinel-generator", [
    "--target",
    "ftp://x",
    "--count",
    "5",
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /--target: unsupported scheme 'ftp:'.*http:\/\/ or https:\/\//,
  );
  // Nothing was attempted: no request log, no summary.
  assert.doesNotMatch(r.stderr, /batch not accepted|summary/);
});

Deno.test("generator: an http target that refuses connections is a runtime failure (exit 1)", async () => {
  // Port 9 (discard) on loopback: nothing listens, the connect is refused.
  const r = await runCli("sentinel-generator", [
    "--target",
    "http://127.0.0.1:9",
    "--count",
    "3",
    "--rate",
    "0",
    "--retries",
    "0",
  ]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /events not delivered to ingest/);
});
