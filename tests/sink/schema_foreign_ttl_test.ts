/**
 * A retention the sink did not write (an operator's `INTERVAL 1 YEAR`, a
 * table without TTL, tiered moves, `DELETE WHERE`, several rules) survives
 * a plain sink start: without a retention flag the sink leaves it as it is
 * and says so; with the family's flag given it is replaced, as asked, and
 * the log says what was replaced. Before, any TTL that was not
 * `toIntervalDay(N)` became the declared 30 days and the rows went.
 */
import assert from "node:assert/strict";
import {
  ChdbStore,
  type ExistingObject,
  type KeptRetention,
  readInitSql,
  schemaUpgrades,
} from "../../stages/sink/mod.ts";
import { recordingLogger } from "./_logger.ts";
import { pendingRows, sshFailure } from "./_fixtures.ts";
import { chdbTest } from "../harness/chdb_test.ts";

const id = (n: number) =>
  `0b6c1d1e-7777-4888-8999-${n.toString(16).padStart(12, "0")}`;

async function eventsEngine(store: ChdbStore): Promise<string> {
  return JSON.parse(
    await store.query(
      "SELECT engine_full FROM system.tables WHERE database = 'sentinel' AND name = 'events'",
      "JSONEachRow",
    ),
  ).engine_full;
}

async function stored(store: ChdbStore, n: number): Promise<boolean> {
  await store.query("OPTIMIZE TABLE sentinel.events FINAL", "TSV");
  return (await store.query(
    `SELECT count() FROM sentinel.events WHERE event_id = '${id(n)}'`,
    "TSV",
  )).trim() === "1";
}

/**
 * Operator retentions as typed (`MODIFY TTL …`, or `REMOVE TTL`), each
 * keeping a row stored 60 days ago, which the declared 30 days would delete.
 */
const FOREIGN_TTLS: Record<string, string | null> = {
  "one year": "toDateTime(inserted_at) + INTERVAL 1 YEAR",
  "three months": "toDateTime(inserted_at) + INTERVAL 3 MONTH",
  "ten weeks": "toDateTime(inserted_at) + INTERVAL 10 WEEK",
  "2000 hours": "toDateTime(inserted_at) + INTERVAL 2000 HOUR",
  "no TTL at all (REMOVE TTL)": null,
  "a move to another disk":
    "toDateTime(inserted_at) + INTERVAL 7 DAY TO DISK 'default'",
  "DELETE WHERE (only informational events expire)":
    "toDateTime(inserted_at) + INTERVAL 7 DAY DELETE WHERE severity = 'informational'",
  "several rules":
    "toDateTime(inserted_at) + INTERVAL 1 YEAR, toDateTime(inserted_at) + INTERVAL 7 DAY TO DISK 'default'",
  "days on the bare DateTime64 column": "inserted_at + INTERVAL 365 DAY",
};

