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
  /** Flag named in error messages. @default "--in" or "--out" */
  flag?: string;
  /** The file as error messages quote it: what the user typed. @default the URI */
  label?: string;
}

/** Opens the source named by `uri`. */
export async function openSource(
  uri: string,
  opts: AdapterOptions,
): Promise<RecordSource> {
  const max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  if (uri === "-" || uri === "stdin:") return stdinSource(max);
  if (uri.startsWith("file:")) {
    const path = filePath(uri);
    await checkReadable(path, opts.flag ?? "--in", opts.label ?? uri);
    return fileSource(path, max);
  }
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
  if (uri.startsWith("file:")) {
    const path = filePath(uri);
    try {
      return await fileSink(path);
    } catch (e) {
      const flag = opts.flag ?? "--out";
      throw configError(e, flag, opts.label ?? uri, "cannot write") ?? e;
    }
  }
  if (uri.startsWith("kafka://")) {
    const kafka = await import("./kafka.ts");
    return kafka.openKafkaSink(kafka.parseKafkaUri(uri), opts);
  }
  throw new UsageError(
    `--out: unsupported destination '${uri}' (expected -, file:PATH or kafka://HOST:PORT)`,
  );
}

/**
 * A missing or unreadable input file is a configuration error (exit 2, as
 * for a missing --rules or --lookup file), found before the run starts
 * rather than as a runtime failure (exit 1) at the first read. Only regular
 * files are opened to check: opening a FIFO would wait for its writer.
 */
async function checkReadable(
  path: string,
  flag: string,
  label: string,
): Promise<void> {
  try {
    const info = await Deno.stat(path);
    if (info.isDirectory) {
      throw new UsageError(`${flag} ${label}: is a directory, not a file`);
    }
    if (info.isFile) (await Deno.open(path, { read: true })).close();
  } catch (e) {
    throw configError(e, flag, label, "cannot read") ?? e;
  }
}

/**
 * A {@link UsageError} for file errors the user fixes by changing the flag
 * (no such file or folder, no permission, a folder given for a file);
 * undefined for others (disk full, I/O errors), which stay runtime failures.
 */
function configError(
  e: unknown,
  flag: string,
  label: string,
  what: string,
): Error | undefined {
  if (e instanceof UsageError) return e;
  const why = e instanceof Deno.errors.NotFound
    ? "no such file or directory"
    : e instanceof Deno.errors.PermissionDenied
    ? "permission denied"
    : e instanceof Deno.errors.IsADirectory
    ? "is a directory"
    : e instanceof Deno.errors.NotADirectory
    ? "a parent of it is not a directory"
    : undefined;
  return why === undefined
    ? undefined
    : new UsageError(`${flag} ${label}: ${what}: ${why}`);
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
