/**
 * A retention change on an existing store recalculates the stored parts'
 * expiry from `inserted_at` only (`materialize_ttl_recalculate_only = 1`),
 * rewriting no data: without that setting ClickHouse materializes the TTL by
 * reading and rewriting every column of every part (and deletes the expired
 * rows right in the ALTER), which on a large store is hours of I/O at a
 * sink start.
 *
 * Seen in the part's files: a wide part (one file per column) materialized
 * recalculate-only keeps the other columns' files hard-linked (same inode)
 * in the new part; a full materialization writes them all anew. Verified
 * against this chDB both ways (with and without the setting).
 */
import assert from "node:assert/strict";
import { ChdbStore } from "../../stages/sink/mod.ts";
import { pendingRows, sshFailure } from "./_fixtures.ts";
import { chdbTest } from "../harness/chdb_test.ts";

const id = (n: number) =>
  `0b6c1d1e-7777-4888-8999-${n.toString(16).padStart(12, "0")}`;

/** The active part of sentinel.events: its name and each file's inode. */
async function activePart(
  store: ChdbStore,
): Promise<{ name: string; type: string; inodes: Map<string, number> }> {
  const rows = (await store.query(
    "SELECT name, part_type AS type, path FROM system.parts WHERE database = 'sentinel' AND table = 'events' AND active",
    "JSONEachRow",
  )).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(rows.length, 1, JSON.stringify(rows));
  const inodes = new Map<string, number>();
  for await (const f of Deno.readDir(rows[0].path)) {
    const ino = (await Deno.stat(`${rows[0].path}/${f.name}`)).ino;
    assert.ok(ino !== null, "no inode numbers on this platform");
    inodes.set(f.name, ino);
  }
  return { name: rows[0].name, type: rows[0].type, inodes };
}

chdbTest(
  import.meta.url,
  "shortening --events-ttl-days on a stored part rewrites no column but inserted_at (files hard-linked), and expired rows go with the next merge, not in the ALTER",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "sink_ttl_recalc_" });
    const store = await ChdbStore.open(dir);
    try {
      await store.applySchema({ events: 90 });
      // Wide parts: one file per column, so a rewritten column shows.
      await store.query(
        "ALTER TABLE sentinel.events MODIFY SETTING min_bytes_for_wide_part = 0",
        "TSV",
      );
      await store.insert(
        "events",
        pendingRows([1, 2].map((n) => ({
          ...sshFailure,
          event_id: id(n),
          ts: new Date().toISOString(),
        }))),
      );
      await store.query(
        `ALTER TABLE sentinel.events UPDATE inserted_at = now64(3) - INTERVAL 60 DAY WHERE event_id = '${
          id(1)
        }' SETTINGS mutations_sync = 2`,
        "TSV",
      );
      const before = await activePart(store);
      assert.equal(before.type, "Wide");

      await store.applySchema({ events: 30 });

      const after = await activePart(store);
      // The TTL was materialized on the stored part (a new part version) …
      assert.notEqual(after.name, before.name);
      // … and every column file but inserted_at's is the same file.
      const rewritten = [...after.inodes]
        .filter(([f, ino]) =>
          f.endsWith(".bin") && before.inodes.get(f) !== ino
        )
        .map(([f]) => f);
      assert.deepEqual(rewritten, ["inserted_at.bin"]);
      const count = async () =>
        (await store.query("SELECT count() FROM sentinel.events", "TSV"))
          .trim();
      assert.equal(await count(), "2"); // the ALTER deleted nothing itself
      await store.query("OPTIMIZE TABLE sentinel.events FINAL", "TSV");
      assert.equal(await count(), "1"); // the 60-day-old row expired
    } finally {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
