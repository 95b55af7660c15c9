/**
 * The full loop over a real Kafka broker, every hop a separate binary:
 * generator → HTTP → ingest → events.raw → parser → events.enriched →
 * detector → alerts → sink → chDB. The injected attacks are detected and
 * stored, and every event is accounted for (stored or dead-lettered).
 */
import assert from "node:assert/strict";
import { runStage, spawnStage } from "../../scripts/kafka/stage_proc.ts";
import { kafkaTest, waitFor } from "./_broker.ts";
import { assertAttacksStored, generatorArgs, KafkaLoop } from "./_loop.ts";

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

kafkaTest(
  "kafka loop: ingest → parser → detector → sink over Kafka detects the generator's attacks and stores every event",
  async () => {
    const loop = await KafkaLoop.create();
    try {
      const port = freePort();
      const ingest = spawnStage("sentinel-ingest", [
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        "--out",
        loop.broker.uri("events.raw", { partitions: 3 }),
        "--log-level",
        "warn",
      ]);
      loop.procs.set("ingest", ingest);
      await waitFor("ingest to be ready", async () => {
        await loop.assertRunning();
        try {
          const r = await fetch(`http://127.0.0.1:${port}/readyz`);
          await r.body?.cancel();
          return r.ok;
        } catch {
          return false;
        }
      }, 60_000);
      loop.start("parser");
      loop.start("detector");
      loop.start("sink");

      const count = 3000;
      const gen = await runStage(
        "sentinel-generator",
        generatorArgs(["--target", `http://127.0.0.1:${port}`], {
          count,
          rate: 0,
        }),
      );
      assert.equal(gen.code, 0, gen.stderr.slice(-3000));
      assert.ok(await loop.inputEnd("parser") >= count, "events.raw is short");

      await loop.drained("parser");
      await loop.drained("detector");
      await loop.stop("detector"); // flushes what its windows still hold
      await loop.drained("sink");
      for (const s of ["sink", "parser", "ingest"]) await loop.stop(s);

      await assertAttacksStored(loop);
      const c = await loop.storedCounts();
      assert.equal(
        c.events + c.deadLetters,
        count,
        `events in (${count}) = events stored (${c.events}) + dead letters (${c.deadLetters})`,
      );
      assert.equal(c.eventsFinal, c.events, "duplicate events after FINAL");
      assert.equal(c.alertsFinal, c.alerts, "duplicate alerts after FINAL");
    } finally {
      await loop.destroy();
    }
  },
);
