/**
 * `sentinel-sink query` against a chdb: directory that holds no store says
 * so (exit 2) and creates nothing; it used to create the directory and then
 * fail with "Database sentinel does not exist".
 */
import assert from "node:assert/strict";
import { sink } from "./_run.ts";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

Deno.test("query --out chdb:/missing/dir: exit 2, 'no store at …', and the directory is not created", async () => {
  const root = await Deno.makeTempDir({ prefix: "sink_query_missing_" });
  const missing = `${root}/missing/dir`;
  try {
    const r = await sink(["query", "--out", `chdb:${missing}`, "SELECT 1"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `no store at ${missing}; write one with sentinel-sink or sentinel-demo-seed first`,
      ),
    );
    assert.equal(r.stdout, "");
    assert.equal(await exists(`${root}/missing`), false);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("query --out chdb:DIR on an empty existing directory: 'no store at …', nothing written into it", async () => {
  const empty = await Deno.makeTempDir({ prefix: "sink_query_empty_" });
  try {
    const r = await sink(["query", "--out", `chdb:${empty}`, "SELECT 1"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /no store at .*sink_query_empty_/);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(empty)), []);
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});
