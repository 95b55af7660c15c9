/**
 * The sink stage: the end of the pipe. Records arrive through the shared
 * runner (framing, decoding, dead-lettering of unreadable lines, optional
 * schema validation, signals) and are stored by a {@link StoreWriter} in
 * chDB, a ClickHouse server or NDJSON. Input batches are acknowledged only
 * after the insert holding them succeeded.
 *
 * @module
 */
import { openSource } from "../shared/io/mod.ts";
import type { Logger } from "../shared/log.ts";
import { RECORD_TYPES } from "../shared/records.ts";
import { type RunSummary, runTransform } from "../shared/runner.ts";
import type { Transform } from "../shared/stage.ts";
import type { RetentionDays } from "./schema.ts";
import type { RecordStore } from "./store.ts";
import {
  deferCommits,
  INPUT_LINE,
  type LineMarked,
  type StoreStats,
  StoreWriter,
  type WriterOptions,
} from "./writer.ts";

export * from "./store.ts";
export * from "./schema.ts";
export * from "./report.ts";
export * from "./sql.ts";
export {
  deferCommits,
  type StoreStats,
  StoreWriter,
  type WriterOptions,
} from "./writer.ts";

/** Options of {@link runSink}. */
export interface SinkOptions {
  store: RecordStore;
  logger: Logger;
  /** Source URI. @default "-" */
  in?: string;
  writer?: WriterOptions;
  /** Validate every record against its JSON Schema before storing. @default true */
  validate?: boolean;
  /** Apply init.sql before the first insert. */
  createSchema?: boolean;
  retention?: RetentionDays;
  maxLineBytes?: number;
  /** @default true */
  handleSignals?: boolean;
}

/** Result of {@link runSink}. */
export interface SinkResult {
  run: RunSummary;
  stats: StoreStats;
}

/** Every record type passes through unchanged, to be stored. */
const storeAll: Transform = {
  accepts: RECORD_TYPES,
  push(record, out, ctx) {
    if (ctx.line) (record as LineMarked)[INPUT_LINE] = ctx.line;
    out.forward(record);
  },
};

/** Reads records until end of input (or a signal) and stores them. */
export async function runSink(opts: SinkOptions): Promise<SinkResult> {
  const { store, logger } = opts;
  if (opts.createSchema) await store.applySchema(opts.retention, logger);
  const writer = new StoreWriter(store, logger, opts.writer);
  const source = await openSource(opts.in ?? "-", {
    stage: "sink",
    logger,
    maxLineBytes: opts.maxLineBytes,
    defaultGroup: "sink",
  });
  const run = await runTransform({
    stage: "sink",
    transform: storeAll,
    logger,
    source: deferCommits(source, writer),
    sink: writer,
    maxLineBytes: opts.maxLineBytes,
    validate: opts.validate ?? true,
    handleSignals: opts.handleSignals,
  });
  return { run, stats: writer.stats };
}
