/**
 * A topic deleted and recreated under a running stage (`kafka-topics
 * --delete` + create, as dev and test setups do) starts its offsets again at
 * 0. The source used to take the new records for a replay of what it had
 * handed out (offsets below the old position) and skip them all: the stage
 * never saw them, and its commits, below the old ones, were never sent. Now
 * the source sees that the partition's log is not the one it read, hands
 * every new record over, commits the new log's progress (so a restart does
 * not read it again) and drops the old log's late commits.
 */
import assert from "node:assert/strict";
import type { Admin } from "kafkajs";
import { adminFor, groupCommitted } from "../../scripts/kafka/inspect.ts";
import {
  openKafkaSink,
  openKafkaSource,
} from "../../stages/shared/io/kafka.ts";
import type { InputBatch, RecordSource } from "../../stages/shared/io/types.ts";
import type { AnyRecord } from "../../stages/shared/records.ts";
import {
  KAFKA_SKIP,
  kafkaTest,
  startBroker,
  type TestBroker,
  testLogger,
  waitFor,
} from "./_broker.ts";

const logger = testLogger();
let broker: TestBroker | null = null;
const getBroker = async () => broker ??= await startBroker();

function rawEvent(id: string): AnyRecord {
  return {
    record: "raw_event",
    event_id: id,
    received_at: "2026-11-24T10:00:00.000Z",
    tenant: "default",
    source_name: "sshd",
    transport: "stdin",
    ingest_node: "test",
    payload: `Failed password for root from 45.155.205.9 (${id})`,
  } as unknown as AnyRecord;
}

/** Event ids `${era}-0` … of `n` records. */
const ids = (era: string, n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `${era}-${from + i}`);

async function produce(b: TestBroker, topic: string, eventIds: string[]) {
  const sink = await openKafkaSink(
    new URL(b.uri("", { "topic.raw_event": topic, partitions: 1 })),
    { stage: "parser", logger },
  );
  await sink.write(eventIds.map((id) => {
    const record = rawEvent(id);
    return { record, line: JSON.stringify(record), forwarded: false };
  }));
  await sink.close();
}

/** Deletes `topic`, waits until the broker has let it go, creates it again. */
async function recreate(admin: Admin, topic: string) {
  await admin.deleteTopics({ topics: [topic], timeout: 10_000 });
  await waitFor(
    `${topic} to be deleted`,
    async () => !(await admin.listTopics()).includes(topic),
  );
  // Creating may be refused for a moment while the deletion completes.
  await waitFor(`${topic} to be created again`, async () => {
    try {
      return await admin.createTopics({
        topics: [{ topic, numPartitions: 1 }],
        waitForLeaders: true,
      });
    } catch {
      return false;
    }
  });
}

/** A source read in the background: what it handed over, by event id and position. */
function reader(src: RecordSource, onBatch: (b: InputBatch) => Promise<void>) {
  const got: string[] = [];
  const positions: string[] = [];
  const done = (async () => {
    for await (const b of src.batches()) {
      b.lines.forEach((l, i) => {
        got.push(JSON.parse(l).event_id);
        positions.push(b.positionOf!(i));
      });
      await onBatch(b);
    }
  })();
  return { got, positions, done };
}

/**
 * Waits for the recreated topic's M records after the old N; on a timeout,
 * says what arrived and the source's stats (the old code skipped them all).
 */
function newRecords(r: ReturnType<typeof reader>, src: RecordSource) {
  return waitFor(
    "the recreated topic's records",
    () => r.got.length >= N + M,
    20_000,
  ).catch((e) => {
    throw new Error(
      `${e.message}: got ${JSON.stringify(r.got.slice(N))}, stats ${
        JSON.stringify(src.stats!())
      }`,
    );
  });
}

/**
 * What a restarted stage of `group` reads from `topic` until it is idle
 * (committing as it goes, as the parser does).
 */
async function restartRead(b: TestBroker, topic: string, group: string) {
  const src = await openKafkaSource(
    new URL(b.uri(topic, { group, idle_exit_ms: 1500 })),
    { stage: "parser", logger },
  );
  const r = reader(src, (batch) => batch.commit());
  await r.done;
  await src.close();
  return r.got;
}

