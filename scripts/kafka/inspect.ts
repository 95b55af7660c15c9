/**
 * Looking into a broker from tests and benchmarks: read a topic to its end,
 * count its records, watch a consumer group's committed progress.
 */
import { type Admin, Kafka, logLevel } from "kafkajs";
import {
  openKafkaSource,
  quietNodeWarnings,
} from "../../stages/shared/io/kafka.ts";
import { createLogger } from "../../stages/shared/log.ts";

/** An admin client for `address` (caller disconnects). */
export async function adminFor(address: string): Promise<Admin> {
  quietNodeWarnings();
  const admin = new Kafka({
    brokers: [address],
    clientId: "sentinel-inspect",
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  return admin;
}

/** Records on `topics` (sum of partition end offsets); 0 for missing topics. */
export async function topicEnd(
  admin: Admin,
  topics: string[],
): Promise<number> {
  const existing = new Set(await admin.listTopics());
  let n = 0;
  for (const t of topics) {
    if (!existing.has(t)) continue;
    for (const p of await admin.fetchTopicOffsets(t)) n += Number(p.high);
  }
  return n;
}

/** Offsets `group` has committed on `topics`, summed (uncommitted partitions count 0). */
export async function groupCommitted(
  admin: Admin,
  group: string,
  topics: string[],
): Promise<number> {
  let n = 0;
  const res = await admin.fetchOffsets({ groupId: group, topics });
  for (const t of res) {
    for (const p of t.partitions) {
      const o = Number(p.offset);
      if (o > 0) n += o;
    }
  }
  return n;
}

/**
 * Reads `topic` from the start with a throwaway group until it has been
 * idle for `idleMs`, and returns the parsed records.
 */
export async function readTopic<T = Record<string, unknown>>(
  address: string,
  topic: string,
  idleMs = 1500,
): Promise<T[]> {
  const group = `inspect-${crypto.randomUUID()}`;
  const src = await openKafkaSource(
    new URL(
      `kafka://${address}/${topic}?group=${group}&idle_exit_ms=${idleMs}`,
    ),
    { stage: "sink", logger: createLogger("kafka-inspect", "error") },
  );
  const out: T[] = [];
  for await (const b of src.batches()) {
    for (const l of b.lines) out.push(JSON.parse(l));
    await b.commit();
  }
  await src.close();
  return out;
}
