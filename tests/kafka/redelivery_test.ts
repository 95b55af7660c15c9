/**
 * A Kafka source hands its stage each record once per process. A consumer
 * whose committed offsets lag what it has read (the detector holds commits
 * back for its open correlation windows) is sent everything since its last
 * commit again when its group session starts over (a broker restart, a
 * rebalance): that replay is for a NEW process, whose state starts empty; a
 * running stage that got it again counted the same failed logins twice and
 * raised a false brute-force alert. The replayed records are skipped, still
 * covered by the commits, and counted in the source's stats.
 */
import assert from "node:assert/strict";
import { readTopic, topicEnd } from "../../scripts/kafka/inspect.ts";
import { adminFor, groupCommitted } from "../../scripts/kafka/inspect.ts";
import { runStage, spawnStage } from "../../scripts/kafka/stage_proc.ts";
import {
  openKafkaSink,
  openKafkaSource,
} from "../../stages/shared/io/kafka.ts";
import type { InputBatch, OutputRecord } from "../../stages/shared/io/types.ts";
import type { Alert, DeadLetter } from "../../stages/shared/contracts/mod.ts";
import type { AnyRecord } from "../../stages/shared/records.ts";
import {
  kafkaTest,
  startBroker,
  type TestBroker,
  testLogger,
  waitFor,
} from "./_broker.ts";
import { SIGMA } from "./_loop.ts";

const logger = testLogger();

function rawEvent(i: number, payload = `line ${i}`): AnyRecord {
  return {
    record: "raw_event",
    event_id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    received_at: "2026-11-24T10:00:00.000Z",
    tenant: "default",
    source_name: "sshd",
    transport: "stdin",
    ingest_node: "test",
    payload,
  } as unknown as AnyRecord;
}

const out = (record: AnyRecord): OutputRecord => ({
  record,
  line: JSON.stringify(record),
  forwarded: false,
});

async function produce(address: string, topic: string, recs: AnyRecord[]) {
  const sink = await openKafkaSink(
    new URL(`kafka://${address}/?topic.raw_event=${topic}&partitions=2`),
    { stage: "parser", logger },
  );
  await sink.write(recs.map(out));
  await sink.close();
}

/**
 * Another member of `group` on `topic`: takes partitions from the members
 * there, reads without committing (like a stage that held its commits back
 * and then stopped), and gives them back on `leave()`.
 */
async function otherMember(uri: string) {
  const src = await openKafkaSource(new URL(uri), {
    stage: "parser",
    logger,
  });
  let got = 0;
  const reading = (async () => {
    for await (const batch of src.batches()) {
      got += batch.lines.length;
      batch.release!();
    }
  })();
  return {
    got: () => got,
    leave: async () => {
      await src.close();
      await reading;
    },
  };
}

