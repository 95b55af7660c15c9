/**
 * A record batch on the broker that cannot be decoded (its compressed bytes
 * damaged on disk). kafkajs failed the whole fetch on it, retried the same
 * offset a few times a second forever and logged that only at debug level:
 * the partition stopped silently, the batches fetched with the bad one were
 * never delivered, and an `idle_exit_ms` source even ended "idle" having
 * read nothing. Now the batch is one `undecodable` dead letter naming its
 * offsets and the decoder's error, and every other record is delivered.
 *
 * The damage is made the way it happens: bytes of the log segment's file
 * overwritten under the running broker, which serves them as they are.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { Buffer } from "node:buffer";
import {
  openKafkaSink,
  openKafkaSource,
} from "../../stages/shared/io/kafka.ts";
import {
  batchGuardApplied,
  guardBatchDecoder,
  onUndecodableTail,
  UNDECODABLE_BATCH,
} from "../../stages/shared/io/kafka_batch_guard.ts";
import { crc32C } from "../../stages/shared/io/kafka_speedups.ts";
import type { InputBatch, OutputRecord } from "../../stages/shared/io/types.ts";
import type { AnyRecord } from "../../stages/shared/records.ts";
import { createLogger, type LogFields } from "../../stages/shared/log.ts";
import {
  createCompressedTopic,
  kafkaTest,
  segmentFiles,
  startBroker,
  type TestBroker,
  testLogger,
} from "./_broker.ts";
import { adminFor } from "../../scripts/kafka/inspect.ts";
import { runStage } from "../../scripts/kafka/stage_proc.ts";

const logger = testLogger();

function records(from: number, n: number): OutputRecord[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const record = {
      record: "raw_event",
      event_id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      received_at: "2026-11-24T10:00:00.000Z",
      tenant: "default",
      source_name: "sshd",
      transport: "stdin",
      ingest_node: "test",
      payload:
        `Nov 24 10:00:00 web-01 sshd[${i}]: Failed password for root from 203.0.113.${
          i % 250
        } port ${40000 + i} ssh2`,
    } as unknown as AnyRecord;
    return { record, line: JSON.stringify(record), forwarded: false };
  });
}

/** A batch in the log segment: where it starts and its offsets. */
interface StoredBatch {
  at: number;
  size: number;
  first: number;
  last: number;
}

/** The log segment file of partition 0 of `topic`, and its batches. */
async function segment(
  b: TestBroker,
  topic: string,
): Promise<{ path: string; batches: StoredBatch[] }> {
  const [path] = await segmentFiles(b, topic);
  const bytes = await Deno.readFile(path);
  const view = new DataView(bytes.buffer);
  const batches: StoredBatch[] = [];
  for (let at = 0; at + 12 <= bytes.length;) {
    const size = 12 + view.getInt32(at + 8);
    const first = Number(view.getBigInt64(at));
    batches.push({ at, size, first, last: first + view.getInt32(at + 23) });
    at += size;
  }
  return { path, batches };
}

/** Writes records `from`…`from + 99` in one request (one stored batch). */
async function produce(b: TestBroker, topic: string, from: number) {
  const sink = await openKafkaSink(
    new URL(b.uri("", { "topic.raw_event": topic })),
    { stage: "parser", logger },
  );
  await sink.write(records(from, 100));
  await sink.close();
}

/**
 * A one-partition topic the broker compresses with `codec`, written as
 * `batches` produce requests of 100 records (one stored batch each), with
 * the compressed bytes of stored batch `damaged` overwritten.
 */
async function damagedTopic(
  b: TestBroker,
  topic: string,
  codec: string,
  batches: number,
  damaged: number,
): Promise<StoredBatch> {
  await createCompressedTopic(b, topic, codec);
  for (let w = 0; w < batches; w++) await produce(b, topic, w * 100);
  const seg = await segment(b, topic);
  assert.equal(seg.batches.length, batches, "one stored batch per write");
  const bad = seg.batches[damaged];
  const file = await Deno.open(seg.path, { write: true });
  try {
    // Past the 61-byte batch header, inside the compressed records.
    await file.seek(bad.at + 61 + 24, Deno.SeekMode.Start);
    await file.write(new Uint8Array(32).fill(0xaa));
  } finally {
    file.close();
  }
  return bad;
}

