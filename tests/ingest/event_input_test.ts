import assert from "node:assert/strict";
import {
  decodeBatch,
  type DecodeResult,
  decodeSingle,
  type EventStamp,
  rawEventLine,
} from "../../stages/ingest/event_input.ts";
import type { RawEvent } from "../../stages/shared/contracts/mod.ts";
import { exceedsJsonDepth } from "../../stages/ingest/json_depth.ts";
import { validatorFor } from "../../stages/shared/contracts/mod.ts";

const stamp: EventStamp = {
  tenant: "acme",
  ingestNode: "ingest-01",
  transport: "http",
  receivedAt: "2026-11-24T10:00:00.000Z",
  sourceName: "http",
};
const validRaw = validatorFor("raw_event");

/** The events of a decode result; each NDJSON line must say the same as its record. */
function evs(r: DecodeResult): RawEvent[] {
  assert.ok(r.ok, JSON.stringify(r));
  return r.records.map((x) => {
    assert.deepEqual(JSON.parse(x.line), x.record);
    assert.ok(!x.line.includes("\n"));
    return x.record as RawEvent;
  });
}

function nested(depth: number): string {
  return "[".repeat(depth) + "]".repeat(depth);
}

Deno.test("depth guard counts nesting and ignores brackets inside strings", () => {
  assert.equal(exceedsJsonDepth('{"a":{"b":[1]}}', 3), false);
  assert.equal(exceedsJsonDepth('{"a":{"b":[1]}}', 2), true);
  assert.equal(exceedsJsonDepth('{"a":"[[[[[[[[[[\\"[[[[["}', 1), false);
  assert.equal(exceedsJsonDepth('{"a":"\\\\"}{"b":{}}', 1), true);
  assert.equal(exceedsJsonDepth(nested(100_000), 32), true);
});

Deno.test("a plain JSON object becomes the payload of a stamped, schema-valid RawEvent", () => {
  const r = decodeSingle('{"event":{"action":"connection"}}', "json", stamp);
  assert.ok(r.ok);
  const ev = evs(r)[0];
  assert.equal(validRaw(ev), null);
  assert.deepEqual(ev.payload, { event: { action: "connection" } });
  assert.equal(ev.tenant, "acme");
  assert.equal(ev.transport, "http");
  assert.equal(ev.ingest_node, "ingest-01");
  assert.equal(ev.received_at, stamp.receivedAt);
  assert.match(ev.event_id, /^[0-9a-f-]{36}$/);
});

Deno.test("an envelope keeps source_name, format and ground_truth", () => {
  const r = decodeSingle(
    JSON.stringify({
      payload: "Nov 24 10:00:00 h sshd[1]: x",
      source_name: "sshd",
      format: "syslog",
      ground_truth: { scenario: "brute_force_ssh" },
    }),
    "json",
    stamp,
  );
  assert.ok(r.ok);
  assert.equal(evs(r)[0].source_name, "sshd");
  assert.equal(evs(r)[0].format, "syslog");
  assert.deepEqual(evs(r)[0].ground_truth, { scenario: "brute_force_ssh" });
  assert.equal(validRaw(evs(r)[0]), null);
});

Deno.test("an invalid envelope gets field-level messages", () => {
  const r = decodeSingle(
    JSON.stringify({ payload: 42, source_name: "", event_id: "x", extra: 1 }),
    "json",
    stamp,
  );
  assert.ok(!r.ok);
  assert.equal(r.status, 400);
  assert.equal(r.error, "invalid_event");
  const errors = r.details![0] as { errors: string[] };
  assert.ok(
    errors.errors.includes("/event_id is set by ingest and must not be sent"),
  );
  assert.ok(errors.errors.some((e) => e.startsWith("/source_name ")));
  assert.ok(errors.errors.some((e) => e.includes("'extra'")));
  assert.ok(
    errors.errors.some((e) => e.startsWith("/payload must be a string")),
  );
});

Deno.test("malformed, non-object, empty and too-deep single bodies are refused", () => {
  const bad = decodeSingle('{"a":', "json", stamp);
  assert.ok(!bad.ok && bad.error === "malformed_json");
  const arr = decodeSingle("[1,2]", "json", stamp);
  assert.ok(!arr.ok && arr.error === "invalid_event");
  assert.match(JSON.stringify(arr.details), /got an array/);
  const empty = decodeSingle("", "json", stamp);
  assert.ok(!empty.ok && empty.error === "empty_body");
  const deep = decodeSingle(`{"a":${nested(40)}}`, "json", stamp, {
    maxDepth: 32,
  });
  assert.ok(!deep.ok && deep.error === "too_deep");
  const ok = decodeSingle(`{"a":${nested(31)}}`, "json", stamp, {
    maxDepth: 32,
  });
  assert.ok(ok.ok);
});

