/**
 * Compressed topics against a real broker. kafkajs reads only gzip; a topic
 * compressed with snappy, lz4 or zstd (by its producer, or by the broker's
 * `compression.type`) crashed the stage's consumer on its first fetch, four
 * times a second, forever. Here the broker itself compresses each topic with
 * Kafka's Java codecs (the bytes Java and librdkafka producers write), and
 * the source must read every record back exactly; the sink's own
 * `compression=zstd` must round-trip too. Each test checks the log segment
 * on disk holds the codec's magic bytes, so it cannot pass uncompressed.
 */
import assert from "node:assert/strict";
import {
  openKafkaSink,
  openKafkaSource,
} from "../../stages/shared/io/kafka.ts";
import type { OutputRecord } from "../../stages/shared/io/types.ts";
import type { AnyRecord } from "../../stages/shared/records.ts";
import { mulberry32 } from "../../stages/shared/random.ts";
import {
  createCompressedTopic,
  kafkaTest,
  segmentFiles,
  startBroker,
  type TestBroker,
  testLogger,
} from "./_broker.ts";

const logger = testLogger();
let broker: TestBroker | null = null;
const getBroker = async () => broker ??= await startBroker();

/** The first bytes of each codec's output, as stored in the log segment. */
const MAGIC: Record<string, number[]> = {
  gzip: [0x1f, 0x8b],
  snappy: [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00], // xerial framing
  lz4: [0x04, 0x22, 0x4d, 0x18],
  zstd: [0x28, 0xb5, 0x2f, 0xfd],
};

/**
 * 3,000 raw events, about 1 MB: repetitive log text (long matches) mixed
 * with random hex (literals), so batches span several codec blocks.
 */
function records(): OutputRecord[] {
  const next = mulberry32(42);
  const hex = () => next().toString(16).padStart(8, "0");
  return Array.from({ length: 3_000 }, (_, i) => {
    const record = {
      record: "raw_event",
      event_id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      received_at: "2026-11-24T10:00:00.000Z",
      tenant: "default",
      source_name: "sshd",
      transport: "stdin",
      ingest_node: "test",
      payload: `Nov 24 10:00:00 web-01 sshd[${i}]: Failed password for root ` +
        `from 203.0.113.${i % 250} port ${40000 + i} ssh2 ${hex()}${hex()}`,
    } as unknown as AnyRecord;
    return { record, line: JSON.stringify(record), forwarded: false };
  });
}

async function produce(b: TestBroker, topic: string, compression = "none") {
  const sink = await openKafkaSink(
    new URL(b.uri("", { "topic.raw_event": topic, compression })),
    { stage: "parser", logger },
  );
  await sink.write(records());
  await sink.close();
}

async function drain(b: TestBroker, topic: string): Promise<string[]> {
  const src = await openKafkaSource(
    new URL(b.uri(topic, { group: `read-${topic}`, idle_exit_ms: 2000 })),
    { stage: "parser", logger },
  );
  // A consumer that cannot decode the batches never goes idle (it crashes
  // and restarts): end it, so the test fails instead of hanging.
  const deadline = setTimeout(() => src.close(), 60_000);
  const lines: string[] = [];
  try {
    for await (const batch of src.batches()) {
      lines.push(...batch.lines);
      await batch.commit();
    }
  } finally {
    clearTimeout(deadline);
    await src.close();
  }
  return lines;
}

/** Whether the topic's log segments on disk contain `magic`. */
async function segmentsHold(
  b: TestBroker,
  topic: string,
  magic: number[],
): Promise<boolean> {
  for (const path of await segmentFiles(b, topic)) {
    const bytes = await Deno.readFile(path);
    outer: for (let i = 0; i + magic.length <= bytes.length; i++) {
      for (let j = 0; j < magic.length; j++) {
        if (bytes[i + j] !== magic[j]) continue outer;
      }
      return true;
    }
  }
  return false;
}

for (const codec of ["gzip", "snappy", "lz4", "zstd"]) {
  kafkaTest(
    `kafka source: a topic the broker compresses with ${codec} (Kafka's Java codec) is read whole, every record exact and in order`,
    async () => {
      const b = await getBroker();
      const topic = `compressed-${codec}`;
      await createCompressedTopic(b, topic, codec);
      await produce(b, topic);
      assert.ok(
        await segmentsHold(b, topic, MAGIC[codec]),
        `the broker stored ${codec} batches`,
      );
      assert.deepEqual(await drain(b, topic), records().map((r) => r.line));
    },
  );
}

kafkaTest(
  "kafka sink compression=zstd: the batches are stored as zstd and read back exactly",
  async () => {
    const b = await getBroker();
    // "producer": the broker keeps the batches as the sink compressed them.
    await createCompressedTopic(b, "sent-zstd", "producer");
    await produce(b, "sent-zstd", "zstd");
    assert.ok(await segmentsHold(b, "sent-zstd", MAGIC.zstd));
    assert.deepEqual(
      await drain(b, "sent-zstd"),
      records().map((r) => r.line),
    );
    await b.destroy();
    broker = null;
  },
);
