/**
 * Applying the schema to a store that already exists brings it to what the
 * flags and the current init.sql say: init.sql only creates `IF NOT
 * EXISTS`, so without the upgrade a changed `--events-ttl-days`, or the move
 * of retention to `inserted_at`, was silently ignored on an existing store.
 */
import assert from "node:assert/strict";
import {
  applySchema,
  ChdbStore,
  schemaStatements,
} from "../../stages/sink/mod.ts";
import { recordingLogger } from "./_logger.ts";
import { ndjson, pendingRows, sshFailure } from "./_fixtures.ts";
import { sink } from "./_run.ts";
import { startClickHouseHttp } from "../harness/clickhouse_http.ts";
import { chdbTest } from "../harness/chdb_test.ts";

const id = (n: number) =>
  `0b6c1d1e-7777-4888-8999-${n.toString(16).padStart(12, "0")}`;
const event = (n: number) => ({
  ...sshFailure,
  event_id: id(n),
  received_at: new Date().toISOString(),
  ts: new Date().toISOString(),
});

/** TTL clause of every sentinel table, from system.tables. */
async function ttls(store: ChdbStore): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const text = await store.query(
    "SELECT name, engine_full FROM system.tables WHERE database = 'sentinel' AND engine LIKE '%MergeTree' ORDER BY name",
    "JSONEachRow",
  );
  for (const l of text.trim().split("\n")) {
    const r = JSON.parse(l);
    out[r.name] = / TTL (.+?)(?: SETTINGS |$)/.exec(r.engine_full)?.[1] ?? "";
  }
  return out;
}

/** Things that change when a table's definition or data is altered. */
async function alterMarks(store: ChdbStore): Promise<string> {
  return await store.query(
    `SELECT
      (SELECT groupArray((name, metadata_modification_time)) FROM (SELECT * FROM system.tables WHERE database = 'sentinel' ORDER BY name)),
      (SELECT count() FROM system.mutations WHERE database = 'sentinel')`,
    "TSV",
  );
}

async function eventIds(store: ChdbStore): Promise<string[]> {
  await store.query("OPTIMIZE TABLE sentinel.events FINAL", "TSV");
  const t = await store.query(
    "SELECT toString(event_id) FROM sentinel.events ORDER BY 1",
    "TSV",
  );
  return t.trim() ? t.trim().split("\n") : [];
}

/** Makes event `n` look stored `days` ago (what time passing would do). */
async function age(store: ChdbStore, n: number, days: number) {
  await store.query(
    `ALTER TABLE sentinel.events UPDATE inserted_at = now64(3) - INTERVAL ${days} DAY WHERE event_id = '${
      id(n)
    }' SETTINGS mutations_sync = 2`,
    "TSV",
  );
}