kafkaTest(
  "kafka source: a consumer holding its commits back gets each record once through a rebalance (a partition kept, one taken and given back); replays are skipped and counted, positions and oversize stay right, later commits cover the skipped records",
  async () => {
    const broker = await startBroker();
    const topic = "redeliver.raw";
    const group = "g-redeliver";
    const uri = broker.uri(topic, { group, max_batch: 7, partitions: 2 });
    const src = await openKafkaSource(new URL(uri), {
      stage: "parser",
      logger,
      maxLineBytes: 1024,
    });
    const ids: string[] = [];
    const positions: string[] = [];
    const held: InputBatch[] = [];
    const reading = (async () => {
      for await (const batch of src.batches()) {
        batch.lines.forEach((l, i) => {
          ids.push(JSON.parse(l).event_id);
          positions.push(batch.positionOf!(i));
        });
        for (const o of batch.oversize ?? []) positions.push(o.position!);
        // Output accepted, commit held back (as the detector does).
        batch.release!();
        held.push(batch);
      }
    })();
    const admin = await adminFor(broker.address);
    try {
      await produce(
        broker.address,
        topic,
        Array.from({ length: 40 }, (_, i) => rawEvent(i)),
      );
      await waitFor("the first 40 records", () => ids.length >= 40, 60_000);
      const before = held.length;

      // A second member joins (the group rebalances: one partition each,
      // and it reads its partition from the start: nothing is committed).
      const other = await otherMember(uri);
      await waitFor("the second member's records", () => other.got() > 0);
      // Commits asked for around the next rebalance: they land, or are
      // dropped when the member lost the partition or its generation.
      await Promise.all(held.slice(0, 2).map((b) => b.commit()));
      // It leaves: its partition comes back to the first member, which
      // fetches it from the committed offsets again.
      await other.leave();

      // Ten more records and one beyond --max-line-bytes.
      await produce(broker.address, topic, [
        ...Array.from({ length: 10 }, (_, i) => rawEvent(40 + i)),
        rawEvent(50, "x".repeat(3000)),
      ]);
      const ends = await admin.fetchTopicOffsets(topic);
      const every = ends.flatMap((p) =>
        Array.from(
          { length: Number(p.high) },
          (_, o) => `${topic}[${p.partition}]@${o}`,
        )
      ).sort();
      assert.equal(every.length, 51);
      // Each partition's replay comes before its new records, so once every
      // offset arrived any replay has arrived too; a little grace on top.
      await waitFor(
        "every offset after the rebalances",
        () => new Set(positions).size >= 51,
        120_000,
      );
      await new Promise((r) => setTimeout(r, 2000));

      const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
      assert.deepEqual(
        dupes,
        [],
        `records handed to the stage twice in one process: ${dupes.length}`,
      );
      assert.equal(ids.length, 50, "each good record once");
      assert.deepEqual(
        [...positions].sort(),
        every,
        "each offset (lines and the oversize message) named once, correctly",
      );
      const stats = src.stats!();
      assert.ok(
        Number(stats.redelivered_skipped) >= 20,
        `the replay of a partition's records is counted: ${
          JSON.stringify(stats)
        }`,
      );

      // Only the batches after the rebalances are committed: offsets are
      // cumulative, so the skipped records are covered too.
      const after = held.slice(before);
      const parts = new Set(
        after.flatMap((b) => b.lines.map((_, i) => b.positionOf!(i)))
          .map((p) => p.replace(/@.*/, "")),
      );
      assert.equal(parts.size, ends.length, "new records on every partition");
      for (const b of after) await b.commit();
      await waitFor(
        "the group's commits to reach the end of the topic",
        async () => (await groupCommitted(admin, group, [topic])) === 51,
        30_000,
      );
      // The old batches committed late do not move the offsets back.
      for (const b of held.slice(0, before)) await b.commit();
      await src.close();
      await reading;
      assert.equal(await groupCommitted(admin, group, [topic]), 51);
      assert.equal(await topicEnd(admin, [topic]), 51);
    } finally {
      await src.close();
      await admin.disconnect().catch(() => {});
      await broker.destroy();
    }
  },
);

const lines = (b: Uint8Array) =>
  new TextDecoder().decode(b).split("\n").filter(Boolean);

/** An enriched_event without `ts`: the detector dead-letters it, which shows it got this far. */
const marker = (id: string) =>
  JSON.stringify({ record: "enriched_event", event_id: id, tenant: "acme" });

/**
 * The reviewer's case: 200 events with 6 failed logins from one address
 * (the rule wants 10) read by a detector holding its commits back, then
 * `disturb` makes its group start over while it runs.
 */
