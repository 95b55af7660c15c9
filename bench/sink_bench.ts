/**
 * Sink throughput: rows/s into the embedded chDB store (the write path, and
 * the whole sink from an NDJSON file with and without schema validation) and
 * through the HTTP path (`@clickhouse/client` → the ClickHouse-HTTP harness,
 * which itself runs on chDB in a child process).
 */
import process from "node:process";
import type { BenchOptions, BenchResult } from "./types.ts";
import { seedRecords } from "../stages/demo_seed/mod.ts";
import {
  ChdbStore,
  openStore,
  type PendingRow,
  runSink,
  StoreWriter,
} from "../stages/sink/mod.ts";
import { ByteWriter } from "../stages/sink/row_binary.ts";
import { sqlString } from "../stages/sink/sql.ts";
import { createLogger } from "../stages/shared/log.ts";
import type { OutputRecord } from "../stages/shared/io/types.ts";
import { startClickHouseHttp } from "../tests/harness/clickhouse_http.ts";

const TARGET = 200_000;

/** CPU time of this process (all threads, incl. chDB's) in ms. */
function cpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

/** "x µs CPU/row" for a measured span: comparable even when cores are contended. */
function cpuNote(cpu0: number, rows: number): string {
  return `${((cpuMs() - cpu0) * 1000 / rows).toFixed(1)} µs CPU/row`;
}

