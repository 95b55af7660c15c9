/**
 * Source and sink adapters. One implementation per medium (stdio, file,
 * Kafka), shared by every stage and chosen at start-up from `--in`/`--out`.
 */
import type { AnyRecord } from "../records.ts";

/** A batch of input lines with the means to acknowledge it. */
export interface InputBatch {
  /** The raw lines (one record each, without the newline). */
  lines: string[];
  /** 1-based position of each line in this source, when meaningful. */
  numbers?: number[];
  /**
   * Lines that could not even be framed because they exceed the size limit.
   * The runner turns each into a dead letter.
   */
  oversize?: { line: number; bytes: number; head: string; position?: string }[];
  /**
   * Record batches that arrived whole but could not be decoded (Kafka: a
   * compressed payload its codec refuses). The runner turns each into one
   * dead letter with the reason; the batch's records are lost with their
   * bytes.
   */
  undecodable?: { reason: string; bytes: number; position: string }[];
  /**
   * Where line `i` of {@link lines} was read, for sources that cannot
   * number lines (Kafka: `topic[partition]@offset`). Called only for lines
   * that become dead letters: it names them and keeps identical bad
   * messages apart.
   */
  positionOf?(i: number): string;
  /**
   * Acknowledges the batch (Kafka: commits offsets). Call only after
   * everything produced from it has been accepted by the sink.
   */
  commit(): Promise<void>;
  /**
   * Sources that can re-read (Kafka): the batch's output was accepted but
   * its commit is held back (a stateful stage's open windows depend on it).
   * The source stops counting it against its in-flight limit; `commit()`
   * follows later, or never (then a restart reads it again).
   */
  release?(): void;
}

/** Where records come from. */
export interface RecordSource {
  /** Batches until end of input or until {@link close} is called. */
  batches(): AsyncIterable<InputBatch>;
  /** Stops reading; a pending `batches()` iteration ends. */
  close(): Promise<void>;
  /** Human description for logs, e.g. "stdin" or "kafka events.raw". */
  readonly describe: string;
  /**
   * Source figures for the end-of-run summary (Kafka: `redelivered_skipped`,
   * records fetched again that this process had already handed out).
   */
  stats?(): Record<string, unknown>;
  /**
   * A pipe from another process (stdin): on SIGINT/SIGTERM the upstream
   * stage, stopped by the same signal (Ctrl-C reaches the whole pipeline),
   * still writes its last records, so the runner reads on until the pipe
   * closes (bounded) instead of closing the input at once and losing them.
   */
  readonly drainOnStop?: boolean;
}

/** One output record with its serialized line. */
export interface OutputRecord {
  record: AnyRecord;
  /** JSON serialization of `record` (no trailing newline). */
  line: string;
  /** True when the record passed through unchanged (see Emitter.forward). */
  forwarded: boolean;
}

/** Where records go. */
export interface RecordSink {
  /**
   * Accepts records; resolves once they are durably handed on (stdout:
   * written; Kafka: acknowledged by the broker). Honours back-pressure by
   * resolving late.
   */
  write(records: OutputRecord[]): Promise<void>;
  /** Flushes buffered output. */
  flush(): Promise<void>;
  /** Flushes and releases the medium. */
  close(): Promise<void>;
  /**
   * True when forwarded records are not written (topic sinks: they already
   * sit on their own topic). The runner then dead-letters records of a type
   * the stage does not process instead of forwarding them into nothing.
   */
  readonly dropsForwarded?: boolean;
  /** True when the sink is ready to accept (for readiness probes). */
  ready(): boolean;
  /**
   * Set once the medium is gone for good (a pipe whose reader closed): no
   * write can succeed again, so a long-running stage should stop.
   */
  readonly lost?: Error | null;
  readonly describe: string;
}