async function falseAlertCase(
  disturb: (broker: TestBroker, input: string) => Promise<void>,
) {
  // The reviewer's case: 200 events, 6 failed logins from one address
  // (the rule wants 10).
  const gen = await runStage("sentinel-generator", [
    "--dry-run",
    "--seed",
    "3",
    "--start",
    "2026-11-24T10:00:00Z",
    "--count",
    "200",
    "--rate",
    "0",
    "--tenant",
    "acme",
    "--inject",
    "brute_force_ssh:at=0.05,count=6,source=45.155.205.9",
    "--log-level",
    "warn",
  ]);
  assert.equal(gen.code, 0, gen.stderr);
  const parsed = await runStage("sentinel-parser", ["--log-level", "warn"], {
    stdin: gen.stdout,
  });
  assert.equal(parsed.code, 0, parsed.stderr);
  const enriched = lines(parsed.stdout);
  assert.equal(enriched.length, 200);
  const detection = ["--rules", SIGMA, "--anomaly", "off"];
  const pipe = await runStage(
    "sentinel-detector",
    [...detection, "--log-level", "warn"],
    { stdin: parsed.stdout },
  );
  assert.equal(pipe.code, 0, pipe.stderr);
  const titles = (as: Alert[]) => as.map((a) => a.rule.title);
  const pipeAlerts = lines(pipe.stdout).map((l) => JSON.parse(l)).filter((
    r,
  ) => r.record === "alert") as Alert[];
  assert.ok(
    !titles(pipeAlerts).includes("SSH Brute Force Attempts"),
    "6 failed logins raise no brute-force alert in the pipe",
  );

  const broker = await startBroker();
  // One partition: a marker is read after everything produced before it.
  const sink = await openKafkaSink(
    new URL(broker.uri("", { partitions: 1 })),
    { stage: "parser", logger },
  );
  const send = (ls: string[]) =>
    sink.write(ls.map((line) => ({
      record: JSON.parse(line),
      line,
      forwarded: false,
    })));
  const deadLetters = () =>
    readTopic<DeadLetter>(broker.address, "events.deadletter", 1000);
  const sawMarker = (id: string) => async () =>
    (await deadLetters()).some((d) => d.event_id === id);
  // The default hold-back: the open failed-login window keeps the
  // commits behind.
  const input = broker.uri("events.enriched", {
    group: "detector",
    partitions: 1,
  });
  const detector = spawnStage("sentinel-detector", [
    "--in",
    input,
    "--out",
    broker.uri("", { partitions: 1 }),
    ...detection,
    "--log-level",
    "info",
  ]);
  try {
    await send([...enriched, marker("marker-1")]);
    await waitFor("the detector to read the events", async () => {
      const done = await Promise.race([
        detector.exited,
        new Promise<null>((r) => setTimeout(() => r(null), 0)),
      ]);
      assert.equal(done, null, detector.stderr());
      return await sawMarker("marker-1")();
    }, 120_000);

    await disturb(broker, input);
    // Read after any replay of the partition from the held-back commit.
    await send([marker("marker-2")]);
    await waitFor(
      "the detector to read on after the restart",
      sawMarker("marker-2"),
      120_000,
    );
    assert.equal(await detector.stop(), 0, detector.stderr());
    const summary = detector.stderr().split("\n").filter((l) =>
      l.includes('"msg":"summary"')
    ).map((l) => JSON.parse(l)).pop();
    assert.ok(summary, `no summary line:\n${detector.stderr()}`);
    assert.equal(summary.lines_in, 202, "200 events and 2 markers, once");
    assert.ok(
      Number(summary.source_stats?.redelivered_skipped) > 0,
      `the restart made the group replay from the held-back commit: ${
        JSON.stringify(summary.source_stats)
      }`,
    );
    const alerts = await readTopic<Alert>(broker.address, "alerts", 1000);
    assert.ok(
      !titles(alerts).includes("SSH Brute Force Attempts"),
      `false brute-force alert after the restart: ${titles(alerts).join(", ")}`,
    );
    assert.deepEqual(
      titles(alerts).sort(),
      titles(pipeAlerts).sort(),
      "the same alerts as the uninterrupted pipe",
    );
  } finally {
    await detector.kill();
    await sink.close();
    await broker.destroy();
  }
}

kafkaTest(
  "kafka: 6 failed SSH logins raise no brute-force alert when another detector joins and leaves the group of a running one (no replay into its windows, lines_in = events)",
  () =>
    falseAlertCase(async (_broker, input) => {
      const other = await otherMember(input);
      await new Promise((r) => setTimeout(r, 4000));
      await other.leave();
    }),
);

kafkaTest(
  "kafka: 6 failed SSH logins raise no brute-force alert when the broker is down 25 s under a running detector (no replay into its windows, lines_in = events)",
  () =>
    falseAlertCase(async (broker) => {
      await broker.stop();
      // Long enough for the consumer to give up its session and rejoin.
      await new Promise((r) => setTimeout(r, 25_000));
      await broker.start();
    }),
);
