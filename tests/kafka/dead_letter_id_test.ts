/**
 * Dead-letter ids of Kafka input: one bad message on events.enriched, read by
 * both the detector and the sink, is one dead letter in the store (the
 * ReplacingMergeTree collapses equal ids), while dead letters of piped input
 * (line numbers, no position) keep their ids from before.
 */
import assert from "node:assert/strict";
import { deadLetter } from "../../stages/shared/records.ts";
import { stableId } from "../../stages/shared/ids.ts";

const BAD = '{"record":"enriched_event","event_id":';
const AT = "events.enriched[2]@1041";

Deno.test("dead letter id: one bad Kafka message rejected by detector and sink is one id", () => {
  const det = deadLetter("detector", "invalid_json", `${AT}: bad JSON`, BAD, {
    position: AT,
  });
  const sink = deadLetter("sink", "invalid_json", `${AT}: not JSON`, BAD, {
    position: AT,
  });
  assert.equal(det.dead_letter_id, sink.dead_letter_id);
  assert.equal(det.stage, "detector"); // the record still says who saw it
  assert.equal(sink.stage, "sink");
});

Deno.test("dead letter id: another position or another reason code is another dead letter", () => {
  const id = (code: "invalid_json" | "schema", position: string) =>
    deadLetter("detector", code, "r", BAD, { position }).dead_letter_id;
  const ids = new Set([
    id("invalid_json", AT),
    id("invalid_json", "events.enriched[2]@1042"),
    id("invalid_json", "events.enriched[1]@1041"),
    id("schema", AT),
  ]);
  assert.equal(ids.size, 4);
  // A redelivery of the same message collapses.
  assert.equal(id("schema", AT), id("schema", AT));
});

Deno.test("dead letter id: without a position (pipes) it still depends on the stage, as before", () => {
  const ctx = { line: 3, event_id: "e1" };
  const p = deadLetter("parser", "schema", "line 3: bad", BAD, ctx);
  const d = deadLetter("detector", "schema", "line 3: bad", BAD, ctx);
  assert.notEqual(p.dead_letter_id, d.dead_letter_id);
  assert.equal(p.dead_letter_id, stableId("parser", "schema", "e1", 3, BAD));
  // An oversize stdin line (size known, no position) keeps its form too.
  const big = deadLetter("parser", "oversize", "too big", "head", {
    line: 9,
    input_bytes: 5_000_000,
  });
  assert.equal(
    big.dead_letter_id,
    stableId("parser", "oversize", "", 9, "head", "", 5_000_000),
  );
});
