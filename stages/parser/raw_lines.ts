/**
 * `--in-format lines`: every input line is a raw log line (not NDJSON), as
 * in `cat /var/log/auth.log | sentinel-parser --in-format lines`. This wraps
 * any record source (framing, size limit and acknowledgement stay the shared
 * ones) and turns each line into a serialized RawEvent before the runner
 * decodes it. The runner's own `onRawLine` hook only sees lines that are not
 * JSON, so JSON log lines (Zeek, EVTX dumps) would be misread as records:
 * wrapping the source treats every line alike.
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

/** A source whose lines are raw log lines, presented as RawEvent NDJSON. */
export function rawLineSource(
  inner: RecordSource,
  opts: RawLineOptions = {},
): RecordSource {
  return {
    describe: `${inner.describe} (raw lines)`,
    close: () => inner.close(),
    async *batches(): AsyncIterable<InputBatch> {
      for await (const batch of inner.batches()) {
        const lines = new Array<string>(batch.lines.length);
        for (let i = 0; i < lines.length; i++) {
          lines[i] = JSON.stringify(rawEventFromLine(batch.lines[i], opts));
        }
        yield { ...batch, lines };
      }
    },
  };
}
