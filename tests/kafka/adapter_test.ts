/**
 * The Kafka adapter against a real broker: records land on the topic of
 * their type, keyed by entity; offsets are committed only when the runner
 * says so, so an uncommitted batch is delivered again; consumption waits for
 * the commit; a write issued while the broker is down completes once it is
 * back; two consumers in one group share the partitions without loss.
 */
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import {
  openKafkaSink,
  openKafkaSource,
  quietNodeWarnings,
} from "../../stages/shared/io/kafka.ts";
import type { InputBatch, OutputRecord } from "../../stages/shared/io/types.ts";
import type { AnyRecord } from "../../stages/shared/records.ts";
import {
  KAFKA_SKIP,
  kafkaTest,
  startBroker,
  type TestBroker,
  testLogger,
} from "./_broker.ts";
import {
  adminFor,
  groupCommitted,
  topicEnd,
} from "../../scripts/kafka/inspect.ts";

const logger = testLogger();
let broker: TestBroker | null = null;
const getBroker = async () => broker ??= await startBroker();

function rawEvent(i: number, source = "sshd"): AnyRecord {
  return {
    record: "raw_event",
    event_id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    received_at: "2026-11-24T10:00:00.000Z",
    tenant: "default",
    source_name: source,
    transport: "stdin",
    ingest_node: "test",
    payload: `line ${i}`,
  } as unknown as AnyRecord;
}

