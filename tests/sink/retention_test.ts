/**
 * Retention counts from when a row was stored (`inserted_at`), not from the
 * event's time: replayed history, a skewed clock or a far-future ts are
 * stored and counted like any row, and removed only once they have been
 * stored longer than the retention (rollups too).
 */
import assert from "node:assert/strict";
import type {
  Alert,
  DeadLetter,
  EnrichedEvent,
  RawEvent,
} from "../../stages/shared/contracts/mod.ts";
import { ChdbStore } from "../../stages/sink/mod.ts";
import {
  bruteForceAlert,
  ndjson,
  parserDeadLetter,
  pendingRows,
  RAW_EVENTS,
  sshFailure,
} from "./_fixtures.ts";
import { queryRows, sink } from "./_run.ts";
import { chdbTest } from "../harness/chdb_test.ts";

const DAY = 86_400_000;
/** An ISO time `days` before now, on a whole minute (one rollup row each). */
const daysAgo = (days: number, minute = 0) =>
  new Date(
    Math.floor((Date.now() - days * DAY) / 60_000) * 60_000 + minute * 60_000,
  ).toISOString();
const id = (n: number) =>
  `0b6c1d1e-7777-4888-8999-${n.toString(16).padStart(12, "0")}`;

const event = (n: number, ts: string): EnrichedEvent => ({
  ...sshFailure,
  event_id: id(n),
  received_at: ts,
  ts,
});
/** Event times that a ts-based TTL dropped at insert. */
const EVENTS = [
  event(1, daysAgo(60)), // replayed history, older than the 30-day retention
  event(2, "1971-01-02T00:00:00.000Z"), // the oldest time the table allows
  event(3, "2106-03-01T00:00:00.000Z"), // past toDateTime's range (wraps)
  event(4, "9999-12-31T00:00:00.000Z"),
  event(5, daysAgo(0)),
];
const ALERT: Alert = {
  ...bruteForceAlert,
  ts: daysAgo(120),
  detected_at: daysAgo(120),
  window: { start: daysAgo(121), end: daysAgo(120) },
};
const DEAD: DeadLetter = { ...parserDeadLetter, at: daysAgo(60) };
const RAW: RawEvent = { ...RAW_EVENTS[0], received_at: daysAgo(60) };

const COUNTS_SQL = `SELECT
  (SELECT count() FROM sentinel.events FINAL) AS events,
  (SELECT uniqMerge(events) FROM sentinel.events_per_minute) AS events_rollup,
  (SELECT count() FROM sentinel.alerts FINAL) AS alerts,
  (SELECT uniqMerge(alerts) FROM sentinel.alerts_per_minute) AS alerts_rollup,
  (SELECT count() FROM sentinel.dead_letters FINAL) AS dead_letters,
  (SELECT uniqMerge(dead_letters) FROM sentinel.dead_letters_per_minute) AS dead_letters_rollup,
  (SELECT count() FROM sentinel.raw_events FINAL) AS raw_events`;

