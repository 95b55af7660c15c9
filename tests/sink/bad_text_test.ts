/**
 * Text the database cannot take as is: lone UTF-16 surrogates (valid JSON
 * escapes, accepted by ingest from any HTTP client) and values ClickHouse
 * refuses (an IPv6 zone). Either is stored (lone surrogates as U+FFFD, the
 * same in every column and on every insert path) or becomes a dead letter
 * with the database's reason; the sink never stops on it.
 */
import assert from "node:assert/strict";
import type {
  EnrichedEvent,
  RawEvent,
} from "../../stages/shared/contracts/mod.ts";
import { ChdbStore, classifyCode } from "../../stages/sink/mod.ts";
import { readbackSql, recordFromRow } from "../../stages/sink/readback.ts";
import { startClickHouseHttp } from "../harness/clickhouse_http.ts";
import { flowV6, ndjson, pendingRows, sshFailure } from "./_fixtures.ts";
import { queryRows, sink } from "./_run.ts";
import { chdbTest } from "../harness/chdb_test.ts";

const LONE_HIGH = "\ud800";
const LONE_LOW = "\udfff";
const R = "\ufffd";
const id = (n: number) =>
  `0b6c1d1e-5555-4666-8777-${n.toString(16).padStart(12, "0")}`;

/** A lone surrogate in a Map value and key, beside a JSON-object payload (the reviewer's crash). */
const inFields: EnrichedEvent = {
  ...flowV6,
  event_id: id(1),
  source: { ip: "10.11.20.22", port: 52228 },
  destination: { ip: "104.16.23.35", port: 443 },
  fields: { k: LONE_HIGH, [LONE_LOW]: "x" },
};
/** In an entity's name and a log-line payload. */
const inUser: EnrichedEvent = {
  ...sshFailure,
  event_id: id(2),
  user: { name: `${LONE_HIGH}bob` },
  payload: `x${LONE_HIGH}y`,
};
/** In a JSON-object payload, inside an array element and as a low half first. */
const inPayload: EnrichedEvent = {
  ...flowV6,
  event_id: id(3),
  source: { ip: "10.1.1.1" },
  destination: {},
  dns: {
    question: { name: "q.example" },
    answers: [`${LONE_LOW}${LONE_HIGH}`],
  },
  fields: {},
  payload: { message: LONE_HIGH, pair: "😀" },
};
const rawEvent: RawEvent = {
  record: "raw_event",
  event_id: id(4),
  received_at: "2026-11-24T10:00:00.000Z",
  tenant: "acme",
  source_name: "app",
  transport: "http",
  ingest_node: "n",
  payload: { message: LONE_HIGH },
};
const neighbour: EnrichedEvent = { ...sshFailure, event_id: id(5) };
const EVENTS = [inFields, inUser, inPayload, neighbour];

/** What a reader sees for the events and the raw event, by id. */
const EXPECTED = {
  [id(1)]: { user: null, fields: { k: R, [R]: "x" }, answers: [] },
  [id(2)]: { user: `${R}bob`, fields: sshFailure.fields, answers: [] },
  [id(3)]: { user: null, fields: {}, answers: [`${R}${R}`] },
  [id(5)]: { user: "admin", fields: sshFailure.fields, answers: [] },
};
const PAYLOADS = {
  [id(1)]: null, // the JSON text of the line, as sent
  [id(2)]: `x${R}y`,
  [id(3)]: `{"message":"${R}","pair":"😀"}`,
  [id(5)]: sshFailure.payload,
};

const EVENTS_SQL =
  "SELECT toString(event_id) AS id, user.name AS user, fields, dns.answers AS answers, payload, isValidUTF8(concat(ifNull(user.name, ''), toString(fields), arrayStringConcat(dns.answers), payload)) AS utf8 FROM sentinel.events FINAL ORDER BY id";
const RAW_SQL =
  "SELECT toString(event_id) AS id, payload FROM sentinel.raw_events FINAL";

/** Checks the stored events against {@link EXPECTED}. */
function assertStoredEvents(rows: Record<string, unknown>[]) {
  assert.deepEqual(rows.map((r) => r.id), Object.keys(EXPECTED).sort());
  for (const r of rows) {
    const id = String(r.id);
    const want = EXPECTED[id];
    assert.equal(r.utf8, 1, `${id}: stored text is valid UTF-8`);
    assert.equal(r.user, want.user, id);
    assert.deepEqual(r.fields, want.fields, id);
    assert.deepEqual(r.answers, want.answers, id);
    const payload = PAYLOADS[id];
    if (payload !== null) assert.equal(r.payload, payload, id);
    else {
      // Kept as its JSON text; the lone surrogate in it is U+FFFD too.
      assert.equal(String(r.payload).includes("\\ud800"), false);
      assert.deepEqual(JSON.parse(String(r.payload)), inFields.payload);
    }
  }
}

