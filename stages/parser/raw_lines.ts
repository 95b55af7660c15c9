/**
 * `--in-format lines`: every input line is a raw log line (not NDJSON), as
 * in `cat /var/log/auth.log | sentinel-parser --in-format lines`. This wraps
 * any record source (framing, size limit and acknowledgement stay the shared
 * ones) and turns each line into a serialized RawEvent before the runner
 * decodes it. Wrapping the source treats every line alike: a hook that only
 * saw lines failing JSON.parse would misread JSON log lines (Zeek, EVTX
 * dumps) as records.
 */
import type { RawEvent, Transport } from "../shared/contracts/mod.ts";
import { randomEventId } from "../shared/ids.ts";
import type { InputBatch, RecordSource } from "../shared/io/types.ts";

/** What each wrapped line's RawEvent says about where it came from. */
export interface RawLineOptions {
  /** @default "default" */
  tenant?: string;
  /** @default "stdin" */
  sourceName?: string;
  /** @default "stdin" */
  transport?: Transport;
  /** Host name of this node. @default "localhost" */
  ingestNode?: string;
  /** Format hint set on every RawEvent (skips auto-detection). */
  format?: string;
  /** Clock for received_at (tests). @default Date.now */
  now?: () => number;
}

/** Wraps one raw log line into a RawEvent. */
export function rawEventFromLine(
  line: string,
  opts: RawLineOptions = {},
): RawEvent {
  const raw: RawEvent = {
    record: "raw_event",
    event_id: randomEventId(),
    received_at: new Date((opts.now ?? Date.now)()).toISOString(),
    tenant: opts.tenant ?? "default",
    source_name: opts.sourceName ?? "stdin",
    transport: opts.transport ?? "stdin",
    ingest_node: opts.ingestNode ?? "localhost",
    payload: line,
  };
  if (opts.format !== undefined) raw.format = opts.format;
  return raw;
}

/**
 * Serializes RawEvents for raw lines: the same text as
 * `JSON.stringify(rawEventFromLine(line, opts))`, but the envelope fields
 * that are the same for every line are serialized once, the receipt time is
 * formatted once per millisecond (not a Date per line), and no object is
 * built. (The runner still parses the text: its input is NDJSON lines.)
 */
export function rawLineSerializer(
  opts: RawLineOptions = {},
): (line: string) => string {
  const now = opts.now ?? Date.now;
  const head = '{"record":"raw_event","event_id":"';
  const middle = `,"tenant":${JSON.stringify(opts.tenant ?? "default")}` +
    `,"source_name":${JSON.stringify(opts.sourceName ?? "stdin")}` +
    `,"transport":${JSON.stringify(opts.transport ?? "stdin")}` +
    `,"ingest_node":${JSON.stringify(opts.ingestNode ?? "localhost")}` +
    ',"payload":';
  const tail = opts.format === undefined
    ? "}"
    : `,"format":${JSON.stringify(opts.format)}}`;
  let lastMs = NaN;
  let lastAt = "";
  return (line: string): string => {
    const ms = now();
    if (ms !== lastMs) {
      lastMs = ms;
      lastAt = `"received_at":${JSON.stringify(new Date(ms).toISOString())}`;
    }
    return `${head}${randomEventId()}",${lastAt}${middle}${
      JSON.stringify(line)
    }${tail}`;
  };
}

/** A source whose lines are raw log lines, presented as RawEvent NDJSON. */
export function rawLineSource(
  inner: RecordSource,
  opts: RawLineOptions = {},
): RecordSource {
  const serialize = rawLineSerializer(opts);
  return {
    describe: `${inner.describe} (raw lines)`,
    close: () => inner.close(),
    async *batches(): AsyncIterable<InputBatch> {
      for await (const batch of inner.batches()) {
        const src = batch.lines;
        const lines = new Array<string>(src.length);
        for (let i = 0; i < lines.length; i++) lines[i] = serialize(src[i]);
        yield { ...batch, lines };
      }
    },
  };
}