/** Runs the sink benchmarks. */
export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const n = opts.quick ? 50_000 : 300_000;
  const logger = createLogger("sink", "warn");
  const { events } = seedRecords({ events: n, alerts: 0, seed: 42 });
  const records: OutputRecord[] = events.map((record) => ({
    record,
    line: JSON.stringify(record),
    forwarded: false,
  }));
  const results: BenchResult[] = [];
  const dir = await Deno.makeTempDir({ prefix: "sink_bench_" });
  const file = `${dir}/events.ndjson`;
  await Deno.writeTextFile(file, records.map((r) => r.line).join("\n") + "\n");
  const store = await ChdbStore.open(`${dir}/chdb`, "sentinel");
  try {
    await store.applySchema();
    // The insert alone: RowBinary encoded in JS from the decoded records
    // (the default), and the JSONEachRow lines parsed by ClickHouse.
    const rows = records.map((r) => ({ line: r.line, record: r.record }));
    let t = 0;
    let cpu = 0;
    let s = 0;
    // Warm-up: JIT, the encoders' compilation, the table's first parts.
    const FORMATS = ["RowBinary", "JSONEachRow"] as const;
    const use = (format: typeof FORMATS[number]) => {
      store.binary = format !== "JSONEachRow";
    };
    for (const format of FORMATS) {
      use(format);
      await store.insert("events", rows.slice(0, 20_000));
    }
    for (const format of ["JSONEachRow", "RowBinary"] as const) {
      use(format);
      await store.query("TRUNCATE TABLE sentinel.events", "TSV");
      t = performance.now();
      cpu = cpuMs();
      for (let i = 0; i < rows.length; i += 20_000) {
        await store.insert("events", rows.slice(i, i + 20_000));
      }
      s = (performance.now() - t) / 1000;
      results.push({
        area: "sink",
        name: `chDB insert, ${n} enriched events (${format}${
          format === "RowBinary" ? ", the default" : ""
        }, batches of 20k)`,
        value: Math.round(n / s),
        unit: "rows/s",
        target: `>= ${TARGET}`,
        met: n / s >= TARGET,
        notes: `store.insert only, incl. rollup view${
          format !== "JSONEachRow" ? " and JS encoding" : ""
        }; ${cpuNote(cpu, n)}`,
      });
    }
    // The engine's share alone: the same rows encoded beforehand (as the
    // writer does on arrival), so the span holds the spool file and the
    // INSERT (parse, sort, compress, rollup view, merges it triggers).
    use("RowBinary");
    const enc = (await store.encoderFor("events"))!;
    const batches: PendingRow[][] = [];
    for (let i = 0; i < rows.length; i += 20_000) {
      const w = new ByteWriter(8 << 20);
      batches.push(
        rows.slice(i, i + 20_000).map((r) => {
          const start = w.pos;
          if (!enc.encode(w, r.record, r.line)) throw new Error("declined");
          return { line: r.line, record: null, buf: w, start, end: w.pos };
        }),
      );
    }
    await store.query("TRUNCATE TABLE sentinel.events", "TSV");
    t = performance.now();
    cpu = cpuMs();
    for (const b of batches) await store.insert("events", b);
    s = (performance.now() - t) / 1000;
    results.push({
      area: "sink",
      name:
        `chDB insert of pre-encoded RowBinary, ${n} enriched events (batches of 20k)`,
      value: Math.round(n / s),
      unit: "rows/s",
      target: `>= ${TARGET}`,
      met: n / s >= TARGET,
      notes: `engine only (spool file + INSERT, incl. rollup view); ${
        cpuNote(cpu, n)
      }`,
    });
    // The potential of a columnar (Native) encoder: the same batches
    // converted to Native by ClickHouse beforehand, then inserted like the
    // RowBinary ones (spool file + INSERT … FROM file()). Not a sink path
    // (the sink writes RowBinary); it shows what the engine would save.
    const natives: Uint8Array[] = [];
    const spool = await Deno.makeTempDir({ prefix: "sink_bench_native_" });
    const structure = sqlString(enc.structure);
    const columns = enc.columns.map((c) => `\`${c}\``).join(", ");
    for (const [i, b] of batches.entries()) {
      const bin = `${spool}/${i}.bin`;
      const w = b[0].buf!;
      await Deno.writeFile(bin, w.buf.subarray(b[0].start!, b.at(-1)!.end!));
      await store.query(
        `SELECT * FROM file(${
          sqlString(bin)
        }, 'RowBinary', ${structure}) INTO OUTFILE ${
          sqlString(`${bin}.native`)
        } FORMAT Native`,
        "TSV",
      );
      natives.push(await Deno.readFile(`${bin}.native`));
      await Deno.remove(`${bin}.native`);
      await Deno.remove(bin);
    }
    await store.query("TRUNCATE TABLE sentinel.events", "TSV");
    t = performance.now();
    cpu = cpuMs();
    for (const [i, data] of natives.entries()) {
      const file = `${spool}/${i}.native`;
      await Deno.writeFile(file, data);
      await store.query(
        `INSERT INTO sentinel.events (${columns}) SELECT * FROM file(${
          sqlString(file)
        }, 'Native', ${structure}) SETTINGS optimize_on_insert = 0`,
        "TSV",
      );
      await Deno.remove(file);
    }
    s = (performance.now() - t) / 1000;
    await Deno.remove(spool, { recursive: true });
    results.push({
      area: "sink",
      name:
        `chDB insert of pre-encoded Native, ${n} enriched events (batches of 20k)`,
      value: Math.round(n / s),
      unit: "rows/s",
      target: `>= ${TARGET}`,
      met: n / s >= TARGET,
      notes:
        `engine only, potential of a columnar encoder (same rows as above, converted by ClickHouse; ${
          (natives.reduce((a, d) => a + d.length, 0) / n).toFixed(0)
        } B/row); ${cpuNote(cpu, n)}`,
    });
    natives.length = 0;
    batches.length = 0;
    await store.query("TRUNCATE TABLE sentinel.events", "TSV");
    for (const pipeline of [false, true]) {
      await store.query("TRUNCATE TABLE sentinel.events", "TSV");
      const writer = new StoreWriter(store, logger, {
        maxRows: 20_000,
        maxBytes: 64 << 20,
        pipeline,
      });
      t = performance.now();
      cpu = cpuMs();
      for (let i = 0; i < records.length; i += 5000) {
        await writer.write(records.slice(i, i + 5000));
      }
      await writer.close();
      s = (performance.now() - t) / 1000;
      results.push({
        area: "sink",
        name: `chDB write path, ${n} enriched events (batches of 20k${
          pipeline ? ", pipelined" : ""
        })`,
        value: Math.round(n / s),
        unit: "rows/s",
        target: `>= ${TARGET}`,
        met: n / s >= TARGET,
        notes: `StoreWriter → chDB, incl. rollup view; ${cpuNote(cpu, n)}`,
      });
    }
    for (const validate of [false, true]) {
      // Fresh ids per run so nothing is deduplicated away.
      await store.query("TRUNCATE TABLE sentinel.events", "TSV");
      t = performance.now();
      cpu = cpuMs();
      const r = await runSink({
        store,
        logger,
        in: `file:${file}`,
        validate,
        handleSignals: false,
        writer: { maxRows: 20_000, maxBytes: 64 << 20 },
      });
      s = (performance.now() - t) / 1000;
      results.push({
        area: "sink",
        name: `whole sink from NDJSON into chDB${
          validate ? " (schema validation)" : " (--trust-input)"
        }, ${n} events`,
        value: Math.round(r.stats.stored.events / s),
        unit: "rows/s",
        notes: `framing, JSON decode, routing, batching, insert; ${
          cpuNote(cpu, r.stats.stored.events)
        }`,
      });
    }
  } finally {
    await store.close();
  }
  const h = await startClickHouseHttp({ dir: `${dir}/harness` });
  try {
    const http = await openStore(
      `http://default:@127.0.0.1:${h.port}/sentinel`,
      { logger },
    );
    await http.applySchema();
    const m = Math.min(n, opts.quick ? 20_000 : 100_000);
    const writer = new StoreWriter(http, logger, {
      maxRows: 20_000,
      maxBytes: 64 << 20,
    });
    const t = performance.now();
    for (let i = 0; i < m; i += 5000) {
      await writer.write(records.slice(i, i + 5000));
    }
    await writer.close();
    const s = (performance.now() - t) / 1000;
    await http.close();
    results.push({
      area: "sink",
      name:
        `HTTP path (@clickhouse/client → loopback harness on chDB), ${m} events`,
      value: Math.round(m / s),
      unit: "rows/s",
      notes:
        "harness is a test server in a child process, not a real ClickHouse",
    });
  } finally {
    await h.close();
    await Deno.remove(dir, { recursive: true });
  }
  return results;
}

if (import.meta.main) {
  console.table(await run({ quick: Deno.args.includes("--quick") }));
}
