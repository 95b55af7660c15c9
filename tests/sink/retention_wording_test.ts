/**
 * The retention flags and the architecture doc say what the number of days
 * counts from: the time a row was stored (`inserted_at`), not its event time
 * (a plain "30/90 days" reads as "events older than 30 days are dropped",
 * which replayed history showed was no longer true).
 */
import assert from "node:assert/strict";
import { sink } from "./_run.ts";

Deno.test("--help: each --*-ttl-days flag says its days count from when a row was stored (inserted_at)", async () => {
  const r = await sink(["--help"]);
  assert.equal(r.code, 0, r.stderr);
  const help = r.stdout + r.stderr;
  for (const flag of ["events", "alerts", "dead-letters"]) {
    const line = help.split("\n").find((l) => l.includes(`--${flag}-ttl-days`));
    assert.ok(line, `--${flag}-ttl-days is in --help`);
    assert.match(line, /after they were stored \(inserted_at\)/, line);
  }
});

Deno.test("docs/architecture.md: the storage section says retention counts from inserted_at", async () => {
  const doc = await Deno.readTextFile(
    new URL("../../docs/architecture.md", import.meta.url),
  );
  const storage = doc.slice(doc.indexOf("## Storage and views"));
  const para = storage.slice(0, storage.indexOf("\n\n", 30));
  assert.match(
    para,
    /Retention counts from when a row was\s+stored \(`inserted_at`/,
  );
  assert.doesNotMatch(para, /TTLs 30\/90/);
});
