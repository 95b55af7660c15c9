/**
 * A --replay file that cannot be read is found before any output is opened:
 * the run exits 2 naming the file as the user typed it, and an existing
 * --out file keeps its bytes (opening a file sink truncates it).
 */
import assert from "node:assert/strict";
import { gen } from "./_run.ts";

Deno.test("a missing --replay file exits 2 and leaves an existing --out file untouched", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const kept = `${dir}/earlier_run.ndjson`;
    await Deno.writeTextFile(kept, '{"record":"raw_event"}\n');
    const missing = `${dir}/no_such_auth.log`;
    const r = await gen(["--replay", missing, "--out", `file:${kept}`]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(await Deno.readTextFile(kept), '{"record":"raw_event"}\n');
    // Quoted as typed: the user gave a path, not a file: URI.
    assert.ok(
      r.stderr.includes(
        `--replay ${missing}: cannot read: no such file or directory`,
      ),
      r.stderr,
    );
    assert.ok(!r.stderr.includes(`file:${missing}`), r.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a directory given to --replay exits 2 before an --out file is created", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/never_created.ndjson`;
    const r = await gen(["--replay", dir, "--out", `file:${out}`]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--replay .*: is a directory, not a file/);
    await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
