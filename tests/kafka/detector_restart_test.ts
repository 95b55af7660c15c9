/**
 * A detector restarted in the middle of an attack still raises the
 * correlation alert: the offsets of events an open window depends on stay
 * uncommitted, so the restarted detector reads them again and rebuilds the
 * window. The replay's duplicates carry the same alert ids.
 */
import assert from "node:assert/strict";
import { readTopic } from "../../scripts/kafka/inspect.ts";
import { runStage, spawnStage } from "../../scripts/kafka/stage_proc.ts";
import { openKafkaSink } from "../../stages/shared/io/kafka.ts";
import type { Alert, DeadLetter } from "../../stages/shared/contracts/mod.ts";
import { kafkaTest, startBroker, testLogger, waitFor } from "./_broker.ts";
import { SIGMA } from "./_loop.ts";

const lines = (b: Uint8Array) =>
  new TextDecoder().decode(b).split("\n").filter(Boolean);

/** An enriched_event without `ts`: the detector dead-letters it, which shows it got this far. */
const marker = (id: string) =>
  JSON.stringify({ record: "enriched_event", event_id: id, tenant: "acme" });

kafkaTest(
  "kafka: a detector stopped (SIGTERM) and restarted between the halves of an SSH brute force still raises every alert of an uninterrupted run",
  async () => {
    // 2400 events; the 15 of the brute force sit at lines 1001-2041, so
    // neither half alone reaches the rule's threshold.
    const gen = await runStage("sentinel-generator", [
      "--dry-run",
      "--seed",
      "7",
      "--start",
      "2026-11-24T10:00:00Z",
      "--count",
      "2400",
      "--rate",
      "0",
      "--inject",
      "brute_force_ssh:at=1,source=45.155.205.9",
      "--log-level",
      "warn",
    ]);
    assert.equal(gen.code, 0, gen.stderr);
    const parsed = await runStage("sentinel-parser", ["--log-level", "warn"], {
      stdin: gen.stdout,
    });
    assert.equal(parsed.code, 0, parsed.stderr);
    const enriched = lines(parsed.stdout);
    assert.equal(enriched.length, 2400);

    // The same rules and flags for the pipe and for the Kafka runs.
    const detection = [
      "--rules",
      SIGMA,
      "--anomaly",
      "off",
      "--log-level",
      "warn",
    ];
    // What the uninterrupted pipe raises.
    const pipe = await runStage("sentinel-detector", detection, {
      stdin: parsed.stdout,
    });
    assert.equal(pipe.code, 0, pipe.stderr);
    const expected = lines(pipe.stdout).map((l) => JSON.parse(l)).filter((
      r,
    ) => r.record === "alert") as Alert[];
    assert.ok(
      expected.some((a) => a.rule.title === "SSH Brute Force Attempts"),
      "the uninterrupted run raises SSH Brute Force Attempts",
    );

    const broker = await startBroker();
    const logger = testLogger("parser");
    // One partition: the marker after each half is read after the half.
    const sink = await openKafkaSink(
      new URL(broker.uri("", { partitions: 1 })),
      { stage: "parser", logger },
    );
    const produce = (ls: string[]) =>
      sink.write(ls.map((line) => ({
        record: JSON.parse(line),
        line,
        forwarded: false,
      })));
    const detectorArgs = [
      "--in",
      broker.uri("events.enriched", { group: "detector", partitions: 1 }),
      "--out",
      broker.uri("", { partitions: 1 }),
      ...detection,
    ];
    const deadLetters = () =>
      readTopic<DeadLetter>(broker.address, "events.deadletter", 1000);
    const sawMarker = (id: string) => async () =>
      (await deadLetters()).some((d) => d.event_id === id);
    let detector = spawnStage("sentinel-detector", detectorArgs);
    try {
      await produce([...enriched.slice(0, 1200), marker("marker-1")]);
      await waitFor("the detector to read the first half", async () => {
        const done = await Promise.race([
          detector.exited,
          new Promise<null>((r) => setTimeout(() => r(null), 0)),
        ]);
        assert.equal(done, null, detector.stderr());
        return await sawMarker("marker-1")();
      }, 120_000);
      const code = await detector.stop();
      assert.equal(code, 0, detector.stderr());

      detector = spawnStage("sentinel-detector", detectorArgs);
      await produce([...enriched.slice(1200), marker("marker-2")]);
      await waitFor(
        "the restarted detector to read the second half",
        sawMarker("marker-2"),
        120_000,
      );
      const alerts = await readTopic<Alert>(broker.address, "alerts", 1000);
      const ids = new Set(alerts.map((a) => a.alert_id));
      for (const a of expected) {
        assert.ok(
          ids.has(a.alert_id),
          `missing after the restart: ${a.rule.title} (${a.alert_id}); on the topic: ${
            alerts.map((x) => x.rule.title).join(", ")
          }`,
        );
      }
    } finally {
      await detector.kill();
      await sink.close();
      await broker.destroy();
    }
  },
);