/**
 * The body of both cases: `N` records read, the topic recreated, `M` new
 * records produced (fewer than `N`: the new log ends before the old
 * position, which is what kafkajs meets when it fetches on right after the
 * recreation; see the source's comment for a new log that outgrew it).
 */
const N = 30;
const M = 6;

kafkaTest(
  "kafka source: after its topic is deleted and recreated, a stage committing as it reads gets every new record (none skipped as a replay of the old offsets), and its commits of the new log are stored, so a restart reads only what came after",
  async () => {
    const b = await getBroker();
    const topic = "recreate.committing";
    const group = "g-recreate-committing";
    const src = await openKafkaSource(
      new URL(b.uri(topic, { group, max_batch: 7, partitions: 1 })),
      { stage: "parser", logger },
    );
    const r = reader(src, (batch) => batch.commit());
    const admin = await adminFor(b.address);
    try {
      await produce(b, topic, ids("old", N));
      await waitFor("the old records", () => r.got.length >= N);
      await waitFor(
        "the old records' commits",
        async () => (await groupCommitted(admin, group, [topic])) === N,
      );

      await recreate(admin, topic);
      await produce(b, topic, ids("new", M));
      await newRecords(r, src);
      assert.deepEqual(r.got, [...ids("old", N), ...ids("new", M)]);
      assert.deepEqual(
        r.positions.slice(N),
        Array.from({ length: M }, (_, o) => `${topic}[0]@${o}`),
        "the new log's offsets start at 0",
      );
      assert.deepEqual(src.stats!(), {
        redelivered_skipped: 0,
        partitions_reset: 1,
        undecodable_batches: 0,
      });
      await waitFor(
        "the new log's progress to be committed",
        async () => (await groupCommitted(admin, group, [topic])) === M,
      );
      await src.close();
      await r.done;

      // A restart of the stage in the same group reads on from the commit.
      await produce(b, topic, ["after-restart"]);
      assert.deepEqual(await restartRead(b, topic, group), ["after-restart"]);
    } finally {
      await src.close();
      await admin.disconnect().catch(() => {});
    }
  },
);

kafkaTest(
  "kafka source: after its topic is deleted and recreated, a stage holding its commits back (as the detector does) gets every new record; the old log's batches committed late do not move the new log's offsets, so a restart neither skips nor re-reads",
  async () => {
    const b = await getBroker();
    const topic = "recreate.holding";
    const group = "g-recreate-holding";
    const src = await openKafkaSource(
      new URL(b.uri(topic, { group, max_batch: 7, partitions: 1 })),
      { stage: "detector", logger },
    );
    const held: InputBatch[] = [];
    const r = reader(src, (batch) => {
      batch.release!();
      held.push(batch);
      return Promise.resolve();
    });
    const admin = await adminFor(b.address);
    try {
      await produce(b, topic, ids("old", N));
      await waitFor("the old records", () => r.got.length >= N);
      // Only the first batch (7 records) committed before the deletion.
      await held[0].commit();
      await waitFor(
        "the first batch's commit",
        async () => (await groupCommitted(admin, group, [topic])) === 7,
      );
      const oldBatches = held.length;

      await recreate(admin, topic);
      await produce(b, topic, ids("new", M));
      await newRecords(r, src);
      assert.deepEqual(r.got, [...ids("old", N), ...ids("new", M)]);
      assert.equal(src.stats!().partitions_reset, 1);
      assert.equal(src.stats!().redelivered_skipped, 0);

      // The windows close: the old log's batches are committed late (their
      // offsets, up to 30, would skip 30 records of the new log on a
      // restart), then the new log's.
      for (const batch of held.slice(0, oldBatches)) await batch.commit();
      for (const batch of held.slice(oldBatches)) await batch.commit();
      await waitFor(
        "the new log's progress to be committed",
        async () => (await groupCommitted(admin, group, [topic])) === M,
      );
      await src.close();
      await r.done;
      assert.equal(
        await groupCommitted(admin, group, [topic]),
        M,
        "the committed offset is the new log's",
      );

      await produce(b, topic, ["after-restart"]);
      assert.deepEqual(await restartRead(b, topic, group), ["after-restart"]);
    } finally {
      await src.close();
      await admin.disconnect().catch(() => {});
    }
  },
);

if (!KAFKA_SKIP) {
  Deno.test({
    name: "kafka recreate: stop the test broker",
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      await broker?.destroy();
    },
  });
}