chdbTest(
  import.meta.url,
  "an operator's TTL survives a sink start without retention flags (engine unchanged, a 60-day-old row kept through OPTIMIZE FINAL, one info line); --events-ttl-days replaces it and the warning names what it replaced",
  async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "sink_foreign_ttl_" });
    const store = await ChdbStore.open(dir);
    try {
      await store.applySchema();
      let n = 0;
      for (const [form, ttl] of Object.entries(FOREIGN_TTLS)) {
        await t.step(form, async () => {
          const row = ++n;
          await store.insert(
            "events",
            pendingRows([{
              ...sshFailure,
              event_id: id(row),
              ts: new Date().toISOString(),
            }]),
          );
          await store.query(
            ttl === null
              ? "ALTER TABLE sentinel.events REMOVE TTL"
              : `ALTER TABLE sentinel.events MODIFY TTL ${ttl}`,
            "TSV",
          );
          await store.query(
            `ALTER TABLE sentinel.events UPDATE inserted_at = now64(3) - INTERVAL 60 DAY WHERE event_id = '${
              id(row)
            }' SETTINGS mutations_sync = 2`,
            "TSV",
          );
          const engine = await eventsEngine(store);

          const logger = recordingLogger();
          await store.applySchema(undefined, logger); // a plain sink start
          assert.equal(await eventsEngine(store), engine);
          assert.ok(await stored(store, row), "the aged row was deleted");
          const kept = logger.lines.filter((l) => l.includes("retention kept"));
          assert.equal(kept.length, 1, logger.lines.join("\n"));
          assert.match(kept[0], /^info /);
          assert.ok(kept[0].includes('"object":"sentinel.events"'), kept[0]);
          const found = / TTL (.+?) SETTINGS /.exec(engine)?.[1] ?? "(none)";
          assert.ok(kept[0].includes(JSON.stringify(found)), kept[0]);
          assert.ok(!logger.lines.some((l) => l.includes("schema upgraded")));

          // Asked for explicitly: replaced, and the log says what it was.
          const asked = recordingLogger();
          await store.applySchema({ events: 45 }, asked);
          assert.match(
            await eventsEngine(store),
            / TTL toDateTime\(inserted_at\) \+ toIntervalDay\(45\) SETTINGS /,
          );
          const warning = asked.lines.find((l) =>
            l.startsWith("warn schema upgraded") &&
            l.includes('"object":"sentinel.events"')
          );
          assert.ok(warning, asked.lines.join("\n"));
          assert.ok(
            warning.includes(`"replaced":${JSON.stringify(found)}`),
            warning,
          );
          assert.equal(await stored(store, row), false);
        });
      }
    } finally {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

/** The events table with `ttl`, as system.tables shows it. */
const eventsWith = (ttl: string): Map<string, ExistingObject> =>
  new Map([["events", {
    engineFull:
      `ReplacingMergeTree PARTITION BY toYYYYMM(ts) ORDER BY (tenant, category, ts, event_id) TTL ${ttl} SETTINGS index_granularity = 8192`,
    columns: new Set(["inserted_at"]),
  }]]);

Deno.test("a tiered TTL (TO VOLUME, which the embedded store cannot define) is kept without a flag and replaced with one", async () => {
  const sql = await readInitSql();
  const ttl =
    "toDateTime(inserted_at) + toIntervalDay(30), toDateTime(inserted_at) + toIntervalDay(7) TO VOLUME 'cold'";
  const kept: KeptRetention[] = [];
  const ups = schemaUpgrades(sql, {}, eventsWith(ttl), new Map(), kept);
  assert.deepEqual(ups.filter((u) => u.reason.startsWith("TTL")), []);
  assert.deepEqual(kept, [{
    object: "sentinel.events",
    ttl,
    flag: "--events-ttl-days",
  }]);

  const asked = schemaUpgrades(
    sql,
    { retention: { events: 30 } },
    eventsWith(ttl),
  )
    .find((u) => u.reason.startsWith("TTL"));
  assert.equal(asked?.replacesForeignTtl, ttl);
  assert.equal(
    asked?.statements.at(-1),
    "ALTER TABLE sentinel.events MODIFY TTL toDateTime(inserted_at) + toIntervalDay(30) SETTINGS mutations_sync = 2",
  );
});

Deno.test("the sink's own TTLs are still upgraded without a flag: the event-time form from before a47e285 moves to inserted_at keeping its days, and is not reported as an operator's", async () => {
  const sql = await readInitSql();
  const kept: KeptRetention[] = [];
  const [up] = schemaUpgrades(
    sql,
    {},
    eventsWith("toDateTime(ts) + toIntervalDay(60)"),
    new Map(),
    kept,
  ).filter((u) => u.reason.startsWith("TTL"));
  assert.deepEqual(kept, []);
  assert.equal(up.replacesForeignTtl, undefined);
  assert.equal(
    up.statements.at(-1),
    "ALTER TABLE sentinel.events MODIFY TTL toDateTime(inserted_at) + toIntervalDay(60) SETTINGS mutations_sync = 2",
  );
  // The current form with its days is left as it is.
  assert.deepEqual(
    schemaUpgrades(
      sql,
      {},
      eventsWith("toDateTime(inserted_at) + toIntervalDay(60)"),
      new Map(),
      kept,
    ).filter((u) => u.reason.startsWith("TTL")),
    [],
  );
  assert.deepEqual(kept, []);
});
