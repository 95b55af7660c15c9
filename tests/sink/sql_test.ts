/** Database names from flags and URLs are validated before they reach SQL. */
import assert from "node:assert/strict";
import { UsageError } from "../../stages/shared/cli.ts";
import { createLogger } from "../../stages/shared/log.ts";
import { openStore } from "../../stages/sink/store.ts";
import { sqlIdentifier, sqlString } from "../../stages/sink/sql.ts";
import { sink } from "./_run.ts";

const logger = createLogger("sink", "error");

Deno.test("sqlIdentifier accepts plain names and refuses anything that could change the SQL", () => {
  assert.equal(sqlIdentifier("sentinel"), "sentinel");
  assert.equal(sqlIdentifier("_tenant_2"), "_tenant_2");
  for (
    const bad of [
      "",
      "2db",
      "a b",
      "x;DROP TABLE y",
      "db.events",
      "a`b",
      "a'b",
      "x".repeat(65),
    ]
  ) {
    assert.throws(() => sqlIdentifier(bad), UsageError, bad);
  }
});

Deno.test("sqlString escapes quotes and backslashes", () => {
  assert.equal(sqlString("it's \\ ok"), "'it\\'s \\\\ ok'");
});

Deno.test("a server store refuses a bad --database or URL database before connecting", async () => {
  await assert.rejects(
    openStore("http://127.0.0.1:1/", {
      logger,
      database: "x; DROP DATABASE y",
    }),
    UsageError,
  );
  await assert.rejects(
    openStore("http://127.0.0.1:1/evil%3Bdrop", { logger }),
    UsageError,
  );
});

Deno.test("sentinel-sink --database with a bad name exits 2 and says why", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sink_baddb_" });
  try {
    const r = await sink(["--out", `chdb:${dir}`, "--database", "a;b"], "");
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--database: 'a;b' is not a valid database name/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
