/**
 * The pipeline on Kafka for integration tests: parser, detector and sink
 * binaries as subprocesses reading and writing topics of a private broker,
 * the sink storing into a temporary chDB directory.
 */
import assert from "node:assert/strict";
import type { Admin } from "kafkajs";
import {
  adminFor,
  groupCommitted,
  topicEnd,
} from "../../scripts/kafka/inspect.ts";
import {
  runStage,
  spawnStage,
  type StageProcess,
} from "../../scripts/kafka/stage_proc.ts";
import { startBroker, type TestBroker, waitFor } from "./_broker.ts";

export const SIGMA = new URL("../../sigma", import.meta.url).pathname;

/** Consumer group, input topics and arguments of each stage. */
export type StageName = "parser" | "detector" | "sink";

const SINK_TOPICS = ["events.enriched", "alerts", "events.deadletter"];
const INPUT: Record<StageName, string[]> = {
  parser: ["events.raw"],
  detector: ["events.enriched"],
  sink: SINK_TOPICS,
};

/** A broker, a chDB store and the running stages. */
export class KafkaLoop {
  readonly procs = new Map<string, StageProcess>();
  #admin: Admin | null = null;
  private constructor(
    readonly broker: TestBroker,
    readonly store: string,
  ) {}

  static async create(): Promise<KafkaLoop> {
    const broker = await startBroker();
    const store = await Deno.makeTempDir({ prefix: "sentinel-kafka-store-" });
    return new KafkaLoop(broker, store);
  }

  async admin(): Promise<Admin> {
    return this.#admin ??= await adminFor(this.broker.address);
  }

  /** The arguments of `stage` (partitions of topics it creates: 3). */
  args(stage: StageName, extra: string[] = []): string[] {
    const b = this.broker;
    const common = ["--log-level", "warn"];
    switch (stage) {
      case "parser":
        return [
          "--in",
          b.uri("events.raw", { group: "parser", partitions: 3 }),
          "--out",
          b.uri("", { partitions: 3 }),
          ...common,
          ...extra,
        ];
      case "detector":
        return [
          "--in",
          b.uri("events.enriched", { group: "detector", partitions: 3 }),
          "--out",
          b.uri("", { partitions: 3 }),
          "--rules",
          SIGMA,
          "--anomaly",
          "off",
          // drained() waits for every input offset to be committed; holding
          // back the commits open windows need (detector_restart_test.ts)
          // would keep it waiting.
          "--hold-back-records",
          "0",
          ...common,
          ...extra,
        ];
      case "sink":
        return [
          "--in",
          b.uri(SINK_TOPICS.join(","), { group: "sink", partitions: 3 }),
          "--out",
          `chdb:${this.store}`,
          "--linger-ms",
          "200",
          "--summary",
          "none",
          ...common,
          ...extra,
        ];
    }
  }

  /** Starts (or restarts) a stage under `name` (default: the stage). */
  start(stage: StageName, name: string = stage, extra: string[] = []) {
    const p = spawnStage(`sentinel-${stage}`, this.args(stage, extra));
    this.procs.set(name, p);
    return p;
  }

  /** SIGKILL: the stage dies without flushing or committing anything. */
  async kill(name: string): Promise<void> {
    await this.procs.get(name)?.kill();
    this.procs.delete(name);
  }

  /** SIGTERM, and the stage must exit 0 (it flushes and commits). */
  async stop(name: string): Promise<void> {
    const p = this.procs.get(name);
    if (!p) return;
    const code = await p.stop();
    this.procs.delete(name);
    assert.equal(code, 0, `${name} exited ${code}: ${p.stderr().slice(-3000)}`);
  }

  /** Fails when a stage died on its own. */
  async assertRunning(): Promise<void> {
    for (const [name, p] of this.procs) {
      const r = await Promise.race([
        p.exited,
        new Promise<null>((r) => setTimeout(() => r(null), 0)),
      ]);
      if (r !== null) {
        assert.fail(`${name} exited ${r}: ${p.stderr().slice(-3000)}`);
      }
    }
  }

