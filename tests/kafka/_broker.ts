/** Test-side re-export of the private-broker helper (see scripts/kafka/broker.ts). */
export * from "../../scripts/kafka/broker.ts";
import type { TestBroker } from "../../scripts/kafka/broker.ts";
import { adminFor } from "../../scripts/kafka/inspect.ts";

/** A one-partition topic the broker stores compressed as `compression`. */
export async function createCompressedTopic(
  b: TestBroker,
  topic: string,
  compression: string,
): Promise<void> {
  const admin = await adminFor(b.address);
  try {
    await admin.createTopics({
      topics: [{
        topic,
        numPartitions: 1,
        configEntries: [{ name: "compression.type", value: compression }],
      }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

/** The log segment files of partition 0 of `topic` in the broker's data. */
export async function segmentFiles(
  b: TestBroker,
  topic: string,
): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) await walk(`${dir}/${e.name}`);
      else if (dir.endsWith(`/${topic}-0`) && e.name.endsWith(".log")) {
        found.push(`${dir}/${e.name}`);
      }
    }
  };
  await walk(b.dataDir);
  return found;
}
