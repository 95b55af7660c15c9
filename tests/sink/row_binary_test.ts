/**
 * The RowBinary fast path of the chDB store: it must store exactly what the
 * JSONEachRow path stores (ClickHouse's own conversions are the reference),
 * decline every value it cannot encode exactly, and never store a row twice
 * when part of a batch is refused.
 */
import assert from "node:assert/strict";
import { ChdbStore, StoreWriter } from "../../stages/sink/mod.ts";
import { recordFromRow } from "../../stages/sink/readback.ts";
import {
  ByteWriter,
  type ColumnType,
  compileTable,
} from "../../stages/sink/row_binary.ts";
import { seedRecords } from "../../stages/demo_seed/mod.ts";
import { createLogger } from "../../stages/shared/log.ts";
import type { AnyRecord } from "../../stages/shared/records.ts";
import type { EnrichedEvent } from "../../stages/shared/contracts/mod.ts";
import {
  EVENTS,
  flowV6,
  ndjson,
  pendingRows,
  RAW_EVENTS,
  sshFailure,
  storedRows,
  sudoShell,
} from "./_fixtures.ts";
import { queryRows, sink } from "./_run.ts";
import { chdbTest } from "../harness/chdb_test.ts";

const id = (n: number) =>
  `0b6c1d1e-2222-4333-8444-${String(n).padStart(12, "0")}`;

/** Values that stress the encoder: lengths around varint and fast-path limits, escapes, non-ASCII, 64-bit counts. */
const TRICKY: EnrichedEvent[] = [
  {
    ...sshFailure,
    event_id: id(1),
    host: { name: "x".repeat(48), ip: "10.0.0.1" },
    user: {
      name: "ünïcödé",
      domain: "CORP\\dom",
      target: { name: "r\too\nt" },
    },
    source: {
      ip: "255.255.255.255",
      port: 65535,
      bytes: 5_000_000_000,
      packets: Number.MAX_SAFE_INTEGER,
      geo: { location: { lat: -33.8688, lon: 151.2093 } },
    },
    destination: { ip: "0.0.0.0", port: 0, domain: "é".repeat(49) },
    fields: { "clé": "välue", tab: "a\tb", empty: "", quote: 'it\'s "x"' },
    enrichment: { "source.asset.owner": "bob" },
    payload: "y".repeat(20_000) + " 🎉",
  },
  {
    ...sudoShell,
    event_id: id(2),
    ts: "2028-02-29T23:59:59.999Z",
    received_at: "2028-03-01T00:00:00.000Z",
    severity: "critical",
    process: {
      name: "p".repeat(200),
      pid: 4_294_967_295,
      executable: "/usr/bin/" + "z".repeat(130),
      command_line: "a\\b\\\\c",
      hash: { md5: "d41d8cd98f00b204e9800998ecf8427e", imphash: "" },
      parent: { command_line: "😀 emoji" },
    },
    dns: { question: { name: "q.example" }, answers: ["a", "", "ü", "b\tc"] },
    http: { response: { status_code: 599 }, user_agent: "ua" },
    ground_truth: { scenario: "s" },
    payload: {
      nested: { "ü": ["\u0000", 1.5, null, true], "k": "tab\there" },
      n: 12345678901234,
    },
  },
  {
    // Empty maps and arrays, explicit nulls, zeros, pre-1970 and far-future
    // times (not past the TTL's DateTime range), the largest counters,
    // non-ASCII past the JS copy limit.
    ...sshFailure,
    event_id: id(5),
    ts: "2099-12-31T23:59:59.999Z",
    received_at: "1969-12-31T23:59:59.999Z",
    host: { name: null, ip: null } as unknown as EnrichedEvent["host"],
    user: { name: "", target: {} },
    source: { ip: "0.0.0.0", port: 0, bytes: 0, packets: 0 },
    destination: { ip: "1.2.3.4", bytes: Number.MAX_SAFE_INTEGER - 1 },
    network: { bytes: 2 ** 32, packets: 2 ** 32 - 1 },
    dns: { answers: [] },
    http: { response: { status_code: 0, bytes: 2 ** 40 } },
    fields: {},
    enrichment: {},
    payload: "ü".repeat(47) + "ascii tail " + "x".repeat(100) + " 日本語",
  },
];