/** Every batch a source hands out until it is idle, and its log lines. */
async function drain(b: TestBroker, topic: string) {
  const logs: LogFields[] = [];
  const src = await openKafkaSource(
    new URL(b.uri(topic, { group: `read-${topic}`, idle_exit_ms: 3000 })),
    {
      stage: "parser",
      logger: createLogger("parser", "warn", (line) => {
        logs.push(JSON.parse(line));
      }),
    },
  );
  const deadline = setTimeout(() => src.close(), 60_000);
  const batches: InputBatch[] = [];
  try {
    for await (const batch of src.batches()) {
      batches.push(batch);
      await batch.commit();
    }
  } finally {
    clearTimeout(deadline);
    await src.close();
  }
  return { batches, logs, stats: src.stats?.() ?? {} };
}

kafkaTest(
  "kafka source: a damaged newest batch (its end unknown: the CRC fails, nothing after it) waits with a warning; once a batch is written after it, it is one undecodable entry and reading goes on",
  async () => {
    const b = await startBroker();
    try {
      const topic = "damaged-tail";
      const bad = await damagedTopic(b, topic, "lz4", 2, 1);
      const first = await drain(b, topic);
      assert.deepEqual(
        first.batches.flatMap((x) => x.lines),
        records(0, 100).map((r) => r.line),
      );
      assert.equal(first.batches.flatMap((x) => x.undecodable ?? []).length, 0);
      const waiting = first.logs.filter((l) =>
        /its end cannot be told yet/.test(String(l.msg))
      );
      assert.equal(waiting.length, 1, "one warning, not one per fetch");
      assert.equal(waiting[0].first_offset, "100");
      await produce(b, topic, 200);
      const second = await drain(b, topic);
      assert.deepEqual(
        second.batches.flatMap((x) => x.lines),
        records(200, 100).map((r) => r.line),
      );
      const entries = second.batches.flatMap((x) => x.undecodable ?? []);
      assert.equal(entries.length, 1);
      assert.equal(entries[0].position, `${topic}[0]@100-199`);
      assert.equal(entries[0].bytes, bad.size);
    } finally {
      await b.destroy();
    }
  },
);

for (const codec of ["gzip", "lz4"]) {
  kafkaTest(
    `kafka source: a damaged ${codec} batch on the broker is one undecodable entry with its offsets; the batches before and after it are all read`,
    async () => {
      assert.ok(batchGuardApplied, "the batch decoder is guarded");
      const b = await startBroker();
      try {
        const topic = `damaged-${codec}`;
        const bad = await damagedTopic(b, topic, codec, 3, 1);
        assert.deepEqual([bad.first, bad.last], [100, 199]);
        const { batches, logs, stats } = await drain(b, topic);
        const lines = batches.flatMap((x) => x.lines);
        const want = [...records(0, 100), ...records(200, 100)];
        assert.deepEqual(lines, want.map((r) => r.line));
        const entries = batches.flatMap((x) => x.undecodable ?? []);
        assert.equal(entries.length, 1);
        assert.equal(entries[0].position, `${topic}[0]@100-199`);
        assert.equal(entries[0].bytes, bad.size);
        assert.match(
          entries[0].reason,
          new RegExp(
            `^record batch of 100 records at offsets 100-199 \\(${bad.size} bytes, ${codec}\\) could not be decoded: .+`,
          ),
        );
        const warned = logs.filter((l) =>
          /could not be decoded/.test(String(l.msg))
        );
        assert.equal(warned.length, 1);
        assert.equal(warned[0].first_offset, "100");
        assert.equal(stats.undecodable_batches, 1);
      } finally {
        await b.destroy();
      }
    },
  );
}

