/**
 * Rollup minutes are DateTime, which ends at 2106-02-07 06:28:15 UTC. Rows
 * with a later time (a sender's broken clock, year 9999) are counted at the
 * last minute the rollups can hold, 2106-02-07 06:28, not wrapped round to a
 * 1970 minute where they would pass for history. The tables keep the exact
 * time, and the rollups still count every stored row.
 */
import assert from "node:assert/strict";
import { ChdbStore } from "../../stages/sink/mod.ts";
import {
  bruteForceAlert,
  parserDeadLetter,
  pendingRows,
  sshFailure,
} from "./_fixtures.ts";
import { chdbTest } from "../harness/chdb_test.ts";

const id = (n: number) =>
  `0b6c1d1e-7777-4888-8999-${n.toString(16).padStart(12, "0")}`;
const LAST_MINUTE = "2106-02-07 06:28:00";
/** ts → the rollup minute a SOC dashboard should show it at. */
const CASES: [string, string][] = [
  ["2026-11-24T10:00:30.000Z", "2026-11-24 10:00:00"],
  ["2106-02-07T06:27:59.999Z", "2106-02-07 06:27:00"], // still representable
  ["2106-02-07T06:28:15.000Z", LAST_MINUTE], // the last DateTime second
  ["2106-02-07T06:28:16.000Z", LAST_MINUTE], // the first that wrapped
  ["2106-03-01T00:00:00.000Z", LAST_MINUTE],
  ["9999-12-31T23:59:59.999Z", LAST_MINUTE],
];

async function minutes(
  store: ChdbStore,
  table: string,
  count: string,
): Promise<[string, number][]> {
  const t = await store.query(
    `SELECT toString(minute) AS m, uniqMerge(${count}) AS n FROM sentinel.${table} GROUP BY m ORDER BY m`,
    "JSONEachRow",
  );
  return t.trim().split("\n").map((l) => {
    const r = JSON.parse(l);
    return [r.m, r.n];
  });
}

/** The expected [minute, count] rows for CASES. */
const expected = () => {
  const m = new Map<string, number>();
  for (const [, minute] of CASES) m.set(minute, (m.get(minute) ?? 0) + 1);
  return [...m].sort(([a], [b]) => a.localeCompare(b));
};

chdbTest(
  import.meta.url,
  "events, alerts and dead letters after 2106-02-07 are counted at the rollups' last minute, not in 1970",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "sink_rollup_future_" });
    const store = await ChdbStore.open(dir);
    try {
      await store.applySchema();
      await store.insert(
        "events",
        pendingRows(CASES.map(([ts], i) => ({
          ...sshFailure,
          event_id: id(i),
          received_at: ts,
          ts,
        }))),
      );
      await store.insert(
        "alerts",
        pendingRows(CASES.map(([ts], i) => ({
          ...bruteForceAlert,
          alert_id: id(i).replaceAll("-", ""),
          ts,
          detected_at: ts,
          window: { start: ts, end: ts },
        }))),
      );
      await store.insert(
        "dead_letters",
        pendingRows(CASES.map(([at], i) => ({
          ...parserDeadLetter,
          dead_letter_id: id(i).replaceAll("-", ""),
          at,
        }))),
      );
      assert.deepEqual(
        await minutes(store, "events_per_minute", "events"),
        expected(),
      );
      assert.deepEqual(
        await minutes(store, "alerts_per_minute", "alerts"),
        expected(),
      );
      assert.deepEqual(
        await minutes(store, "dead_letters_per_minute", "dead_letters"),
        expected(),
      );
      // The table keeps each event's own time.
      const ts = await store.query(
        "SELECT toString(max(ts)) FROM sentinel.events",
        "TSV",
      );
      assert.equal(ts.trim(), "9999-12-31 23:59:59.999");
    } finally {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
