/**
 * Output a topic will not take, and input a stage does not process, become
 * dead letters over Kafka instead of stalling the stage or vanishing.
 */
import assert from "node:assert/strict";
import { adminFor, readTopic } from "../../scripts/kafka/inspect.ts";
import { runStage } from "../../scripts/kafka/stage_proc.ts";
import { openKafkaSink } from "../../stages/shared/io/kafka.ts";
import type {
  DeadLetter,
  EnrichedEvent,
  RawEvent,
} from "../../stages/shared/contracts/mod.ts";
import { validateRecord } from "../../stages/shared/contracts/mod.ts";
import { kafkaTest, startBroker, testLogger } from "./_broker.ts";

const raw = (id: string, message: string): RawEvent => ({
  record: "raw_event",
  event_id: id,
  received_at: "2026-11-24T10:00:00.000Z",
  tenant: "acme",
  source_name: "sshd",
  transport: "http",
  ingest_node: "n1",
  payload: { message, user: { name: "bob" }, event: { action: "login" } },
});
const SMALL_1 = "11111111-1111-4111-8111-111111111111";
const BIG = "11111111-1111-4111-8111-111111111112";
const SMALL_2 = "11111111-1111-4111-8111-111111111113";

kafkaTest(
  "kafka: an enriched event larger than its topic's max.message.bytes becomes an oversize dead letter (size and limit named) and the parser goes on",
  async () => {
    const broker = await startBroker();
    try {
      const admin = await adminFor(broker.address);
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{
          topic: "events.enriched",
          numPartitions: 1,
          configEntries: [{ name: "max.message.bytes", value: "4096" }],
        }],
      });
      await admin.disconnect();
      // The big one is well under the parser's line limit, but its enriched
      // record is over the topic's 4096 bytes.
      const input = [
        raw(SMALL_1, "Accepted password for bob"),
        raw(BIG, "y".repeat(8000)),
        raw(SMALL_2, "Accepted password for bob"),
      ].map((r) => JSON.stringify(r)).join("\n") + "\n";
      const run = runStage("sentinel-parser", [
        "--out",
        broker.uri("", { partitions: 1 }),
        "--log-level",
        "warn",
      ], { stdin: new TextEncoder().encode(input) });
      const r = await Promise.race([
        run,
        new Promise<null>((res) => setTimeout(() => res(null), 90_000)),
      ]);
      assert.ok(r !== null, "the parser is stuck on the record too large");
      assert.equal(r.code, 0, r.stderr);

      const events = await readTopic<EnrichedEvent>(
        broker.address,
        "events.enriched",
        1000,
      );
      assert.deepEqual(events.map((e) => e.event_id), [SMALL_1, SMALL_2]);
      const dls = await readTopic<DeadLetter>(
        broker.address,
        "events.deadletter",
        1000,
      );
      assert.equal(dls.length, 1);
      assert.equal(dls[0].reason_code, "oversize");
      assert.equal(dls[0].event_id, BIG);
      assert.equal(dls[0].stage, "parser");
      assert.match(
        dls[0].reason,
        /^enriched_event of \d{4,} bytes exceeds topic events\.enriched's max\.message\.bytes \(4096\)/,
      );
      assert.ok(dls[0].input_bytes > 4096);
      assert.equal(validateRecord(dls[0]), null);
    } finally {
      await broker.destroy();
    }
  },
);

kafkaTest(
  "kafka: an alert on events.raw is a dead letter (unexpected_record, with its topic position), not silently dropped",
  async () => {
    const broker = await startBroker();
    try {
      const sink = await openKafkaSink(
        new URL(broker.uri("", { partitions: 1 })),
        { stage: "detector", logger: testLogger("detector") },
      );
      const alertLine = JSON.stringify({
        record: "alert",
        alert_id: "0123456789abcdef0123456789abcdef",
        tenant: "acme",
      });
      const event = raw(SMALL_1, "Accepted password for bob");
      // Both on events.raw: the alert where it does not belong.
      await sink.write([
        { record: event, line: JSON.stringify(event), forwarded: false },
      ]);
      await sink.close();
      const misplaced = await openKafkaSink(
        new URL(
          broker.uri("", { partitions: 1, "topic.alert": "events.raw" }),
        ),
        { stage: "detector", logger: testLogger("detector") },
      );
      await misplaced.write([{
        record: JSON.parse(alertLine),
        line: alertLine,
        forwarded: false,
      }]);
      await misplaced.close();

      const r = await runStage("sentinel-parser", [
        "--in",
        broker.uri("events.raw", {
          group: "parser",
          partitions: 1,
          idle_exit_ms: 3000,
        }),
        "--out",
        broker.uri("", { partitions: 1 }),
        "--log-level",
        "warn",
      ]);
      assert.equal(r.code, 0, r.stderr);
      const dls = await readTopic<DeadLetter>(
        broker.address,
        "events.deadletter",
        1000,
      );
      assert.equal(dls.length, 1, JSON.stringify(dls));
      assert.equal(dls[0].reason_code, "unexpected_record");
      assert.match(
        dls[0].reason,
        /^events\.raw\[0\]@1: record type alert is not processed by the parser/,
      );
      assert.equal(dls[0].input, alertLine);
      const events = await readTopic<EnrichedEvent>(
        broker.address,
        "events.enriched",
        1000,
      );
      assert.deepEqual(events.map((e) => e.event_id), [SMALL_1]);
    } finally {
      await broker.destroy();
    }
  },
);
