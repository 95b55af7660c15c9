/**
 * `sentinel-sink query --database NAME` (default sentinel): unqualified
 * table names resolve in that database. On chdb: stores the flag used to
 * do nothing (`FROM events` failed with UNKNOWN_TABLE); on a ClickHouse
 * server the query is sent with the database as the current one.
 */
import assert from "node:assert/strict";
import { EVENTS, ndjson } from "./_fixtures.ts";
import { queryRows, sink } from "./_run.ts";

Deno.test("query on chdb: 'FROM events' reads the default database sentinel, and --database the one named", async () => {
  const root = await Deno.makeTempDir({ prefix: "sink_query_db_" });
  const out = `chdb:${root}/store`;
  try {
    // The same store holds sentinel.* (3 events) and audit.* (all 5).
    let r = await sink(["--out", out], ndjson(EVENTS.slice(0, 3)));
    assert.equal(r.code, 0, r.stderr);
    r = await sink(["--out", out, "--database", "audit"], ndjson(EVENTS));
    assert.equal(r.code, 0, r.stderr);

    const count = "SELECT count() AS n FROM events FINAL";
    assert.deepEqual(await queryRows(out, count), [{ n: 3 }]);
    r = await sink([
      "query",
      "--out",
      out,
      "--database",
      "sentinel",
      "--format",
      "json",
      count,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { n: 3 });
    r = await sink([
      "query",
      "--out",
      out,
      "--database",
      "audit",
      "--format",
      "json",
      count,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { n: EVENTS.length });
    // Qualified names still mean what they say.
    r = await sink([
      "query",
      "--out",
      out,
      "--database",
      "audit",
      "--format",
      "json",
      "SELECT count() AS n FROM sentinel.events FINAL",
    ]);
    assert.deepEqual(JSON.parse(r.stdout), { n: 3 });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("query on http(s)://: the database from the URL path or --database is sent with the query", async () => {
  // A stand-in server recording the `database` of each request (what a
  // ClickHouse server resolves unqualified names in).
  const seen: (string | null)[] = [];
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    (req) => {
      seen.push(new URL(req.url).searchParams.get("database"));
      return new Response('{"n":"1"}\n', {
        headers: { "x-clickhouse-format": "JSONEachRow" },
      });
    },
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    const ask = async (args: string[]) => {
      const r = await sink([
        "query",
        "--format",
        "json",
        ...args,
        "SELECT count() AS n FROM events",
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { n: "1" });
    };
    await ask(["--out", `${base}/`]);
    await ask(["--out", `${base}/audit`]);
    await ask(["--out", `${base}/audit`, "--database", "ops"]);
    assert.deepEqual(seen, ["sentinel", "audit", "ops"]);
  } finally {
    await server.shutdown();
  }
});
