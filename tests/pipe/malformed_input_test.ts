/**
 * Bad input given to each stage's binary becomes dead letters with a reason;
 * the stage keeps going and exits 0 at EOF.
 */
import assert from "node:assert/strict";
import { runPipe } from "../../scripts/pipe.ts";
import type { DeadLetter } from "../../stages/shared/contracts/mod.ts";
import { validateRecord } from "../../stages/shared/contracts/mod.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

const goodRaw = JSON.stringify({
  record: "raw_event",
  event_id: "3f1c7a8e-5b2d-4e0f-8a71-1c2d3e4f5a6b",
  received_at: "2026-11-24T10:00:00.000Z",
  tenant: "default",
  source_name: "sshd",
  transport: "stdin",
  ingest_node: "test",
  payload:
    "Nov 24 10:00:00 web-01 sshd[811]: Failed password for root from 203.0.113.9 port 52311 ssh2",
});

const BAD_LINES = [
  "this is not json",
  '{"record":"raw_event", "event_id": ', // truncated
  "[1,2,3]",
  '{"hello":"no record field"}',
  "x".repeat(70_000), // oversize with --max-line-bytes 65536
];

/** A record of the type each stage consumes, with fields of the wrong types. */
const WRONG_TYPES: Record<string, string> = {
  "sentinel-parser": '{"record":"raw_event","event_id":42,"payload":{}}',
  "sentinel-detector":
    '{"record":"enriched_event","event_id":"e1","ts":1700000000,"category":"auth","fields":{}}',
  "sentinel-sink":
    '{"record":"enriched_event","event_id":"e1","ts":1700000000,"category":"auth","fields":{}}',
};

for (const bin of Object.keys(WRONG_TYPES)) {
  const bad = [...BAD_LINES, WRONG_TYPES[bin]];
  const input = enc.encode([goodRaw, ...bad, goodRaw].join("\n") + "\n");
  Deno.test(`${bin}: malformed lines become dead letters with reasons and the stage exits 0`, async () => {
    // The sink writes what it stores as NDJSON to stdout with --out -.
    const args = ["--max-line-bytes", "65536", "--out", "-"];
    const r = await runPipe([{ bin, args }], { input });
    assert.equal(r.stages[0].code, 0, r.stages[0].stderr.slice(-2000));
    const out = dec.decode(r.stdout).split("\n").filter(Boolean).map((l) =>
      JSON.parse(l)
    );
    const dls = out.filter((o) => o.record === "dead_letter") as DeadLetter[];
    assert.equal(
      dls.length,
      bad.length,
      `dead letters: ${JSON.stringify(dls.map((d) => d.reason))}`,
    );
    for (const d of dls) {
      assert.equal(validateRecord(d), null);
      assert.ok(d.reason.length > 10, d.reason);
    }
    assert.deepEqual(
      dls.map((d) => d.reason_code).sort(),
      [
        "invalid_json",
        "invalid_json",
        "not_an_object",
        "oversize",
        "schema",
        "unknown_record",
      ],
    );
    // Both good events came through — parsed by the parser, passed on by the
    // detector (not its input type), stored by the sink — and nothing else.
    const good = out.filter((o) => o.record !== "dead_letter");
    assert.deepEqual(
      good.map((o) => o.record),
      bin === "sentinel-parser"
        ? ["enriched_event", "enriched_event"]
        : ["raw_event", "raw_event"],
    );
    assert.deepEqual(good.map((o) => o.event_id), [
      JSON.parse(goodRaw).event_id,
      JSON.parse(goodRaw).event_id,
    ]);
  });
}