function enriched(i: number, ip: string): AnyRecord {
  return {
    record: "enriched_event",
    event_id: `10000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    ts: "2026-11-24T10:00:00.000Z",
    category: "auth",
    source: { ip },
    fields: {},
  } as unknown as AnyRecord;
}

const out = (record: AnyRecord, forwarded = false): OutputRecord => ({
  record,
  line: JSON.stringify(record),
  forwarded,
});

const opts = (group?: string) => ({
  stage: "parser" as const,
  logger,
  defaultGroup: group,
});

/**
 * Reads a topic with a fresh group until idle, committing every batch; fails
 * once more than `limit` lines arrive (a redelivery loop).
 */
async function drain(
  b: TestBroker,
  topic: string,
  group: string,
  limit = 100_000,
) {
  const src = await openKafkaSource(
    new URL(b.uri(topic, { group, idle_exit_ms: 1500 })),
    opts(),
  );
  const lines: string[] = [];
  for await (const batch of src.batches()) {
    lines.push(...batch.lines);
    await batch.commit();
    if (lines.length > limit) {
      await src.close();
      assert.fail(`${topic}: more than ${limit} lines read (redelivered?)`);
    }
  }
  await src.close();
  return lines;
}

/**
 * Writes `records` through the adapter's sink to the raw-event topic
 * `topic` (more sink URI `params` added), `chunk` records a write.
 */
async function produceRaw(
  b: TestBroker,
  topic: string,
  records: OutputRecord[],
  params: Record<string, string | number> = {},
  chunk = Math.max(records.length, 1),
) {
  const sink = await openKafkaSink(
    new URL(b.uri("", { "topic.raw_event": topic, ...params })),
    opts(),
  );
  for (let i = 0; i < records.length; i += chunk) {
    await sink.write(records.slice(i, i + chunk));
  }
  await sink.close();
}

kafkaTest(
  "kafka sink: each record type goes to its topic, forwarded records are skipped, one entity's events share a partition",
  async () => {
    const b = await getBroker();
    const sink = await openKafkaSink(
      new URL(b.uri("", { partitions: 4 })),
      opts(),
    );
    assert.ok(sink.ready());
    const recs: OutputRecord[] = [];
    for (let i = 0; i < 20; i++) {
      recs.push(out(enriched(i, i % 2 ? "203.0.113.9" : "198.51.100.7")));
    }
    recs.push(out(rawEvent(1), true)); // forwarded: already on events.raw
    recs.push(out(rawEvent(2)));
    await sink.write(recs);
    await sink.close();

    const raw = await drain(b, "events.raw", "check-raw");
    assert.deepEqual(raw.map((l) => JSON.parse(l).event_id), [
      (rawEvent(2) as { event_id: string }).event_id,
    ]);

    // Partition of every enriched event, read with a plain kafkajs consumer.
    quietNodeWarnings();
    const kafka = new Kafka({
      brokers: [b.address],
      logLevel: logLevel.NOTHING,
    });
    const c = kafka.consumer({ groupId: "check-partitions" });
    await c.connect();
    await c.subscribe({ topics: ["events.enriched"], fromBeginning: true });
    const partsByIp = new Map<string, Set<number>>();
    let seen = 0;
    await new Promise<void>((resolve) => {
      c.run({
        eachMessage: ({ partition, message }) => {
          const ip = JSON.parse(message.value!.toString()).source.ip;
          assert.equal(message.key?.toString(), ip);
          if (!partsByIp.has(ip)) partsByIp.set(ip, new Set());
          partsByIp.get(ip)!.add(partition);
          if (++seen === 20) resolve();
          return Promise.resolve();
        },
      });
    });
    await c.disconnect();
    assert.equal(partsByIp.size, 2);
    for (const [ip, parts] of partsByIp) {
      assert.equal(parts.size, 1, `${ip} spread over partitions ${[...parts]}`);
    }
  },
);

kafkaTest(
  "kafka source: a batch that was never committed is delivered again to the next consumer of the group; committed batches are not",
  async () => {
    const b = await getBroker();
    const topic = "commit.semantics";
    const all = Array.from({ length: 60 }, (_, i) => rawEvent(i));
    await produceRaw(b, topic, all.map((r) => out(r)), { partitions: 2 });
    const ids = (lines: string[]) =>
      lines.map((l) => JSON.parse(l).event_id as string);

    // First consumer: commit batches until 20 records are done, then take one
    // more batch and stop without committing it (as if the stage crashed).
    const first = await openKafkaSource(
      new URL(b.uri(topic, { group: "g-commit", max_batch: 7 })),
      opts(),
    );
    const committed: string[] = [];
    let uncommitted: string[] = [];
    for await (const batch of first.batches()) {
      if (committed.length >= 20) {
        uncommitted = ids(batch.lines);
        break;
      }
      committed.push(...ids(batch.lines));
      await batch.commit();
    }
    await first.close();
    assert.ok(uncommitted.length > 0);

    // Second consumer in the same group: gets everything not committed,
    // including the abandoned batch, and nothing that was committed.
    const secondSrc = await openKafkaSource(
      new URL(b.uri(topic, { group: "g-commit", idle_exit_ms: 1500 })),
      opts(),
    );
    const second: string[] = [];
    for await (const batch of secondSrc.batches()) {
      second.push(...ids(batch.lines));
      await batch.commit();
    }
    await secondSrc.close();
    for (const id of uncommitted) assert.ok(second.includes(id), `lost ${id}`);
    for (const id of committed) {
      assert.ok(!second.includes(id), `${id} redelivered after commit`);
    }
    assert.deepEqual(
      [...committed, ...second].sort(),
      ids(all.map((r) => JSON.stringify(r))).sort(),
    );

    // A third consumer of the group finds nothing left.
    assert.deepEqual(await drain(b, topic, "g-commit"), []);
  },
);

kafkaTest(
  "kafka source: batches of several partitions waiting in the queue come as one batch, and its commit covers every partition",
  async () => {
    const b = await getBroker();
    const topic = "coalesce";
    const all = Array.from({ length: 60 }, (_, i) => rawEvent(i));
    await produceRaw(b, topic, all.map((r) => out(r)), { partitions: 3 });
    const admin = await adminFor(b.address);
    const filled = (await admin.fetchTopicOffsets(topic)).filter((p) =>
      Number(p.high) > 0
    );
    await admin.disconnect();
    assert.equal(filled.length, 3, "the records should span 3 partitions");

    const src = await openKafkaSource(
      new URL(b.uri(topic, { group: "g-coalesce", max_batch: 100 })),
      opts(),
    );
    const it = src.batches()[Symbol.asyncIterator]();
    const batches = [(await it.next()).value as InputBatch];
    let n = batches[0].lines.length;
    // The other partitions' batches arrive while the first is held.
    await new Promise((r) => setTimeout(r, 1500));
    while (n < all.length) {
      const next = (await it.next()).value as InputBatch;
      batches.push(next);
      n += next.lines.length;
    }
    assert.equal(n, all.length);
    assert.ok(
      batches.length <= 2,
      `3 partitions came as ${batches.length} batches, not coalesced`,
    );
    for (const batch of batches) await batch.commit();
    await src.close();
    assert.deepEqual(await drain(b, topic, "g-coalesce"), []);
  },
);

kafkaTest(
  "kafka source: a batch committed after a later one, while the later commit is still on its way, does not move the group's offset back",
  async () => {
    const b = await getBroker();
    const topic = "commit.order";
    await produceRaw(
      b,
      topic,
      Array.from({ length: 30 }, (_, i) => out(rawEvent(i))),
      { partitions: 1 },
    );
    const src = await openKafkaSource(
      new URL(b.uri(topic, { group: "g-order", max_batch: 10 })),
      opts(),
    );
    const it = src.batches()[Symbol.asyncIterator]();
    const got: InputBatch[] = [];
    for (let n = 0; n < 30;) {
      const batch = (await it.next()).value as InputBatch;
      batch.release!(); // output written, commit held back (the detector)
      got.push(batch);
      n += batch.lines.length;
    }
    // The newest batch's commit is sent at once; the oldest, acknowledged
    // in the same moment, must not follow it to the broker.
    const last = got[got.length - 1];
    await Promise.all([last.commit(), got[0].commit()]);
    await src.close();
    const admin = await adminFor(b.address);
    try {
      assert.equal(await groupCommitted(admin, "g-order", [topic]), 30);
    } finally {
      await admin.disconnect();
    }
    assert.deepEqual(await drain(b, topic, "g-order"), []);
  },
);

kafkaTest(
  "kafka source: no further batch is handed out until the current one is committed (back-pressure)",
  async () => {
    const b = await getBroker();
    const topic = "backpressure";
    await produceRaw(
      b,
      topic,
      Array.from({ length: 30 }, (_, i) => out(rawEvent(i))),
      { partitions: 1 },
    );
    const src = await openKafkaSource(
      new URL(
        b.uri(topic, { group: "g-bp", max_batch: 10, max_inflight: 10 }),
      ),
      opts(),
    );
    const it = src.batches()[Symbol.asyncIterator]();
    const firstBatch = (await it.next()).value as InputBatch;
    assert.equal(firstBatch.lines.length, 10);
    let secondArrived = false;
    const second = it.next().then((r) => {
      secondArrived = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(secondArrived, false, "a batch was handed out before commit");
    await firstBatch.commit();
    const secondBatch = (await second).value as InputBatch;
    assert.equal(secondBatch.lines.length, 10);
    assert.notEqual(secondBatch.lines[0], firstBatch.lines[0]);
    await secondBatch.commit();
    await src.close();
  },
);

kafkaTest(
  "kafka sink: a write issued while the broker is down completes once it is back, and the record is stored",
  async () => {
    const b = await getBroker();
    const topic = "outage";
    const sink = await openKafkaSink(
      new URL(b.uri("", { "topic.raw_event": topic, partitions: 1 })),
      opts(),
    );
    await sink.write([out(rawEvent(1))]);
    await b.stop();
    let done = false;
    const pending = sink.write([out(rawEvent(2))]).then(() => done = true);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(done, false, "write resolved with the broker down");
    await b.start();
    await pending;
    await sink.close();
    const ids = (await drain(b, topic, "g-outage")).map((l) =>
      JSON.parse(l).event_id
    );
    assert.deepEqual(
      [...new Set(ids)].sort(),
      [rawEvent(1), rawEvent(2)].map((r) =>
        (r as { event_id: string }).event_id
      ),
    );
  },
);

kafkaTest(
  "kafka: plain and gzip batches round-trip every line byte for byte, in order, and commit exactly the offsets read",
  async () => {
    const b = await getBroker();
    // What the adapter's record encoder and decoder must carry unchanged:
    // multi-byte UTF-8, JSON escapes, an empty-ish payload, a 200 KB line.
    const payloads = [
      "Nov 24 10:00:00 web-01 sshd[1]: Failed password for root",
      "user=\u00e9l\u00e8ve café ☃ 𝄞 Привет 日本語",
      "",
      "x".repeat(200_000),
      'quote " backslash \\ tab \t',
    ];
    for (const compression of ["none", "gzip"]) {
      const topic = `roundtrip.${compression}`;
      const sent = Array.from({ length: 3000 }, (_, i) => {
        const r = rawEvent(i) as unknown as Record<string, unknown>;
        r.payload = `${payloads[i % payloads.length]} #${i}`;
        return out(r as unknown as AnyRecord);
      });
      // Several writes, so several record batches.
      await produceRaw(b, topic, sent, { partitions: 1, compression }, 700);
      const group = `g-roundtrip-${compression}`;
      const got = await drain(b, topic, group, sent.length);
      assert.equal(got.length, sent.length, compression);
      for (let i = 0; i < sent.length; i++) {
        if (got[i] !== sent[i].line) {
          assert.fail(`${compression}: line ${i} differs after the round trip`);
        }
      }
      // The committed offset is the one after the last record read: offsets
      // the decoder computed are the broker's.
      const admin = await adminFor(b.address);
      const committed = await groupCommitted(admin, group, [topic]);
      const end = await topicEnd(admin, [topic]);
      await admin.disconnect();
      assert.equal(committed, sent.length);
      assert.equal(end, sent.length);
    }
  },
);

