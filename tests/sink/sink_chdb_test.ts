import assert from "node:assert/strict";
import { validateRecord } from "../../stages/shared/contracts/mod.ts";
import { readbackSql, recordFromRow } from "../../stages/sink/readback.ts";
import type { TableName } from "../../stages/sink/store.ts";
import {
  ALERTS,
  DEAD_LETTERS,
  EVENTS,
  ndjson,
  parserDeadLetter,
  sshFailure,
} from "./_fixtures.ts";
import { queryRows, sink } from "./_run.ts";
import { ChdbStore, StoreWriter } from "../../stages/sink/mod.ts";
import { createLogger } from "../../stages/shared/log.ts";
import { chdbTest } from "../harness/chdb_test.ts";

const ALL = [...EVENTS, ...ALERTS, ...DEAD_LETTERS];

async function readBack(out: string, table: TableName) {
  return (await queryRows(out, readbackSql(table))).map((r) =>
    recordFromRow(table, r)
  );
}

const byId = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  String(a.event_id ?? a.alert_id ?? a.dead_letter_id).localeCompare(
    String(b.event_id ?? b.alert_id ?? b.dead_letter_id),
  );

Deno.test("fixtures are valid records", () => {
  for (const r of ALL) {
    assert.equal(validateRecord(r), null, JSON.stringify(r).slice(0, 80));
  }
});

