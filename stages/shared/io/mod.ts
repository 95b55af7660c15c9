/**
 * Chooses a source or sink adapter from a URI (`--in` / `--out`):
 * `-` (stdin/stdout), `file:PATH`, `kafka://host:port[,host:port]/topic?group=NAME`.
 * Kafka support is loaded only when asked for, so stdio pipes start fast.
 */
import type { Logger } from "../log.ts";
import type { Stage } from "../contracts/mod.ts";
import { DEFAULT_MAX_LINE_BYTES } from "../ndjson.ts";
import { UsageError } from "../cli.ts";
import { fileSink, fileSource, stdinSource, stdoutSink } from "./stdio.ts";
import type { RecordSink, RecordSource } from "./types.ts";

export type {
  InputBatch,
  OutputRecord,
  RecordSink,
  RecordSource,
} from "./types.ts";

/** Options shared by every adapter. */
export interface AdapterOptions {
  stage: Stage;
  logger: Logger;
  /** @default 1 MiB */
  maxLineBytes?: number;
  /** Default Kafka consumer group when the URI names none (the stage name). */
  defaultGroup?: string;
}

/** Opens the source named by `uri`. */
export async function openSource(
  uri: string,
  opts: AdapterOptions,
): Promise<RecordSource> {
  const max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  if (uri === "-" || uri === "stdin:") return stdinSource(max);
  if (uri.startsWith("file:")) return fileSource(filePath(uri), max);
  if (uri.startsWith("kafka://")) {
    const kafka = await import("./kafka.ts");
    return kafka.openKafkaSource(kafka.parseKafkaUri(uri), {
      ...opts,
      maxLineBytes: max,
    });
  }
  throw new UsageError(
    `--in: unsupported source '${uri}' (expected -, file:PATH or kafka://HOST:PORT/TOPIC)`,
  );
}

/** Opens the sink named by `uri`. */
export async function openSink(
  uri: string,
  opts: AdapterOptions,
): Promise<RecordSink> {
  if (uri === "-" || uri === "stdout:") return stdoutSink();
  if (uri.startsWith("file:")) return await fileSink(filePath(uri));
  if (uri.startsWith("kafka://")) {
    const kafka = await import("./kafka.ts");
    return kafka.openKafkaSink(kafka.parseKafkaUri(uri), opts);
  }
  throw new UsageError(
    `--out: unsupported destination '${uri}' (expected -, file:PATH or kafka://HOST:PORT)`,
  );
}

function filePath(uri: string): string {
  const p = uri.slice("file:".length);
  if (!p) {
    throw new UsageError(
      `'${uri}': file: needs a path, e.g. file:./events.ndjson`,
    );
  }
  return p.startsWith("//") ? new URL(uri).pathname : p;
}
