/**
 * Scaling out the detector: two instances in one consumer group, each
 * owning some partitions of events.enriched, raise exactly the alerts one
 * instance raises alone — because events are keyed by entity, every
 * correlation window sees all of its entity's events in one instance.
 */
import assert from "node:assert/strict";
import type { Admin } from "kafkajs";
import { readTopic } from "../../scripts/kafka/inspect.ts";
import { runStage, spawnStage } from "../../scripts/kafka/stage_proc.ts";
import { openKafkaSink } from "../../stages/shared/io/kafka.ts";
import type { Alert } from "../../stages/shared/contracts/mod.ts";
import type { AnyRecord } from "../../stages/shared/records.ts";
import { kafkaTest, testLogger, waitFor } from "./_broker.ts";
import { ATTACK_ALERTS, generatorArgs, KafkaLoop, SIGMA } from "./_loop.ts";

const PARTITIONS = 4;

async function stableMembers(admin: Admin, group: string): Promise<number> {
  try {
    const { groups } = await admin.describeGroups([group]);
    return groups[0]?.state === "Stable" ? groups[0].members.length : 0;
  } catch {
    return 0;
  }
}

kafkaTest(
  "kafka: two detector instances in one consumer group raise the same alerts as one",
  async () => {
    const loop = await KafkaLoop.create();
    try {
      const b = loop.broker;
      // Enriched events of seeded traffic with both attacks (parser on stdio).
      const gen = await runStage(
        "sentinel-generator",
        generatorArgs(["--dry-run"], { count: 3000, rate: 0 }),
      );
      assert.equal(gen.code, 0, gen.stderr.slice(-2000));
      const parsed = await runStage(
        "sentinel-parser",
        ["--log-level", "warn"],
        {
          stdin: gen.stdout,
        },
      );
      assert.equal(parsed.code, 0, parsed.stderr.slice(-2000));
      const enriched = new TextDecoder().decode(parsed.stdout).split("\n")
        .filter(Boolean).map((l) => JSON.parse(l) as AnyRecord)
        .filter((r) => r.record === "enriched_event");
      assert.ok(enriched.length > 2500, `only ${enriched.length} enriched`);

      const detector = (group: string, prefix: string) =>
        spawnStage("sentinel-detector", [
          "--in",
          b.uri("events.enriched", { group, partitions: PARTITIONS }),
          "--out",
          b.uri(prefix, { partitions: PARTITIONS }),
          "--rules",
          SIGMA,
          "--anomaly",
          "off",
          "--suppress-window",
          "0s",
          // The drain wait below needs every input offset committed; held-back
          // commits for open windows would keep it waiting.
          "--hold-back-records",
          "0",
          "--log-level",
          "warn",
        ]);
      loop.procs.set("one", detector("det-one", "one"));
      loop.procs.set("two-a", detector("det-two", "two"));
      loop.procs.set("two-b", detector("det-two", "two"));
      const admin = await loop.admin();
      // Both members of det-two hold their partitions before any event flows,
      // so no rebalance moves an entity between instances mid-stream.
      await waitFor("both groups to settle", async () => {
        await loop.assertRunning();
        return await stableMembers(admin, "det-one") === 1 &&
          await stableMembers(admin, "det-two") === 2;
      }, 90_000);
      const { groups } = await admin.describeGroups(["det-two"]);
      assert.equal(groups[0].members.length, 2);

      const sink = await openKafkaSink(
        new URL(b.uri("", { partitions: PARTITIONS })),
        { stage: "parser", logger: testLogger() },
      );
      await sink.write(enriched.map((record) => ({
        record,
        line: JSON.stringify(record),
        forwarded: false,
      })));
      await sink.close();

      for (const g of ["det-one", "det-two"]) {
        await waitFor(`${g} to drain`, async () => {
          await loop.assertRunning();
          return await loop.committed("detector", g) === enriched.length;
        }, 90_000);
      }
      for (const name of ["one", "two-a", "two-b"]) await loop.stop(name);

      const one = await readTopic<Alert>(b.address, "one.alerts");
      const two = await readTopic<Alert>(b.address, "two.alerts");
      const ids = (alerts: Alert[]) =>
        [...new Set(alerts.map((a) => a.alert_id))].sort();
      for (const [scenario, re] of Object.entries(ATTACK_ALERTS)) {
        assert.ok(
          one.some((a) => re.test(a.rule.title)),
          `${scenario}: one detector raised no alert`,
        );
      }
      assert.deepEqual(
        ids(two),
        ids(one),
        `one instance: ${one.length} alerts, two instances: ${two.length}`,
      );
    } finally {
      await loop.destroy();
    }
  },
);