Deno.test("sink stores events, alerts and dead letters in chDB and they read back equal, row for row", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sink_chdb_" });
  const out = `chdb:${dir}`;
  try {
    const r = await sink(["--out", out, "--summary", "text"], ndjson(ALL));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /events stored: 5/);
    assert.match(r.stderr, /1 × SSH brute force attempts \[correlation\]/);
    assert.match(r.stderr, /1 parser\/unparseable/);

    assert.deepEqual(
      (await readBack(out, "events")).sort(byId),
      [...EVENTS].sort(byId),
    );
    assert.deepEqual(
      (await readBack(out, "alerts")).sort(byId),
      [...ALERTS].sort(byId),
    );
    assert.deepEqual(await readBack(out, "dead_letters"), DEAD_LETTERS);

    // Dashboard-style access by entity names works on the stored rows.
    const rows = await queryRows(
      out,
      "SELECT sentinel_ip_text(source.ip) AS ip, user.name AS user, count() AS n FROM sentinel.events FINAL WHERE category = 'auth' AND outcome = 'failure' GROUP BY ip, user",
    );
    assert.deepEqual(rows, [{ ip: "203.0.113.9", user: "admin", n: 1 }]);

    // Re-sending the same batch (a replay) does not duplicate.
    const again = await sink(["--out", out, "--summary", "none"], ndjson(ALL));
    assert.equal(again.code, 0, again.stderr);
    const counts = await queryRows(
      out,
      "SELECT (SELECT count() FROM sentinel.events FINAL) AS events, (SELECT count() FROM sentinel.alerts FINAL) AS alerts, (SELECT count() FROM sentinel.dead_letters FINAL) AS dead, (SELECT uniqMerge(events) FROM sentinel.events_per_minute) AS rollup",
    );
    assert.deepEqual(counts, [{ events: 5, alerts: 2, dead: 1, rollup: 5 }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rows the database refuses become dead letters with the reason; the rest is stored", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sink_reject_" });
  const out = `chdb:${dir}`;
  try {
    // Valid per the contract, but the events table requires an event time
    // after 1971 (a CHECK constraint): an epoch-0 timestamp is refused.
    const epoch = {
      ...sshFailure,
      event_id: "0b6c1d1e-1111-4222-8333-4444555566ee",
      ts: "1970-01-01T00:00:00.000Z",
    };
    // With --trust-input the sink skips schema validation; the database
    // refuses the unparseable address itself.
    const badIp = {
      ...sshFailure,
      event_id: "0b6c1d1e-1111-4222-8333-4444555566ef",
      source: { ip: "999.1.1.1" },
    };
    const input =
      ndjson([...EVENTS.slice(0, 2), epoch, EVENTS[2], badIp, EVENTS[3]]) +
      "not json\n";
    const r = await sink(
      ["--out", out, "--trust-input", "--summary", "text"],
      input,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /events stored: 4/);
    assert.match(r.stderr, /2 sink\/rejected_by_store/);
    assert.match(r.stderr, /1 sink\/invalid_json/);

    const stored = await queryRows(
      out,
      "SELECT toString(event_id) AS id FROM sentinel.events FINAL ORDER BY id",
    );
    assert.deepEqual(
      stored.map((x) => x.id),
      EVENTS.slice(0, 4).map((e) => e.event_id).sort(),
    );
    const dead = (await readBack(out, "dead_letters")).sort(
      byId,
    ) as unknown as Record<string, unknown>[];
    const rejected = dead.filter((d) => d.reason_code === "rejected_by_store");
    assert.deepEqual(rejected.map((d) => d.event_id).sort(), [
      epoch.event_id,
      badIp.event_id,
    ]);
    for (const d of rejected) {
      assert.equal(validateRecord(d), null);
      assert.equal(d.stage, "sink");
      assert.match(String(d.reason), /VIOLATED_CONSTRAINT|CANNOT_PARSE_IPV6/);
      assert.equal(JSON.parse(String(d.input)).record, "enriched_event");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("refused raw events and refused dead letters still leave a stored dead letter", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sink_reject_late_" });
  const out = `chdb:${dir}`;
  try {
    // Both tables sort after (or are) dead_letters in the flush: their
    // refusals must still be stored, in a pass after the table loop.
    const oldRaw = {
      record: "raw_event",
      event_id: "3f1c2d9e-1b2a-4c3d-8e4f-5a6b7c8d9e02",
      received_at: "1970-01-01T00:00:00.000Z",
      tenant: "acme",
      source_name: "s",
      transport: "stdin",
      ingest_node: "n",
      payload: "dated 1970",
    };
    const okRaw = {
      ...oldRaw,
      event_id: "3f1c2d9e-1b2a-4c3d-8e4f-5a6b7c8d9e01",
      received_at: "2026-11-24T10:00:00.000Z",
      payload: "ok",
    };
    const oldDead = {
      ...parserDeadLetter,
      dead_letter_id: "00000000000000000000000000000def",
      at: "1970-01-01T00:00:00.000Z",
    };
    const r = await sink(
      ["--out", out, "--summary", "text"],
      ndjson([okRaw, oldRaw, oldDead, parserDeadLetter]),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /2 sink\/rejected_by_store/);
    const dead = await readBack(out, "dead_letters") as unknown as Record<
      string,
      unknown
    >[];
    const rejected = dead.filter((d) => d.reason_code === "rejected_by_store")
      .map((d) => JSON.parse(String(d.input)));
    assert.deepEqual(rejected.map((x) => x.record).sort(), [
      "dead_letter",
      "raw_event",
    ]);
    assert.ok(rejected.some((x) => x.event_id === oldRaw.event_id));
    assert.ok(
      rejected.some((x) => x.dead_letter_id === oldDead.dead_letter_id),
    );
    assert.equal(
      dead.filter((d) => d.reason_code !== "rejected_by_store").length,
      1,
    );
    const raws = await queryRows(
      out,
      "SELECT count() AS n FROM sentinel.raw_events FINAL",
    );
    assert.deepEqual(raws, [{ n: 1 }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("schema validation (default) turns contract violations into schema dead letters", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sink_schema_" });
  const out = `chdb:${dir}`;
  try {
    const badPort = {
      ...sshFailure,
      event_id: "0b6c1d1e-1111-4222-8333-4444555566f0",
      source: { port: 70000 },
    };
    const r = await sink(
      ["--out", out, "--summary", "json"],
      ndjson([sshFailure, badPort]),
    );
    assert.equal(r.code, 0, r.stderr);
    const dead = await queryRows(
      out,
      "SELECT reason_code, event_id, reason FROM sentinel.dead_letters FINAL",
    );
    assert.equal(dead.length, 1);
    assert.equal(dead[0].reason_code, "schema");
    assert.equal(dead[0].event_id, badPort.event_id);
    assert.match(String(dead[0].reason), /port/);
    const summary = r.stderr.split("\n").filter((l) =>
      l.includes('"sink summary"')
    ).map((l) =>
      JSON.parse(l)
    )[0];
    assert.equal(summary.stored.events, 1);
    assert.equal(summary.stored.dead_letters, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

chdbTest(
  import.meta.url,
  "many small batches (encoding buffers reused from flush to flush) read back equal, row for row",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "sink_chdb_batches_" });
    // Rows of different lengths, so that a reused buffer still holding (or
    // being overwritten under) another batch shows up as garbled rows.
    const events = Array.from({ length: 23 }, (_, i) => ({
      ...sshFailure,
      event_id: `0b6c1d1e-1111-4222-8333-${String(i).padStart(12, "0")}`,
      user: { name: "u".repeat(1 + (i * 7) % 40) },
      payload: `${sshFailure.payload} #${"x".repeat((i * 13) % 90)}`,
    }));
    const all = [...EVENTS, ...events];
    const store = await ChdbStore.open(`${dir}/store`);
    try {
      await store.applySchema();
      const writer = new StoreWriter(store, createLogger("sink", "error"), {
        maxRows: 4,
      });
      for (let i = 0; i < all.length; i += 3) {
        await writer.write(
          all.slice(i, i + 3).map((record) => ({
            record,
            line: JSON.stringify(record),
            forwarded: true,
          })),
        );
      }
      await writer.close();
      assert.equal(writer.stats.stored.events, all.length);
      assert.ok(writer.stats.flushes >= 4, `${writer.stats.flushes} flushes`);
      const rows = JSON.parse(
        `[${
          (await store.query(readbackSql("events"), "JSONEachRow")).trim()
            .split("\n").join(",")
        }]`,
      ) as Record<string, unknown>[];
      assert.deepEqual(
        rows.map((r) => recordFromRow("events", r)).sort(byId),
        all.sort(byId),
      );
    } finally {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