kafkaTest(
  "kafka source: two consumers in one group split the partitions and together see every record",
  async () => {
    const b = await getBroker();
    const topic = "shared.group";
    const all = Array.from({ length: 200 }, (_, i) => rawEvent(i));
    await produceRaw(b, topic, all.map((r) => out(r)), { partitions: 4 });
    // Small batches processed slowly, so the second member joins while the
    // first is still busy and the group rebalances mid-stream.
    const uri = new URL(
      b.uri(topic, { group: "g-two", idle_exit_ms: 2500, max_batch: 5 }),
    );
    const [s1, s2] = await Promise.all([
      openKafkaSource(uri, opts()),
      openKafkaSource(uri, opts()),
    ]);
    const read = async (s: typeof s1) => {
      const got: string[] = [];
      for await (const batch of s.batches()) {
        got.push(...batch.lines.map((l) => JSON.parse(l).event_id));
        await new Promise((r) => setTimeout(r, 100));
        await batch.commit();
      }
      await s.close();
      return got;
    };
    const [a, c] = await Promise.all([read(s1), read(s2)]);
    const union = new Set([...a, ...c]);
    assert.equal(union.size, 200);
    assert.ok(a.length > 0 && c.length > 0, `split ${a.length}/${c.length}`);
  },
);

kafkaTest(
  "kafka sink: a topic made elsewhere with a small max.message.bytes still receives every record (requests are split)",
  async () => {
    const b = await getBroker();
    const topic = "small.messages";
    const admin = await adminFor(b.address);
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{
        topic,
        numPartitions: 1,
        configEntries: [{ name: "max.message.bytes", value: "4096" }],
      }],
    });
    await admin.disconnect();
    const all = Array.from({ length: 100 }, (_, i) => rawEvent(i));
    await produceRaw(b, topic, all.map((r) => out(r)), {
      max_request_bytes: 65536,
    });
    const got = (await drain(b, topic, "g-small")).map((l) =>
      JSON.parse(l).event_id
    );
    assert.deepEqual(
      got,
      all.map((r) => (r as { event_id: string }).event_id),
      "records lost or reordered",
    );
  },
);

