/**
 * The Native (columnar) block encoder: a block it writes, inserted into the
 * real schema, stores exactly what the JSONEachRow path stores for the same
 * records (ClickHouse's own conversions are the reference), and a record it
 * cannot encode exactly is declined without disturbing the block.
 */
import assert from "node:assert/strict";
import { ChdbStore } from "../../stages/sink/mod.ts";
import type { ColumnType } from "../../stages/sink/row_binary.ts";
import { compileNative } from "../../stages/sink/native.ts";
import { sqlString } from "../../stages/sink/sql.ts";
import { seedRecords } from "../../stages/demo_seed/mod.ts";
import type { AnyRecord } from "../../stages/shared/records.ts";
import type { EnrichedEvent } from "../../stages/shared/contracts/mod.ts";
import {
  EVENTS,
  flowV6,
  pendingRows,
  RAW_EVENTS,
  sshFailure,
  storedRows,
  sudoShell,
} from "./_fixtures.ts";

const id = (n: number) =>
  `0b6c1d1e-3333-4333-8444-${String(n).padStart(12, "0")}`;

/** Unicode, escapes, empties, explicit nulls, 64-bit counts, JSON payloads. */
const VARIED: EnrichedEvent[] = [
  {
    ...sshFailure,
    event_id: id(1),
    user: {
      name: "ünïcödé 😀",
      domain: "CORP\\dom",
      target: { name: "r\too" },
    },
    source: {
      ip: "255.255.255.255",
      port: 65535,
      bytes: 5_000_000_000,
      packets: Number.MAX_SAFE_INTEGER,
      geo: { location: { lat: -33.8688, lon: 151.2093 } },
    },
    fields: { "clé": "välue", empty: "", quote: 'it\'s "x"' },
    enrichment: {},
    payload: "é".repeat(60) + " 🎉",
  },
  {
    ...sudoShell,
    event_id: id(2),
    ts: "2028-02-29T23:59:59.999Z",
    received_at: "1969-12-31T23:59:59.999Z",
    process: {
      name: "p".repeat(200),
      pid: 4_294_967_295,
      hash: { md5: "d41d8cd98f00b204e9800998ecf8427e", imphash: "" },
      parent: { command_line: "a\\b" },
    },
    dns: { question: { name: "q.example" }, answers: ["a", "", "ü"] },
    http: { response: { status_code: 0, bytes: 2 ** 40 } },
    host: { name: null, ip: null } as unknown as EnrichedEvent["host"],
    fields: {},
    payload: { nested: { "ü": ["\u0000", 1.5, null, true] }, n: 1e15 },
  },
];

Deno.test("chDB Native block encoder", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "sink_native_" });
  const store = await ChdbStore.open(`${dir}/db`);
  const columnsOf = async (table: string) =>
    (await store.query(
      `SELECT name, type FROM system.columns WHERE database = 'sentinel' AND table = '${table}' AND default_kind IN ('', 'DEFAULT') ORDER BY position`,
      "JSONEachRow",
    )).trim().split("\n").map((l) => JSON.parse(l) as ColumnType);
  const rowsIn = (table: "events" | "raw_events") => storedRows(store, table);
  try {
    await store.applySchema();
    for (
      const [table, records] of [
        [
          "events",
          [
            ...EVENTS,
            ...VARIED,
            ...seedRecords({ events: 300, alerts: 0, seed: 11 }).events,
          ],
        ],
        ["raw_events", RAW_EVENTS],
      ] as const
    ) {
      await t.step(
        `${table}: stores exactly what JSONEachRow stores`,
        async () => {
          const enc = compileNative(await columnsOf(table));
          assert.ok(enc, `${table} is encodable as Native`);
          const accepted: AnyRecord[] = [];
          for (const r of records) {
            if (enc.add(r, JSON.stringify(r))) accepted.push(r);
          }
          // Only the IPv6 flow is declined (IPv6 text takes the JSON path).
          assert.deepEqual(
            records.filter((r) => !accepted.includes(r)),
            table === "events" ? [flowV6] : [],
          );
          assert.equal(enc.rows, accepted.length);
          const file = `${dir}/${table}.native`;
          await Deno.writeFile(file, enc.finish());
          await store.query(`TRUNCATE TABLE sentinel.${table}`, "TSV");
          await store.query(
            `INSERT INTO sentinel.${table} (${
              enc.columns.map((c) => `\`${c}\``).join(", ")
            }) SELECT * FROM file(${sqlString(file)}, 'Native', ${
              sqlString(enc.structure)
            })`,
            "TSV",
          );
          const viaNative = await rowsIn(table);
          store.binary = false;
          await store.query(`TRUNCATE TABLE sentinel.${table}`, "TSV");
          await store.insert(table, pendingRows(accepted));
          const viaJson = await rowsIn(table);
          assert.equal(viaJson.length, accepted.length);
          assert.deepEqual(viaNative, viaJson);
          assert.equal(enc.rows, 0, "finish starts a new block");
        },
      );
    }

    await t.step(
      "store.insert sends decoded rows as Native, declined ones as JSONEachRow",
      async () => {
        const records = [
          ...EVENTS,
          ...VARIED,
          ...seedRecords({ events: 200, alerts: 0, seed: 5 }).events,
        ];
        const read: Record<string, unknown[]> = {};
        let before = { ...store.rowsByFormat };
        for (const native of [false, true]) {
          store.native = native;
          store.binary = native;
          await store.query("TRUNCATE TABLE sentinel.events", "TSV");
          before = { ...store.rowsByFormat };
          await store.insert("events", pendingRows(records));
          read[String(native)] = await rowsIn("events");
        }
        assert.equal(read.true.length, records.length);
        assert.deepEqual(read.true, read.false);
        // Only the IPv6 flow took the JSON path in the Native run.
        assert.deepEqual(store.rowsByFormat, {
          Native: before.Native + records.length - 1,
          RowBinary: before.RowBinary,
          JSONEachRow: before.JSONEachRow + 1,
        });
        // A row the database refuses fails the insert as a refusal (the
        // writer then isolates it into a dead letter).
        await assert.rejects(
          store.insert("events", pendingRows([{ ...sshFailure, tenant: "" }])),
          (e: Error & { kind?: string }) => e.kind === "rejected",
        );
      },
    );

    await t.step("a declined record leaves the block as it was", async () => {
      const enc = compileNative(await columnsOf("events"))!;
      const line = (r: AnyRecord) => JSON.stringify(r);
      enc.add(sshFailure, line(sshFailure));
      const clean = enc.finish().slice();
      enc.add(sshFailure, line(sshFailure));
      // Each fails late in the row, after many streams were written.
      for (
        const bad of [
          { ...sshFailure, ground_truth: { scenario: 7 } },
          { ...sshFailure, fields: { pid: 1 } },
          { ...sshFailure, dns: { answers: ["a", 2] } },
          flowV6,
        ]
      ) assert.equal(enc.add(bad as AnyRecord, line(bad as AnyRecord)), false);
      assert.deepEqual(enc.finish(), clean);
    });
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
