/**
 * Kafka adapter — placeholder until the Kafka adapter lands (issue 6).
 * Every call fails with a clear message rather than pretending to work.
 */
import type { RecordSink, RecordSource } from "./types.ts";
import type { AdapterOptions } from "./mod.ts";

/** Opens a Kafka topic as a source. */
export function openKafkaSource(
  _url: URL,
  _opts: AdapterOptions,
): Promise<RecordSource> {
  return Promise.reject(
    new Error("Kafka mode is not available in this build yet"),
  );
}

/** Opens Kafka topics as a sink. */
export function openKafkaSink(
  _url: URL,
  _opts: AdapterOptions,
): Promise<RecordSink> {
  return Promise.reject(
    new Error("Kafka mode is not available in this build yet"),
  );
}