  /** Records `group` committed on `stage`'s input topics. */
  async committed(stage: StageName, group: string = stage): Promise<number> {
    try {
      return await groupCommitted(await this.admin(), group, INPUT[stage]);
    } catch {
      return -1; // coordinator loading or broker away: ask again
    }
  }

  /** Records on `stage`'s input topics. */
  async inputEnd(stage: StageName): Promise<number> {
    try {
      return await topicEnd(await this.admin(), INPUT[stage]);
    } catch {
      return -1;
    }
  }

  /**
   * Waits until `stage`'s group has committed everything on its input
   * topics, and the topics stopped growing.
   */
  async drained(stage: StageName, ms = 90_000): Promise<void> {
    let last = -2;
    await waitFor(`${stage} to drain its input`, async () => {
      await this.assertRunning();
      const end = await this.inputEnd(stage);
      const done = await this.committed(stage);
      const ok = end >= 0 && done === end && end === last;
      last = end;
      return ok;
    }, ms);
  }

  /** Runs SQL against the chDB store (stages writing to it must be stopped). */
  async query(sql: string): Promise<Record<string, unknown>[]> {
    const r = await runStage("sentinel-sink", [
      "query",
      sql,
      "--out",
      `chdb:${this.store}`,
      "--format",
      "json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const text = new TextDecoder().decode(r.stdout).trim();
    return text.startsWith("[")
      ? JSON.parse(text)
      : text.split("\n").filter(Boolean).map((l) => JSON.parse(l));
  }

  /** Distinct stored events, dead letters, alerts; and events rows after FINAL. */
  async storedCounts() {
    const one = async (sql: string) => Number((await this.query(sql))[0].n);
    return {
      events: await one(
        "SELECT uniqExact(event_id) AS n FROM sentinel.events",
      ),
      eventsFinal: await one("SELECT count() AS n FROM sentinel.events FINAL"),
      deadLetters: await one(
        "SELECT uniqExact(dead_letter_id) AS n FROM sentinel.dead_letters",
      ),
      alerts: await one("SELECT uniqExact(alert_id) AS n FROM sentinel.alerts"),
      alertsFinal: await one("SELECT count() AS n FROM sentinel.alerts FINAL"),
    };
  }

  /** Alert rule titles stored, with counts. */
  async alertTitles(): Promise<Map<string, number>> {
    const rows = await this.query(
      "SELECT rule.title AS title, count() AS n FROM sentinel.alerts FINAL GROUP BY title",
    );
    return new Map(rows.map((r) => [String(r.title), Number(r.n)]));
  }

  /** Stops every stage (SIGKILL if SIGTERM hangs), the broker, and removes the store. */
  async destroy(): Promise<void> {
    for (const p of this.procs.values()) {
      const t = setTimeout(() => p.kill(), 15_000);
      await p.stop();
      clearTimeout(t);
    }
    this.procs.clear();
    await this.#admin?.disconnect().catch(() => {});
    await this.broker.destroy();
    await Deno.remove(this.store, { recursive: true }).catch(() => {});
  }
}

/** Generator arguments for `count` seeded events with both attacks, to Kafka. */
export function generatorArgs(
  out: string[],
  opts: { count: number; rate: number },
): string[] {
  return [
    ...out,
    "--count",
    String(opts.count),
    "--rate",
    String(opts.rate),
    "--seed",
    "7",
    "--start",
    "2026-11-24T10:00:00Z",
    "--inject",
    "brute_force_ssh:at=1",
    "--inject",
    "port_scan:at=2",
    "--log-level",
    "warn",
  ];
}

/** Rule titles the injected attacks must raise. */
export const ATTACK_ALERTS: Record<string, RegExp> = {
  brute_force_ssh: /brute.?force/i,
  port_scan: /port.?scan/i,
};

/** Asserts both attacks were detected and stored. */
export async function assertAttacksStored(loop: KafkaLoop): Promise<void> {
  const titles = await loop.alertTitles();
  for (const [scenario, re] of Object.entries(ATTACK_ALERTS)) {
    assert.ok(
      [...titles.keys()].some((t) => re.test(t)),
      `${scenario}: no alert stored; stored: ${[...titles.keys()].join(", ")}`,
    );
  }
}
