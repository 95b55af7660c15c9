/**
 * The stage contract. A stage core is a {@link Transform}: plain code from
 * input records to output records, with no I/O. The runner (`runner.ts`)
 * feeds it from a source adapter and hands what it emits to a sink adapter,
 * so the same core runs on stdio pipes and on Kafka topics.
 */
import type { AnyRecord, RecordType } from "./records.ts";

/** Where a transform puts its output. Calls are synchronous and cheap. */
export interface Emitter {
  /** A record this stage produced (an enriched event, an alert, a dead letter). */
  emit(record: AnyRecord): void;
  /**
   * A record passed on unchanged (e.g. the detector forwarding the enriched
   * event it just examined). Stream outputs (stdout, files) write it; topic
   * outputs (Kafka) drop it, because it already sits on its own topic.
   * The record must be unchanged: forwarding the input record reuses its
   * input line rather than serializing it again.
   */
  forward(record: AnyRecord): void;
}

/** Context the runner gives a transform with each record. */
export interface InputContext {
  /** 1-based position of the record in this stage's input, when known. */
  line?: number;
}

/** A stage core. */
export interface Transform {
  /** Record types this transform handles; others known are forwarded as-is. */
  readonly accepts: readonly RecordType[];
  /** Handles one input record of an accepted type. Must not throw for bad data: emit a dead letter. */
  push(record: AnyRecord, out: Emitter, ctx: InputContext): void;
  /** Called about once a second with wall-clock ms, so time windows can close. */
  tick?(nowMs: number, out: Emitter): void;
  /** End of input (EOF or shutdown): emit everything still held. */
  end?(out: Emitter): void;
  /** Stage-specific figures merged into the end-of-run summary. */
  stats?(): Record<string, unknown>;
  /**
   * Stateful cores (the detector's windows) implement this and
   * {@link neededFromMs}. The newest event time pushed since the previous
   * call (-Infinity if none); called after every input batch, so it must be
   * cheap. On a replayable source (Kafka) the runner commits a batch only
   * once its newest event is older than what the open state still needs,
   * so a restart reads again everything the state was built from.
   * Stateless cores leave both out.
   */
  takeNewestMs?(): number;
  /**
   * The oldest event time the open state still depends on (Infinity if
   * none). May scan the whole state: the runner calls it after a batch only
   * while its cost stays a small share of the run (every batch when it is
   * cheap), and applies each answer only to the batches pushed before it.
   */
  neededFromMs?(): number;
}
