/**
 * Regression tests for the code-review findings on the parser (B12–B19,
 * H44/H46/H47): each asserts what a user of the pipeline would notice.
 */
import assert from "node:assert/strict";
import type {
  DeadLetter,
  EnrichedEvent,
} from "../../stages/shared/contracts/mod.ts";
import { validateRecord } from "../../stages/shared/contracts/mod.ts";
import { FIELD_VALUE_MAX } from "../../stages/parser/_flatten.ts";
import { parseOne } from "./_helpers.ts";

function enriched(r: EnrichedEvent | DeadLetter): EnrichedEvent {
  assert.equal(r.record, "enriched_event", JSON.stringify(r).slice(0, 300));
  return r as EnrichedEvent;
}

function dead(r: EnrichedEvent | DeadLetter): DeadLetter {
  assert.equal(r.record, "dead_letter", JSON.stringify(r).slice(0, 300));
  return r as DeadLetter;
}

// B12: a huge JSON string value is not copied whole next to the payload.
Deno.test("B12: a 600 KB JSON value is capped in fields, kept whole in the payload", () => {
  const big = "x".repeat(600_000);
  for (
    const payload of [
      { message: big, user: { name: "bob" } },
      JSON.stringify({ note: big, user: "bob" }),
    ]
  ) {
    const ev = enriched(parseOne(payload));
    const key = typeof payload === "string" ? "note" : "message";
    assert.equal(ev.fields[key].length, FIELD_VALUE_MAX);
    assert.equal(ev.fields[key], big.slice(0, FIELD_VALUE_MAX));
    assert.equal(ev.fields["parser.truncated"], key);
    assert.ok(JSON.stringify(ev).length < 600_000 + 20_000);
    assert.deepEqual(ev.payload, payload);
    assert.equal(validateRecord(ev), null);
  }
});

Deno.test("B12: short values are untouched and unmarked; a cut never splits a surrogate pair", () => {
  const ev = enriched(parseOne({ message: "short", a: "y".repeat(4096) }));
  assert.equal(ev.fields["parser.truncated"], undefined);
  assert.equal(ev.fields.a.length, 4096);
  const emoji = "a".repeat(FIELD_VALUE_MAX - 1) + "😀".repeat(10);
  const cut = enriched(parseOne({ msg: emoji })).fields.msg;
  assert.equal(cut, "a".repeat(FIELD_VALUE_MAX - 1));
  assert.equal(cut.isWellFormed(), true);
});
