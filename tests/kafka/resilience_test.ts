/**
 * At-least-once over Kafka, end to end: a stage killed with SIGKILL in the
 * middle of the stream and restarted, or the broker itself restarted, loses
 * no event — every generated event ends up stored (or dead-lettered) — and
 * the replays this causes collapse in the store.
 */
import assert from "node:assert/strict";
import { spawnStage } from "../../scripts/kafka/stage_proc.ts";
import { kafkaTest, waitFor } from "./_broker.ts";
import { generatorArgs, KafkaLoop } from "./_loop.ts";

const COUNT = 6000;
const RATE = 1500; // four seconds of traffic: long enough to interrupt

/** Starts the stages and the generator writing to events.raw. */
function startTraffic(loop: KafkaLoop) {
  loop.start("parser");
  loop.start("detector");
  loop.start("sink");
  return spawnStage(
    "sentinel-generator",
    generatorArgs(
      ["--out", loop.broker.uri("events.raw", { partitions: 3 })],
      { count: COUNT, rate: RATE },
    ),
  );
}

/** Waits until records made it through the whole loop into the store. */
async function firstStored(loop: KafkaLoop) {
  await waitFor("the sink's first commit", async () => {
    await loop.assertRunning();
    return await loop.committed("sink") > 0;
  }, 90_000);
}

/** Lets the generator finish, drains the loop, stops it, checks the store. */
async function finishAndCheck(
  loop: KafkaLoop,
  gen: ReturnType<typeof startTraffic>,
) {
  const code = await gen.exited;
  assert.equal(
    code,
    0,
    `generator exited ${code}: ${gen.stderr().slice(-2000)}`,
  );
  await loop.drained("parser");
  await loop.drained("detector");
  await loop.stop("detector");
  await loop.drained("sink");
  await loop.stop("sink");
  await loop.stop("parser");
  const c = await loop.storedCounts();
  assert.equal(
    c.events + c.deadLetters,
    COUNT,
    `events in (${COUNT}) = events stored (${c.events}) + dead letters (${c.deadLetters})`,
  );
  assert.equal(c.eventsFinal, c.events, "replayed events were not collapsed");
  assert.equal(c.alertsFinal, c.alerts, "replayed alerts were not collapsed");
  return c;
}

kafkaTest(
  "kafka: parser and sink killed with SIGKILL mid-stream and restarted lose no event",
  async () => {
    const loop = await KafkaLoop.create();
    try {
      const gen = startTraffic(loop);
      await firstStored(loop);
      const parserDone = await loop.committed("parser");
      await loop.kill("parser");
      await loop.kill("sink");
      assert.ok(
        parserDone < COUNT,
        `the parser had already finished (${parserDone}): not mid-stream`,
      );
      loop.start("parser");
      loop.start("sink");
      await finishAndCheck(loop, gen);
    } finally {
      await loop.destroy();
    }
  },
);

/** Stops the broker mid-stream for `outageMs`, then checks nothing was lost. */
async function brokerOutage(outageMs: number) {
  const loop = await KafkaLoop.create();
  try {
    const gen = startTraffic(loop);
    await firstStored(loop);
    const parserDone = await loop.committed("parser");
    await loop.broker.stop();
    await new Promise((r) => setTimeout(r, outageMs));
    await loop.broker.start();
    assert.ok(
      parserDone < COUNT,
      `the parser had already finished (${parserDone}): not mid-stream`,
    );
    await finishAndCheck(loop, gen);
  } finally {
    await loop.destroy();
  }
}

kafkaTest(
  "kafka: the broker restarted mid-stream, the pipeline recovers and loses no event",
  () => brokerOutage(2000),
);

// Longer than kafkajs's own retries: it stops the consumer for good ("Failed
// to find group coordinator"), and the stages must start it again.
kafkaTest(
  "kafka: a 45 s broker outage outlasting the client's retries loses no event",
  () => brokerOutage(45_000),
);
