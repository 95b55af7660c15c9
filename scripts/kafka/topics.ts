/**
 * Creates the pipeline topics on a broker (`scripts/kafka.sh topics`).
 * Usage: deno run -A scripts/kafka/topics.ts HOST:PORT[,HOST:PORT] [PARTITIONS]
 */
import { createTopics, DEFAULT_TOPICS } from "../../stages/shared/io/kafka.ts";
import { createLogger } from "../../stages/shared/log.ts";

const [brokers = "127.0.0.1:19092", partitions = "3"] = Deno.args;
const n = Number(partitions);
if (!Number.isInteger(n) || n < 1) {
  console.error(`partitions must be a positive integer, got '${partitions}'`);
  Deno.exit(2);
}
const topics = Object.values(DEFAULT_TOPICS);
await createTopics(
  brokers.split(","),
  topics,
  n,
  createLogger("kafka", "warn"),
);
console.log(`topics ready on ${brokers}: ${topics.join(", ")}`);