chdbTest(import.meta.url, "chDB RowBinary path", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "sink_rowbinary_" });
  const store = await ChdbStore.open(dir);
  try {
    await store.applySchema();
    const columns = (await store.query(
      "SELECT name, type FROM system.columns WHERE database = 'sentinel' AND table = 'events' AND default_kind IN ('', 'DEFAULT') ORDER BY position",
      "JSONEachRow",
    )).trim().split("\n").map((l) => JSON.parse(l) as ColumnType);

    await t.step(
      "stores exactly what JSONEachRow stores, and reads back equal",
      async () => {
        const events: AnyRecord[] = [
          ...EVENTS,
          ...TRICKY,
          ...seedRecords({ events: 300, alerts: 0, seed: 7 }).events,
        ];
        const viaJson: Record<string, unknown[]> = {};
        const viaBinary: Record<string, unknown[]> = {};
        for (const binary of [false, true]) {
          store.binary = binary;
          await store.query("TRUNCATE TABLE sentinel.events", "TSV");
          await store.query("TRUNCATE TABLE sentinel.raw_events", "TSV");
          await store.insert("events", pendingRows(events));
          await store.insert("raw_events", pendingRows(RAW_EVENTS));
          const into = binary ? viaBinary : viaJson;
          into.events = await storedRows(store, "events");
          into.raw_events = await storedRows(store, "raw_events");
        }
        assert.equal(viaJson.events.length, events.length);
        assert.deepEqual(viaBinary.events, viaJson.events);
        assert.deepEqual(viaBinary.raw_events, viaJson.raw_events);
        // Only the IPv6 flow took the JSON path in the binary run.
        assert.deepEqual(store.rowsByFormat, {
          JSONEachRow: events.length + RAW_EVENTS.length + 1,
          RowBinary: events.length - 1 + RAW_EVENTS.length,
        });
        // And what was stored is what was sent.
        const back = viaBinary.events.map((r) =>
          recordFromRow("events", r as Record<string, unknown>)
        );
        const byId = new Map(
          back.map((r) => [(r as EnrichedEvent).event_id, r]),
        );
        // (Except the event of explicit empties: reading back leaves out
        // empty entities, as for every stored event.)
        for (const e of [...EVENTS, ...TRICKY]) {
          if (e.event_id === id(5)) continue;
          assert.deepEqual(byId.get(e.event_id), e);
        }
      },
    );

    await t.step(
      "declines values it cannot encode exactly, leaving the buffer as it was",
      () => {
        const enc = compileTable(columns)!;
        assert.ok(enc, "the events table is encodable");
        const w = new ByteWriter(64);
        assert.equal(
          enc.encode(w, sshFailure, JSON.stringify(sshFailure)),
          true,
        );
        const after = w.pos;
        const declined: [string, unknown][] = [
          ["IPv6 text", { ...sshFailure, source: { ip: flowV6.source!.ip } }],
          ["bad IPv4", { ...sshFailure, source: { ip: "999.1.1.1" } }],
          ["leading zero", { ...sshFailure, source: { ip: "10.0.0.01" } }],
          ["no milliseconds", { ...sshFailure, ts: "2026-11-24T10:00:00Z" }],
          ["offset", { ...sshFailure, ts: "2026-11-24T10:00:00.000+02:00" }],
          ["no leap day", { ...sshFailure, ts: "2026-02-29T10:00:00.000Z" }],
          ["port as text", { ...sshFailure, source: { port: "22" } }],
          ["port out of range", { ...sshFailure, source: { port: 70000 } }],
          ["fractional pid", { ...sudoShell, process: { pid: 1.5 } }],
          ["number for a name", { ...sshFailure, host: { name: 7 } }],
          ["missing tenant", { ...sshFailure, tenant: undefined }],
          ["unknown severity", { ...sshFailure, severity: "severe" }],
          ["short event id", { ...sshFailure, event_id: "0b6c1d1e" }],
          ["map with a number", { ...sshFailure, fields: { pid: 1 } }],
          ["entity not an object", { ...sshFailure, user: "admin" }],
        ];
        for (const [why, rec] of declined) {
          assert.equal(
            enc.encode(w, rec as AnyRecord, JSON.stringify(rec)),
            false,
            why,
          );
          assert.equal(w.pos, after, `${why}: buffer restored`);
        }
        // A JSON payload is kept verbatim, so a line whose text differs from
        // re-serializing it (spacing) takes the JSON path.
        const spaced = JSON.stringify(flowV6, null, 1).replace(/\n/g, "");
        const v4 = { ...flowV6, source: { ip: "10.1.1.1" }, destination: {} };
        assert.equal(enc.encode(w, v4, JSON.stringify(v4)), true);
        assert.equal(enc.encode(w, v4, spaced), false);
      },
    );

    await t.step(
      "a buffer that grows on every row encodes the same bytes",
      () => {
        const enc = compileTable(columns)!;
        const rows = [
          ...EVENTS,
          ...TRICKY,
          ...seedRecords({ events: 200, alerts: 0, seed: 3 }).events,
        ].filter((r) => r !== flowV6);
        const big = new ByteWriter(1 << 20);
        const tiny = new ByteWriter(1);
        for (const r of rows) {
          const line = JSON.stringify(r);
          assert.ok(enc.encode(big, r, line), r.event_id);
          assert.ok(enc.encode(tiny, r, line), r.event_id);
        }
        assert.ok(big.pos > 200 * 100);
        assert.deepEqual(tiny.bytes(), big.bytes());
      },
    );

    await t.step("a batch refused in part is not stored twice", async () => {
      store.binary = true;
      await store.query("TRUNCATE TABLE sentinel.events", "TSV");
      await store.query("TRUNCATE TABLE sentinel.dead_letters", "TSV");
      // Background merges would collapse duplicates and hide them.
      await store.query("SYSTEM STOP MERGES sentinel.events", "TSV");
      const binaryBefore = store.rowsByFormat.RowBinary;
      const good = Array.from({ length: 50 }, (_, i) => ({
        ...sshFailure,
        event_id: id(100 + i),
      }));
      // Declined by the encoder, then refused by ClickHouse.
      const bad = { ...sshFailure, event_id: id(99), source: { ip: "1.2.3" } };
      const batch = [...good.slice(0, 20), bad, ...good.slice(20)];
      const writer = new StoreWriter(store, createLogger("sink", "error"), {
        maxRetries: 0,
      });
      await writer.write(
        batch.map((record) => ({
          record,
          line: JSON.stringify(record),
          forwarded: true,
        })),
      );
      await writer.close();
      assert.equal(writer.stats.stored.events, 50);
      assert.equal(writer.stats.rejected, 1);
      // Without FINAL: every row exactly once, not merely collapsed on merge.
      const n = await store.query(
        "SELECT count() AS n, uniqExact(event_id) AS u FROM sentinel.events",
        "JSONEachRow",
      );
      assert.deepEqual(JSON.parse(n), { n: 50, u: 50 });
      assert.equal(store.rowsByFormat.RowBinary - binaryBefore, 50);
      const dead = await store.query(
        "SELECT event_id, reason_code FROM sentinel.dead_letters",
        "JSONEachRow",
      );
      assert.deepEqual(JSON.parse(dead), {
        event_id: id(99),
        reason_code: "rejected_by_store",
      });
    });
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the sink's stdin is its input only: inserts during a long piped input lose nothing", async () => {
  // Far more than a pipe buffer, in small batches: inserts run while most of
  // the input is still waiting on stdin (chDB's INSERT … FROM INFILE reads
  // it as insert data; its insert API refuses to run).
  const dir = await Deno.makeTempDir({ prefix: "sink_stdin_" });
  try {
    // Both insert paths: IPv4 events (RowBinary), IPv6 flows (JSONEachRow).
    const events = Array.from({ length: 3000 }, (_, i) => ({
      ...(i % 3 ? sshFailure : flowV6),
      event_id: id(10_000 + i),
    }));
    const r = await sink(
      ["--out", `chdb:${dir}`, "--batch-rows", "100", "--summary", "text"],
      ndjson(events),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /events stored: 3,000/);
    assert.deepEqual(
      await queryRows(
        `chdb:${dir}`,
        "SELECT count() AS n FROM sentinel.events FINAL",
      ),
      [{ n: 3000 }],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