kafkaTest(
  "kafka source: every line and oversize message names its topic[partition]@offset",
  async () => {
    const b = await getBroker();
    const topic = "positions.raw";
    const admin = await adminFor(b.address);
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 1 }],
    });
    await admin.disconnect();
    quietNodeWarnings();
    const kafka = new Kafka({
      brokers: [b.address],
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    // Offsets 0-4: two identical bad lines, an oversize one, then good lines.
    await producer.send({
      topic,
      messages: ["not json", "not json", "x".repeat(3000), "{}", "not json"]
        .map((value) => ({ value })),
    });
    await producer.disconnect();
    const src = await openKafkaSource(
      new URL(b.uri(topic, { group: "g-positions", idle_exit_ms: 1500 })),
      { ...opts(), maxLineBytes: 1024 },
    );
    const lines: [string, string][] = [];
    const oversize: [number, string | undefined][] = [];
    for await (const batch of src.batches()) {
      batch.lines.forEach((l, i) => lines.push([l, batch.positionOf!(i)]));
      for (const o of batch.oversize ?? []) {
        oversize.push([o.bytes, o.position]);
      }
      await batch.commit();
    }
    await src.close();
    assert.deepEqual(lines, [
      ["not json", `${topic}[0]@0`],
      ["not json", `${topic}[0]@1`],
      ["{}", `${topic}[0]@3`],
      ["not json", `${topic}[0]@4`],
    ]);
    assert.deepEqual(oversize, [[3000, `${topic}[0]@2`]]);
  },
);

if (!KAFKA_SKIP) {
  Deno.test({
    name: "kafka adapter: stop the test broker",
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      await broker?.destroy();
    },
  });
}