Deno.test("a text body is one raw line with its trailing newline removed", () => {
  const r = decodeSingle("Nov 24 sshd: hi\n", "text", stamp);
  assert.ok(r.ok);
  assert.equal(evs(r)[0].payload, "Nov 24 sshd: hi");
  const empty = decodeSingle("\n", "text", stamp);
  assert.ok(!empty.ok && empty.error === "empty_body");
});

Deno.test("JSON array, NDJSON and text batches give one event per item with unique ids", () => {
  const arr = decodeBatch(
    '[{"a":1},"raw line",{"payload":{"b":2}}]',
    "json",
    stamp,
  );
  assert.ok(arr.ok);
  assert.equal(evs(arr).length, 3);
  assert.equal(evs(arr)[1].payload, "raw line");
  assert.deepEqual(evs(arr)[2].payload, { b: 2 });
  const nd = decodeBatch('{"a":1}\r\n\n{"a":2}\n', "ndjson", stamp);
  assert.ok(nd.ok);
  assert.deepEqual(evs(nd).map((e) => e.payload), [{ a: 1 }, { a: 2 }]);
  const text = decodeBatch("l1\nl2\n\nl3", "text", stamp);
  assert.ok(text.ok);
  assert.deepEqual(evs(text).map((e) => e.payload), ["l1", "l2", "l3"]);
  const ids = new Set(
    [...evs(arr), ...evs(nd), ...evs(text)].map((e) => e.event_id),
  );
  assert.equal(ids.size, 8);
  for (const e of [...evs(arr), ...evs(nd), ...evs(text)]) {
    assert.equal(validRaw(e), null);
  }
});

Deno.test("a batch with one bad item is refused whole, naming the index or line", () => {
  const arr = decodeBatch('[{"a":1},5,{"payload":true}]', "json", stamp);
  assert.ok(!arr.ok);
  assert.equal(arr.status, 400);
  assert.deepEqual(arr.details!.map((d) => d.index), [1, 2]);
  const nd = decodeBatch('{"a":1}\nnot json\n', "ndjson", stamp);
  assert.ok(!nd.ok);
  assert.equal(nd.details![0].line, 2);
  assert.match(nd.details![0].errors[0], /malformed JSON/);
});

Deno.test("batches over the event limit are 413, non-arrays and empty batches 400", () => {
  const big = decodeBatch(JSON.stringify([{}, {}, {}]), "json", stamp, {
    maxBatchEvents: 2,
  });
  assert.ok(!big.ok && big.status === 413 && big.error === "too_many_events");
  const bigNd = decodeBatch("{}\n{}\n{}\n", "ndjson", stamp, {
    maxBatchEvents: 2,
  });
  assert.ok(!bigNd.ok && bigNd.status === 413);
  const obj = decodeBatch('{"a":1}', "json", stamp);
  assert.ok(!obj.ok && obj.status === 400);
  const empty = decodeBatch("[]", "json", stamp);
  assert.ok(!empty.ok && empty.error === "empty_body");
  const deep = decodeBatch(`[${nested(33)}]`, "json", stamp);
  assert.ok(!deep.ok && deep.error === "too_deep");
  const deepNd = decodeBatch(`{}\n{"a":${nested(40)}}`, "ndjson", stamp);
  assert.ok(!deepNd.ok && deepNd.error === "too_deep");
});

Deno.test("a bare JSON body is spliced into the line as sent, unless it spans lines", () => {
  const body = '{"b": 2,  "a":"x\\u00e9"}';
  const r = decodeSingle(body, "json", stamp);
  assert.ok(r.ok);
  assert.ok(r.records[0].line.endsWith(`"payload":${body}}`));
  assert.deepEqual(evs(r)[0].payload, { b: 2, a: "xé" });
  const pretty = decodeSingle('{\n  "a": 1\n}', "json", stamp);
  assert.ok(pretty.ok);
  assert.ok(!pretty.records[0].line.includes("\n"));
  assert.deepEqual(evs(pretty)[0].payload, { a: 1 });
  const ev =
    evs(decodeSingle('{"payload":{"k":1},"format":"ecs"}', "json", stamp))[0];
  assert.equal(rawEventLine(ev, '{"k":1}'), JSON.stringify(ev));
});