Deno.test("rows are stored and counted whatever their time: 60 days old, 1971, past 2106, year 9999", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sink_retention_" });
  const out = `chdb:${dir}`;
  try {
    const r = await sink(
      ["--out", out, "--summary", "text"],
      ndjson([...EVENTS, ALERT, DEAD, RAW]),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /events stored: 5/);
    assert.deepEqual(await queryRows(out, COUNTS_SQL), [{
      events: 5,
      events_rollup: 5,
      alerts: 1,
      alerts_rollup: 1,
      dead_letters: 1,
      dead_letters_rollup: 1,
      raw_events: 1,
    }]);
    // A record cannot pick its own expiry (only with --trust-input can it
    // carry the column at all): the database sets inserted_at.
    // (An IPv6 source: the row takes the JSONEachRow path, which reads
    // every column it is given.)
    const backdated = {
      ...event(6, daysAgo(1)),
      source: { ip: "2001:db8::6" },
      inserted_at: "2000-01-01T00:00:00.000Z",
    };
    const t = await sink(
      ["--out", out, "--trust-input", "--summary", "text"],
      ndjson([backdated]),
    );
    assert.equal(t.code, 0, t.stderr);
    const rows = await queryRows(
      out,
      `SELECT toString(event_id) AS id, ts, inserted_at > now() - INTERVAL 1 HOUR AS fresh FROM sentinel.events FINAL ORDER BY ts`,
    );
    assert.deepEqual(rows.map((x) => [x.id, x.fresh]), [
      [id(2), 1],
      [id(1), 1],
      [id(6), 1],
      [id(5), 1],
      [id(3), 1],
      [id(4), 1],
    ]);
    assert.deepEqual(
      rows.slice(0, 1).concat(rows.slice(4)).map((x) => x.ts),
      [
        "1971-01-02 00:00:00.000",
        "2106-03-01 00:00:00.000",
        "9999-12-31 00:00:00.000",
      ],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Makes rows look stored `days` ago (what time passing would do). */
async function age(
  store: ChdbStore,
  table: string,
  where: string,
  days: number,
  column = "now64(3)",
) {
  await store.query(
    `ALTER TABLE sentinel.${table} UPDATE inserted_at = ${column} - INTERVAL ${days} DAY WHERE ${where} SETTINGS mutations_sync = 2`,
    "TSV",
  );
}

async function counts(store: ChdbStore) {
  for (
    const t of [
      "events",
      "events_per_minute",
      "alerts",
      "alerts_per_minute",
      "dead_letters",
      "dead_letters_per_minute",
      "raw_events",
    ]
  ) await store.query(`OPTIMIZE TABLE sentinel.${t} FINAL`, "TSV");
  return JSON.parse(await store.query(COUNTS_SQL, "JSONEachRow"));
}

chdbTest(
  import.meta.url,
  "rows stored longer ago than the retention are removed (OPTIMIZE FINAL), in tables and rollups; --events-ttl-days moves the line",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "sink_retention_expiry_" });
    try {
      for (const eventsDays of [undefined, 90]) {
        const store = await ChdbStore.open(`${dir}/${eventsDays ?? "default"}`);
        try {
          await store.applySchema({ events: eventsDays });
          await store.insert("events", pendingRows(EVENTS));
          await store.insert("alerts", pendingRows([ALERT]));
          await store.insert("dead_letters", pendingRows([DEAD]));
          await store.insert("raw_events", pendingRows([RAW]));
          assert.deepEqual(await counts(store), {
            events: 5,
            events_rollup: 5,
            alerts: 1,
            alerts_rollup: 1,
            dead_letters: 1,
            dead_letters_rollup: 1,
            raw_events: 1,
          });
          // Event 1 (ts 60 days old) and its rollup minute were stored 31
          // days ago; the alert 89 days ago (within its 90); the rest now.
          const minute = `toStartOfMinute(toDateTime64('${
            EVENTS[0].ts.replace("T", " ").replace("Z", "")
          }', 3, 'UTC'))`;
          await age(store, "events", `event_id = '${id(1)}'`, 31);
          await age(
            store,
            "events_per_minute",
            `minute = ${minute}`,
            31,
            "now()",
          );
          await age(store, "alerts", "1", 89);
          await age(store, "alerts_per_minute", "1", 89, "now()");
          await age(store, "dead_letters", "1", 31);
          await age(store, "dead_letters_per_minute", "1", 31, "now()");
          await age(store, "raw_events", "1", 31);
          const kept = eventsDays === 90 ? 5 : 4;
          assert.deepEqual(await counts(store), {
            events: kept,
            events_rollup: kept,
            alerts: 1,
            alerts_rollup: 1,
            dead_letters: 0,
            dead_letters_rollup: 0,
            raw_events: 0,
          }, `events retention ${eventsDays ?? "default (30)"} days`);
          if (eventsDays === undefined) {
            const left = await store.query(
              "SELECT toString(event_id) FROM sentinel.events FINAL ORDER BY 1",
              "TSV",
            );
            assert.deepEqual(left.trim().split("\n"), [
              id(2),
              id(3),
              id(4),
              id(5),
            ]);
          }
        } finally {
          await store.close();
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