chdbTest(
  import.meta.url,
  "a store created with 30-day retention, reopened with --events-ttl-days 90, keeps a row stored 31 days ago; a run without the flag keeps 90; 30 again removes it",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "sink_schema_ttl_" });
    try {
      let store = await ChdbStore.open(dir);
      try {
        await store.applySchema();
        assert.equal(
          (await ttls(store)).events,
          "toDateTime(inserted_at) + toIntervalDay(30)",
        );
        await store.insert("events", pendingRows([event(1), event(2)]));
      } finally {
        await store.close();
      }

      store = await ChdbStore.open(dir);
      try {
        const logger = recordingLogger();
        await store.applySchema({ events: 90 }, logger);
        const t = await ttls(store);
        assert.equal(t.events, "toDateTime(inserted_at) + toIntervalDay(90)");
        assert.equal(t.events_per_minute, "inserted_at + toIntervalDay(90)");
        // Other families keep their retention.
        assert.equal(t.alerts, "toDateTime(inserted_at) + toIntervalDay(90)");
        assert.equal(
          t.dead_letters,
          "toDateTime(inserted_at) + toIntervalDay(30)",
        );
        assert.ok(
          logger.lines.some((l) =>
            l.startsWith("info schema upgraded") &&
            l.includes("sentinel.events")
          ),
          logger.lines.join("\n"),
        );
        await age(store, 1, 31);
        assert.deepEqual(await eventIds(store), [id(1), id(2)]);

        // Applying the same again changes nothing (no ALTER, no mutation).
        const before = await alterMarks(store);
        await store.applySchema({ events: 90 });
        await store.applySchema(); // no flag: the 90 days chosen earlier stay
        assert.equal(await alterMarks(store), before);
        assert.equal(
          (await ttls(store)).events,
          "toDateTime(inserted_at) + toIntervalDay(90)",
        );

        // Shortening reaches rows already stored, not only new parts.
        await store.applySchema({ events: 30 });
        assert.deepEqual(await eventIds(store), [id(2)]);
      } finally {
        await store.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

const OLD_INIT_SQL = new URL(
  "./fixtures/init_before_a47e285.sql",
  import.meta.url,
);

chdbTest(
  import.meta.url,
  "a store created by the schema before a47e285 (TTL on ts, rollups without inserted_at, minutes that wrap past 2106) is upgraded by the sink and keeps its rows",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "sink_schema_old_" });
    try {
      const store = await ChdbStore.open(dir);
      try {
        for (
          const st of schemaStatements(await Deno.readTextFile(OLD_INIT_SQL))
        ) await store.query(st, "TSV");
        await store.insert("events", pendingRows([event(1)]));
        const old = await ttls(store);
        assert.equal(old.events, "toDateTime(ts) + toIntervalDay(30)");
        assert.equal(old.events_per_minute, "minute + toIntervalDay(30)");
      } finally {
        await store.close();
      }

      const r = await sink(
        ["--out", `chdb:${dir}`, "--alerts-ttl-days", "120"],
        ndjson([event(2), { ...event(3), ts: "2106-03-01T00:00:00.000Z" }]),
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /schema upgraded/);

      const again = await ChdbStore.open(dir);
      try {
        assert.deepEqual(await ttls(again), {
          alerts: "toDateTime(inserted_at) + toIntervalDay(120)",
          alerts_per_minute: "inserted_at + toIntervalDay(120)",
          dead_letters: "toDateTime(inserted_at) + toIntervalDay(30)",
          dead_letters_per_minute: "inserted_at + toIntervalDay(30)",
          events: "toDateTime(inserted_at) + toIntervalDay(30)",
          events_per_minute: "inserted_at + toIntervalDay(30)",
          raw_events: "toDateTime(inserted_at) + toIntervalDay(30)",
        });
        const rollup = JSON.parse(
          await again.query(
            "SELECT uniqMerge(events) AS events, max(inserted_at) > now() - INTERVAL 1 HOUR AS fresh, toString(max(minute)) AS last FROM sentinel.events_per_minute",
            "JSONEachRow",
          ),
        );
        // The view now counts a ts past 2106-02-07 at the last minute.
        assert.deepEqual(rollup, {
          events: 3,
          fresh: 1,
          last: "2106-02-07 06:28:00",
        });
        assert.deepEqual(await eventIds(again), [id(1), id(2), id(3)]);
      } finally {
        await again.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("over HTTP (a ClickHouse server), --create-schema upgrades a store made by the old schema to the flags' TTLs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sink_schema_http_" });
  const ch = await startClickHouseHttp({ dir });
  try {
    for (const st of schemaStatements(await Deno.readTextFile(OLD_INIT_SQL))) {
      await ch.sql(st);
    }
    const r = await sink(
      [
        "--out",
        `http://default:@127.0.0.1:${ch.port}/sentinel`,
        "--create-schema",
        "--events-ttl-days",
        "90",
      ],
      ndjson([event(1)]),
    );
    assert.equal(r.code, 0, r.stderr);
    const rows = (await ch.sql(
      "SELECT name, engine_full FROM system.tables WHERE database = 'sentinel' AND name IN ('events', 'events_per_minute', 'dead_letters') ORDER BY name",
      "JSONEachRow",
    )).trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(
      rows.map((x) => / TTL (.+?)(?: SETTINGS |$)/.exec(x.engine_full)?.[1]),
      [
        "toDateTime(inserted_at) + toIntervalDay(30)",
        "toDateTime(inserted_at) + toIntervalDay(90)",
        "inserted_at + toIntervalDay(90)",
      ],
    );
  } finally {
    await ch.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an upgrade the database refuses (no ALTER grant) does not stop the sink: a warning gives the exact statements to run", async () => {
  const run: string[] = [];
  const logger = recordingLogger();
  const applied = await applySchema({
    exec(sql) {
      run.push(sql);
      if (sql.startsWith("ALTER")) {
        return Promise.reject(
          new Error(
            "Code: 497. DB::Exception: sentinel: Not enough privileges",
          ),
        );
      }
      return Promise.resolve();
    },
    select(sql) {
      if (sql.includes("system.tables")) {
        return Promise.resolve(
          JSON.stringify({
            name: "events",
            engine_full:
              "ReplacingMergeTree PARTITION BY toYYYYMM(ts) ORDER BY (tenant, category, ts, event_id) TTL toDateTime(ts) + toIntervalDay(30) SETTINGS index_granularity = 8192",
            sel: null,
          }) + "\n",
        );
      }
      return Promise.resolve(""); // system.columns: not asked about here
    },
  }, { retention: { events: 45 }, logger });
  assert.deepEqual(applied.map((u) => u.object), []);
  assert.ok(run.some((s) => s.startsWith("CREATE TABLE IF NOT EXISTS")));
  const warning = logger.lines.find((l) =>
    l.startsWith("warn schema upgrade refused") && l.includes("MODIFY TTL")
  );
  assert.ok(warning, logger.lines.join("\n"));
  assert.ok(
    warning.includes(
      "ALTER TABLE sentinel.events MODIFY TTL toDateTime(inserted_at) + toIntervalDay(45) SETTINGS mutations_sync = 2;",
    ),
    warning,
  );
  assert.ok(warning.includes("Not enough privileges"), warning);
});