Deno.test("lone surrogates are stored as U+FFFD in every column; the batch and its neighbours are stored", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sink_surrogate_" });
  const out = `chdb:${dir}`;
  try {
    const r = await sink(
      ["--out", out, "--max-retries", "1", "--summary", "text"],
      ndjson([...EVENTS, rawEvent]),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /events stored: 4/);
    assert.match(r.stderr, /raw events stored: 1/);
    assert.doesNotMatch(r.stderr, /rejected_by_store|retrying/);
    assertStoredEvents(await queryRows(out, EVENTS_SQL));
    assert.deepEqual(await queryRows(out, RAW_SQL), [
      { id: id(4), payload: `{"message":"${R}"}` },
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

chdbTest(
  import.meta.url,
  "RowBinary and JSONEachRow store the same text for lone surrogates",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "sink_surrogate_paths_" });
    const store = await ChdbStore.open(dir);
    try {
      await store.applySchema();
      const seen: string[] = [];
      for (const binary of [true, false]) {
        store.binary = binary;
        await store.query("TRUNCATE TABLE sentinel.events", "TSV");
        await store.query("TRUNCATE TABLE sentinel.raw_events", "TSV");
        await store.insert("events", pendingRows(EVENTS));
        await store.insert("raw_events", pendingRows([rawEvent]));
        const text = await store.query(EVENTS_SQL, "JSONEachRow") +
          await store.query(RAW_SQL, "JSONEachRow");
        assertStoredEvents(
          text.trim().split("\n").slice(0, 4).map((l) => JSON.parse(l)),
        );
        seen.push(text);
      }
      assert.equal(seen[0], seen[1]);
      // Both paths were exercised (the spaced JSON payload always takes JSON).
      assert.ok(store.rowsByFormat.RowBinary >= 3, "RowBinary used");
      assert.ok(store.rowsByFormat.JSONEachRow >= 5, "JSONEachRow used");
    } finally {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("a value the database refuses (IPv6 zone, --trust-input) becomes a dead letter with the reason; the sink goes on", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sink_zone_" });
  const out = `chdb:${dir}`;
  try {
    const zoned = {
      ...sshFailure,
      event_id: id(9),
      source: { ip: "fe80::1%eth0" },
    };
    const r = await sink(
      [
        "--out",
        out,
        "--trust-input",
        "--max-retries",
        "1",
        "--summary",
        "text",
      ],
      ndjson([neighbour, zoned, inUser]),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /events stored: 2/);
    assert.match(r.stderr, /1 sink\/rejected_by_store/);
    assert.doesNotMatch(r.stderr, /retrying/);
    const dead = (await queryRows(out, readbackSql("dead_letters"))).map((
      x,
    ) => recordFromRow("dead_letters", x) as unknown as Record<string, string>);
    assert.equal(dead.length, 1);
    assert.equal(dead[0].event_id, zoned.event_id);
    assert.equal(dead[0].reason_code, "rejected_by_store");
    assert.match(dead[0].reason, /Code: 632\./);
    assert.equal(JSON.parse(dead[0].input).source.ip, "fe80::1%eth0");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("over HTTP, lone surrogates are stored as U+FFFD too", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sink_surrogate_http_" });
  const ch = await startClickHouseHttp({ dir, user: "u", password: "p" });
  try {
    const r = await sink([
      "--out",
      `http://u:p@127.0.0.1:${ch.port}/sentinel`,
      "--create-schema",
      "--max-retries",
      "1",
      "--summary",
      "text",
    ], ndjson([...EVENTS, rawEvent]));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /events stored: 4/);
    const rows = (await ch.sql(EVENTS_SQL)).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    assertStoredEvents(rows);
  } finally {
    await ch.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("store failures: a refusal of the data is never retried; no answer, overload and a busy server are", () => {
  // The database answered with a code it uses for bad data, or one the sink
  // does not know: the rows are bisected and dead-lettered, not retried.
  for (const code of [25, 632, 6, 469, 12345]) {
    assert.equal(classifyCode(code), "rejected", String(code));
  }
  // No answer (connection refused, reset, timeout) and overload: retried.
  for (const code of [undefined, 202, 209, 241, 252, 159]) {
    assert.equal(classifyCode(code), "transient", String(code));
  }
  for (const code of [516, 60, 81, 497]) {
    assert.equal(classifyCode(code), "fatal", String(code));
  }
});
