/**
 * `--trust-input` skips schema validation, but "the database still refuses
 * bad values": a number for an Enum column (`"severity": 5`) was stored as
 * the value with that index ('critical') instead of being refused.
 */
import assert from "node:assert/strict";
import { EVENTS, ndjson, sshFailure } from "./_fixtures.ts";
import { queryRows, sink } from "./_run.ts";
import type { AnyRecord } from "../../stages/shared/records.ts";
import {
  ByteWriter,
  compileTable,
  RefusedValue,
} from "../../stages/sink/row_binary.ts";

Deno.test("--trust-input: a numeric severity is dead-lettered with the reason, not stored as the enum value of that index", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sink_trust_enum_" });
  const out = `chdb:${dir}`;
  try {
    const numeric = {
      ...sshFailure,
      event_id: "0b6c1d1e-1111-4222-8333-4444555566aa",
      severity: 5,
    };
    const r = await sink(
      ["--out", out, "--trust-input"],
      ndjson([EVENTS[1], numeric, EVENTS[2]]),
    );
    assert.equal(r.code, 0, r.stderr);
    const stored = await queryRows(
      out,
      "SELECT toString(event_id) AS id FROM sentinel.events FINAL ORDER BY id",
    );
    assert.deepEqual(
      stored.map((x) => x.id),
      [EVENTS[1].event_id, EVENTS[2].event_id].sort(),
    );
    const dead = await queryRows(
      out,
      "SELECT reason_code, line, reason, event_id FROM sentinel.dead_letters FINAL",
    );
    assert.equal(dead.length, 1, JSON.stringify(dead));
    assert.equal(dead[0].reason_code, "rejected_by_store");
    assert.equal(dead[0].line, 2);
    assert.equal(dead[0].event_id, numeric.event_id);
    assert.match(
      String(dead[0].reason),
      /^line 2: .* refused the enriched_event: severity: 5 is not one of the Enum8 values 'informational', 'low', 'medium', 'high', 'critical'/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the RowBinary encoder refuses a non-string Enum8 value (restoring the buffer), declines an unknown name, encodes a known one", () => {
  const enc = compileTable([
    { name: "severity", type: "Enum8('low' = 2, 'high' = 4)" },
    {
      name: "rule",
      type: "Tuple(id String, level Enum8('low' = 2, 'high' = 4))",
    },
  ])!;
  const w = new ByteWriter(64);
  const rule = { id: "r", level: "high" };
  assert.equal(enc.encode(w, row({ severity: "high", rule }), ""), true);
  const pos = w.pos;
  assert.equal(enc.encode(w, row({ severity: "urgent", rule }), ""), false);
  for (
    const [bad, path] of [
      [{ severity: 4, rule }, /^RefusedValue: severity: 4 is not/],
      [{ severity: null, rule }, /^RefusedValue: severity: null is not/],
      [
        { severity: "low", rule: { id: "r", level: 2 } },
        /^RefusedValue: rule\.level: 2 /,
      ],
    ] as const
  ) {
    assert.throws(() => enc.encode(w, row(bad), ""), RefusedValue);
    assert.throws(() => enc.encode(w, row(bad), ""), path);
    assert.equal(w.pos, pos);
  }
});

function row(o: Record<string, unknown>): AnyRecord {
  return o as unknown as AnyRecord;
}