kafkaTest(
  "sentinel-parser over Kafka: a damaged batch becomes one undecodable dead letter on the dead-letters topic, the group commits past it, and every other event is parsed",
  async () => {
    const b = await startBroker();
    try {
      await damagedTopic(b, "raw-damaged", "gzip", 3, 1);
      const run = await runStage("sentinel-parser", [
        "--in",
        b.uri("raw-damaged", { group: "parsers", idle_exit_ms: 3000 }),
        "--out",
        b.uri("", {
          "topic.enriched_event": "enriched-damaged",
          "topic.dead_letter": "dl-damaged",
        }),
        "--log-level",
        "warn",
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /a record batch could not be decoded/);
      const read = async (topic: string) =>
        (await drain(b, topic)).batches.flatMap((x) => x.lines).map((l) =>
          JSON.parse(l)
        );
      const enriched = await read("enriched-damaged");
      // The output topic has partitions: compare the sets of ids.
      assert.deepEqual(
        enriched.map((e) => e.event_id).sort(),
        [...records(0, 100), ...records(200, 100)].map((r) =>
          (r.record as { event_id: string }).event_id
        ),
      );
      const dls = await read("dl-damaged");
      assert.equal(dls.length, 1);
      assert.equal(dls[0].reason_code, "undecodable");
      assert.match(dls[0].reason, /^raw-damaged\[0\]@100-199: record batch/);
      assert.equal(dls[0].input, "");
      // The group committed past the damaged batch: a restart goes on.
      const admin = await adminFor(b.address);
      try {
        const [t] = await admin.fetchOffsets({
          groupId: "parsers",
          topics: ["raw-damaged"],
        });
        assert.deepEqual(t.partitions.map((p) => p.offset), ["300"]);
      } finally {
        await admin.disconnect();
      }
    } finally {
      await b.destroy();
    }
  },
);

Deno.test("batch guard: a batch cut short by the fetch size still goes to kafkajs' handling of a partial batch", async () => {
  const partial = Object.assign(new Error("partial"), {
    name: "KafkaJSPartialMessageError",
  });
  const guarded = guardBatchDecoder(() => Promise.reject(partial));
  const header = Buffer.alloc(61);
  header.writeInt32BE(200, 8); // announces 212 bytes; 61 arrived
  await assert.rejects(
    guarded({ buffer: header, offset: 0 }),
    (e) => e === partial,
  );
  // Any other error on a batch that did not arrive whole: the same.
  const other = new Error("boom");
  await assert.rejects(
    guardBatchDecoder(() => Promise.reject(other))({
      buffer: header,
      offset: 0,
    }),
    (e) => e === other,
  );
});

/**
 * A RecordBatch v2 header of `size` bytes (61 of header, then zeros) at
 * `first` with `lastOffsetDelta` and `records`, compressed as `codec`; its
 * CRC-32C is right unless `badCrc`.
 */
function batchBytes(
  first: bigint,
  opts: {
    size?: number;
    delta?: number;
    records?: number;
    attributes?: number;
    badCrc?: boolean;
  } = {},
): Buffer {
  const b = Buffer.alloc(opts.size ?? 101);
  b.writeBigInt64BE(first, 0);
  b.writeInt32BE(b.length - 12, 8);
  b.writeInt8(2, 16); // magic
  b.writeInt16BE(opts.attributes ?? 4, 21); // zstd
  b.writeInt32BE(opts.delta ?? 9, 23);
  b.writeInt32BE(opts.records ?? 10, 57);
  b.writeInt32BE(
    (crc32C(b.subarray(21)) + (opts.badCrc ? 1 : 0)) | 0,
    17,
  );
  return b;
}

const failing = (d: { offset: number }) => {
  d.offset += 30; // stopped somewhere inside
  return Promise.reject(new Error("Unknown frame descriptor"));
};

Deno.test("batch guard: a whole batch with a sound header that fails becomes one stand-in at its last offset, and decoding goes on after it", async () => {
  const batch = batchBytes(1000n);
  const buffer = Buffer.concat([batch, Buffer.from([7, 7, 7])]);
  const decoder = { buffer, offset: 0 };
  const out = await guardBatchDecoder(failing)(decoder);
  assert.equal(decoder.offset, batch.length);
  assert.equal(out.records.length, 1);
  const rec = out.records[0];
  assert.equal(rec.offset, "1009");
  assert.equal(rec.isControlRecord, false);
  assert.equal(rec.key, null);
  assert.deepEqual(rec[UNDECODABLE_BATCH], {
    firstOffset: "1000",
    lastOffset: "1009",
    records: 10,
    bytes: batch.length,
    compression: "zstd",
    error: "Unknown frame descriptor",
  });
});

Deno.test("batch guard: a damaged header (CRC fails) is not trusted: the next batch bounds the stand-in, and with none the fetch fails as before, with the warning hook called", async () => {
  // The header claims 2,000,000,000 records; the next batch starts at 1005.
  const bad = batchBytes(1000n, { delta: 2_000_000_000, badCrc: true });
  const next = batchBytes(1005n);
  const decoder = { buffer: Buffer.concat([bad, next]), offset: 0 };
  const out = await guardBatchDecoder(failing)(decoder);
  assert.equal(out.records[0].offset, "1004");
  assert.equal(out.records[0][UNDECODABLE_BATCH].lastOffset, "1004");
  // A sound header is also held to the next batch's start.
  const sound = batchBytes(1000n, { delta: 50 });
  const bounded = await guardBatchDecoder(failing)({
    buffer: Buffer.concat([sound, next]),
    offset: 0,
  });
  assert.equal(bounded.records[0].offset, "1004");
  // The newest batch: its end cannot be told. First in the response: the
  // fetch fails (kafkajs retries with back-off); after others: decoding
  // stops there, as at a cut batch, so the ones before it are delivered.
  const heard: string[][] = [];
  const stop = onUndecodableTail((first, error) => heard.push([first, error]));
  try {
    await assert.rejects(
      guardBatchDecoder(failing)({ buffer: bad, offset: 0 }),
      /Unknown frame descriptor/,
    );
    const before = batchBytes(990n, { size: 70 });
    await assert.rejects(
      guardBatchDecoder(failing)({
        buffer: Buffer.concat([before, bad]),
        offset: before.length,
      }),
      (e: Error) => e.name === "KafkaJSPartialMessageError",
    );
  } finally {
    stop();
  }
  assert.deepEqual(heard, [
    ["1000", "Unknown frame descriptor"],
    ["1000", "Unknown frame descriptor"],
  ]);
});

Deno.test("batch guard: a damaged control batch stands in as an ABORT marker, so its producer's next committed transaction is not dropped as aborted", async () => {
  const control = batchBytes(3n, { delta: 0, records: 1, attributes: 0x30 });
  const out = await guardBatchDecoder(failing)({ buffer: control, offset: 0 });
  const rec = out.records[0];
  assert.equal(rec.isControlRecord, true);
  assert.deepEqual([...rec.key], [0, 0, 0, 0]);
  assert.equal(out.isControlBatch, true);
  assert.equal(out.inTransaction, true);
  // kafkajs' own filtering: producer 0's aborted transaction (offsets 0-2),
  // the damaged marker (3), then its committed transaction (4-6).
  const filter = createRequire(import.meta.url)(
    "kafkajs/src/consumer/filterAbortedMessages.js",
  );
  const data = (offset: number) => ({
    offset: String(offset),
    key: null,
    batchContext: { producerId: "0", inTransaction: true },
  });
  const kept = filter({
    messages: [data(0), data(1), data(2), rec, data(4), data(5), data(6)],
    abortedTransactions: [{ producerId: "0", firstOffset: "0" }],
  }).filter((m: { isControlRecord?: boolean }) => !m.isControlRecord);
  assert.deepEqual(kept.map((m: { offset: string }) => m.offset), [
    "4",
    "5",
    "6",
  ]);
});
