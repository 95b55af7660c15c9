/**
 * A row the database refuses becomes a dead letter naming its input line,
 * in `line` and as the "line N: " prefix of the reason, like every other
 * dead letter (the README promises the line number); it had neither.
 */
import assert from "node:assert/strict";
import { EVENTS, ndjson, sshFailure } from "./_fixtures.ts";
import { queryRows, sink } from "./_run.ts";

Deno.test("a row the store refuses is dead-lettered with its input line, with and without --trust-input", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sink_rejected_line_" });
  try {
    // Valid per the contract, refused by the events table's CHECK on the
    // event time (after 1971).
    const epoch = {
      ...sshFailure,
      event_id: "0b6c1d1e-1111-4222-8333-4444555566ee",
      ts: "1970-01-01T00:00:00.000Z",
    };
    const input = ndjson([EVENTS[1], epoch, EVENTS[2]]) + "not json\n";
    const modes: [string, string[]][] = [
      ["checked", []],
      ["trusted", ["--trust-input"]],
    ];
    for (const [name, flags] of modes) {
      const out = `chdb:${dir}/${name}`;
      const r = await sink(["--out", out, ...flags], input);
      assert.equal(r.code, 0, r.stderr);
      const dead = await queryRows(
        out,
        "SELECT reason_code, line, reason FROM sentinel.dead_letters FINAL ORDER BY line",
      );
      assert.deepEqual(
        dead.map((d) => [d.reason_code, d.line]),
        [["rejected_by_store", 2], ["invalid_json", 4]],
        name,
      );
      for (const d of dead) {
        assert.match(String(d.reason), new RegExp(`^line ${d.line}: `), name);
      }
      assert.match(String(dead[0].reason), /refused the enriched_event/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
