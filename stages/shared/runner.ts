/**
 * Runs a stage core ({@link Transform}) between a source and a sink: frames
 * and decodes input lines, routes records by their `record` field, turns bad
 * input into dead letters, ticks time windows, writes output with
 * back-pressure, acknowledges input only after its output was accepted (and,
 * for stateful cores on Kafka, only once no open window depends on it), and
 * shuts down gracefully on EOF, SIGINT and SIGTERM.
 */
import type { Stage } from "./contracts/mod.ts";
import { validatorFor } from "./contracts/mod.ts";
import type { Logger } from "./log.ts";
import {
  type AnyRecord,
  deadLetter,
  type DeadLetterCode,
  isRecord,
  type RecordType,
} from "./records.ts";
import type { Emitter, Transform } from "./stage.ts";
import { openSink, openSource } from "./io/mod.ts";
import type { OutputRecord, RecordSink, RecordSource } from "./io/types.ts";

/** Options of {@link runTransform}. */
export interface RunOptions {
  stage: Stage;
  transform: Transform;
  logger: Logger;
  /** Source URI. @default "-" */
  in?: string;
  /** Sink URI. @default "-" */
  out?: string;
  /** Already opened source/sink (tests, or stages that open their own). */
  source?: RecordSource;
  sink?: RecordSink;
  /** @default 1 MiB */
  maxLineBytes?: number;
  /** Validate every accepted input record against its JSON Schema. @default false */
  validate?: boolean;
  /** How often `tick` runs. @default 1000 */
  tickMs?: number;
  /** Install SIGINT/SIGTERM handlers. @default true */
  handleSignals?: boolean;
  /**
   * Most input records whose commit a stateful core may hold back (see
   * {@link Transform.neededFromMs}); beyond it the oldest are committed anyway
   * (logged once), trading a restart's completeness for a bounded replay.
   * 0: no hold-back, each batch is committed once its output is written.
   * @default 500000
   */
  maxHeldRecords?: number;
}

/** End-of-run figures, logged as the `summary` line. */
export interface RunSummary {
  stage: Stage;
  /** Input lines read (non-blank). */
  lines_in: number;
  /** Input records by type. */
  records_in: Partial<Record<RecordType, number>>;
  /** Records this stage produced, by type (dead letters included). */
  emitted: Partial<Record<RecordType, number>>;
  /** Records passed through unchanged. */
  forwarded: number;
  /** Dead letters this stage produced, by reason code. */
  dead_letters: Partial<Record<DeadLetterCode, number>>;
  seconds: number;
  lines_per_second: number;
  /** Why the run ended. */
  ended_by: "eof" | "signal" | "error";
  /** Stage-specific figures from `Transform.stats`. */
  stage_stats?: Record<string, unknown>;
  /** Source figures from `RecordSource.stats` (Kafka: replays skipped). */
  source_stats?: Record<string, unknown>;
}

/** Records of this type get a cheap shape check before reaching the core. */
const SHAPE: Record<RecordType, (r: Record<string, unknown>) => string | null> =
  {
    raw_event: (r) => {
      const p = r.payload;
      if (typeof r.event_id !== "string") return "event_id must be a string";
      if (
        typeof p !== "string" &&
        (typeof p !== "object" || p === null || Array.isArray(p))
      ) {
        return "payload must be a string or a JSON object";
      }
      return null;
    },
    enriched_event: (r) => {
      if (typeof r.event_id !== "string") return "event_id must be a string";
      if (typeof r.ts !== "string") return "ts must be a string";
      if (typeof r.category !== "string") return "category must be a string";
      if (typeof r.fields !== "object" || r.fields === null) {
        return "fields must be an object";
      }
      return null;
    },
    alert: (r) =>
      typeof r.alert_id === "string" ? null : "alert_id must be a string",
    dead_letter: (r) =>
      typeof r.reason === "string" ? null : "reason must be a string",
  };

/**
 * Record types that reach a stage only when the stage before it was left
 * out of the pipe: passed on unprocessed, with a warning (once) saying so,
 * instead of a run that silently detects nothing.
 */
const SKIPPED_STAGE: Partial<Record<Stage, Record<string, string>>> = {
  detector: {
    raw_event:
      "raw_event records are passed on unprocessed: the detector reads enriched " +
      "events, so put sentinel-parser before it (… | sentinel-parser | sentinel-detector)",
  },
};

/** How long a stopped stage keeps reading a pipe its upstream is flushing into. */
const STOP_GRACE_MS = 3000;

/** A scan of a stateful core's needs cheaper than this (ms) runs after every batch. */
const SCAN_ALWAYS_MS = 0.5;
/** A costlier scan waits this many times its cost after the last one. */
const SCAN_SPACING = 20;

/**
 * Runs `opts.transform` to completion and returns the summary (also logged).
 * Throws when the source or sink fails for good (the CLI maps that to exit 1).
 */
export async function runTransform(opts: RunOptions): Promise<RunSummary> {
  const { stage, transform, logger } = opts;
  const source = opts.source ??
    await openSource(opts.in ?? "-", {
      stage,
      logger,
      maxLineBytes: opts.maxLineBytes,
      defaultGroup: stage,
    });
  const sink = opts.sink ?? await openSink(opts.out ?? "-", { stage, logger });
  const accepts = new Set<string>(transform.accepts);
  // Warnings still to give (each once) for record types that mean a stage
  // is missing upstream; empty for most stages.
  const hints = new Map(Object.entries(SKIPPED_STAGE[stage] ?? {}));
  const validators = opts.validate
    ? new Map(transform.accepts.map((t) => [t, validatorFor(t)]))
    : null;

  const summary: RunSummary = {
    stage,
    lines_in: 0,
    records_in: {},
    emitted: {},
    forwarded: 0,
    dead_letters: {},
    seconds: 0,
    lines_per_second: 0,
    ended_by: "eof",
  };
  const started = performance.now();

  // Output of the current batch (or tick). Serialized once, here.
  let pending: OutputRecord[] = [];
  let current: AnyRecord | null = null;
  let currentLine = "";
  const emitter: Emitter = {
    emit(record) {
      // Serialized first: a record that cannot be (nested past the stack)
      // throws here and is not counted as emitted.
      const line = JSON.stringify(record);
      const t = record.record;
      summary.emitted[t] = (summary.emitted[t] ?? 0) + 1;
      if (t === "dead_letter") {
        const c = record.reason_code;
        summary.dead_letters[c] = (summary.dead_letters[c] ?? 0) + 1;
      }
      pending.push({ record, line, forwarded: false });
    },
    forward(record) {
      summary.forwarded++;
      // The record being handled, unchanged: its input line is its serialization.
      const line = record === current ? currentLine : JSON.stringify(record);
      pending.push({ record, line, forwarded: true });
    },
  };
  // Forwarding an unchanged input line needs no re-serialization.
  const forwardLine = (record: AnyRecord, line: string) => {
    summary.forwarded++;
    pending.push({ record, line, forwarded: true });
  };
  const reject = (
    code: DeadLetterCode,
    reason: string,
    input: string,
    at: Where,
    rec?: Record<string, unknown>,
    inputBytes?: number,
  ) =>
    emitter.emit(deadLetter(stage, code, `${where(at)}${reason}`, input, {
      // Sources that cannot number lines (Kafka) give a position instead.
      line: at.line,
      position: at.position,
      input_bytes: inputBytes,
      event_id: typeof rec?.event_id === "string" ? rec.event_id : undefined,
      tenant: typeof rec?.tenant === "string" && rec.tenant
        ? rec.tenant
        : undefined,
    }));

  // All writes go through one chain so ticks and batches never interleave.
  let chain: Promise<void> = Promise.resolve();
  const flushPending = (): Promise<void> => {
    if (pending.length === 0) return chain;
    const out = pending;
    pending = [];
    chain = chain.then(() => sink.write(out));
    return chain;
  };

  let stopping = false;
  let drainTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = (why: string) => {
    if (stopping) {
      logger.warn("second signal: exiting without flushing", { signal: why });
      Deno.exit(130);
    }
    stopping = true;
    summary.ended_by = "signal";
    const close = () =>
      source.close().catch((e) =>
        logger.warn("closing the input failed", { error: e })
      );
    if (source.drainOnStop) {
      // The stage upstream got the same signal and is flushing into the
      // pipe: read until it closes, or give up after a grace period (an
      // upstream that does not stop, e.g. `tail -f`).
      logger.info(
        "shutting down: reading what the upstream still sends (until the pipe closes, " +
          `at most ${STOP_GRACE_MS / 1000} s), then flushing`,
        { signal: why },
      );
      drainTimer = setTimeout(close, STOP_GRACE_MS);
    } else {
      logger.info("shutting down: finishing the current batch and flushing", {
        signal: why,
      });
      close();
    }
  };
  const signals: [Deno.Signal, () => void][] = [];
  if (opts.handleSignals !== false) {
    for (const sig of ["SIGINT", "SIGTERM"] as Deno.Signal[]) {
      const h = () => stop(sig);
      Deno.addSignalListener(sig, h);
      signals.push([sig, h]);
    }
  }

  const tickMs = opts.tickMs ?? 1000;
  const timer = transform.tick
    ? setInterval(() => {
      try {
        transform.tick!(Date.now(), emitter);
      } catch (e) {
        logger.error("tick failed", { error: e });
      }
      flushPending().catch(fail);
      // Windows the tick closed may free held commits while input is quiet.
      if (stateful && held.length > 0) {
        rescan(false);
        commitHeld().catch(fail);
      }
    }, tickMs)
    : undefined;

  // A write that fails for good ends the run now, not when (if ever) the
  // next input batch arrives: the source is closed so the loop ends.
  let outputFailure: { error: unknown } | null = null;
  const fail = (e: unknown) => {
    if (outputFailure) return;
    outputFailure = { error: e };
    logger.error("output failed; stopping", { error: e });
    source.close().catch(() => {});
  };

  // Commits held back for a stateful core, oldest first, with the newest
  // event time of each batch and its number (see Transform.neededFromMs).
  const held: {
    commit: () => Promise<void>;
    newestMs: number;
    n: number;
    seq: number;
  }[] = [];
  let heldRecords = 0;
  const maxHeld = opts.maxHeldRecords ?? 500_000;
  let forcedWarned = false;
  const commitHeld = async (): Promise<void> => {
    while (held.length > 0) {
      const h = held[0];
      const forced = heldRecords > maxHeld;
      // The last scan speaks only for the batches pushed before it: a later
      // one may have opened a window (a late event) that needs it.
      let free = h.seq <= scan.upTo && h.newestMs < scan.neededFromMs;
      if (forced && !free && h.seq > scan.upTo) {
        // Over the bound with a batch no scan has seen yet: look before
        // calling it a forced commit (and warning that windows may lose it).
        rescan(true);
        free = h.newestMs < scan.neededFromMs;
      }
      if (!forced && !free) break;
      if (forced && !free && !forcedWarned) {
        forcedWarned = true;
        logger.warn(
          "open windows span more input than may be held uncommitted; " +
            "committing the oldest anyway (a restart now may miss alerts)",
          { max_held_records: maxHeld },
        );
      }
      held.shift();
      heldRecords -= h.n;
      await h.commit();
    }
  };
  const stateful = maxHeld > 0 && transform.takeNewestMs !== undefined &&
    transform.neededFromMs !== undefined;
  // What the open state needs is a scan of all of it (every correlation
  // group: ~11 ms at 200k live groups). A cheap scan runs after every
  // batch; a costly one waits until SCAN_SPACING times its cost has passed
  // since the last, so it takes at most ~1/SCAN_SPACING of the run while
  // commits lag a little more.
  let batchesIn = 0;
  let scan = { neededFromMs: -Infinity, upTo: 0 };
  let scanEnd = -Infinity;
  let scanCost = 0;
  const rescan = (force: boolean): void => {
    const t0 = performance.now();
    if (
      !force && scanCost > SCAN_ALWAYS_MS &&
      t0 - scanEnd < SCAN_SPACING * scanCost
    ) return;
    scan = { neededFromMs: transform.neededFromMs!(), upTo: batchesIn };
    scanEnd = performance.now();
    scanCost = scanEnd - t0;
  };

  let acknowledged: Promise<void> = Promise.resolve();
  try {
    for await (const batch of source.batches()) {
      const { lines } = batch;
      const numbers = batch.numbers;
      const positionOf = batch.positionOf;
      // Where line i came from; built only for a line that is rejected.
      const at = (i: number): Where => {
        const n = numbers?.[i];
        return n && n > 0 ? { line: n } : { position: positionOf?.(i) };
      };
      summary.lines_in += lines.length + (batch.oversize?.length ?? 0) +
        (batch.undecodable?.length ?? 0);
      for (const u of batch.undecodable ?? []) {
        reject(
          "undecodable",
          u.reason,
          "",
          { position: u.position },
          {},
          u.bytes,
        );
      }
      for (const o of batch.oversize ?? []) {
        reject(
          "oversize",
          `${o.bytes} bytes exceeds the maximum line size`,
          o.head,
          o.line > 0 ? { line: o.line } : { position: o.position },
          undefined,
          o.bytes,
        );
      }
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        const lineNo = numbers?.[i];
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch (e) {
          reject(
            "invalid_json",
            `not valid JSON (${(e as Error).message})`,
            line,
            at(i),
          );
          continue;
        }
        if (!isRecord(value)) {
          if (
            typeof value !== "object" || value === null || Array.isArray(value)
          ) {
            reject(
              "not_an_object",
              `expected a JSON object, got ${
                Array.isArray(value)
                  ? "an array"
                  : value === null
                  ? "null"
                  : typeof value
              }`,
              line,
              at(i),
            );
          } else {
            const r = (value as { record?: unknown }).record;
            reject(
              "unknown_record",
              `${
                r === undefined
                  ? "missing 'record' field"
                  : `unknown record type ${JSON.stringify(r)}`
              } (expected raw_event, enriched_event, alert or dead_letter)`,
              line,
              at(i),
              value as Record<string, unknown>,
            );
          }
          continue;
        }
        const type = value.record;
        summary.records_in[type] = (summary.records_in[type] ?? 0) + 1;
        if (!accepts.has(type)) {
          if (sink.dropsForwarded) {
            // A topic sink writes no forwarded record: passing it on would
            // drop it silently (an alert that landed on events.raw).
            reject(
              "unexpected_record",
              `record type ${type} is not processed by the ${stage} (it takes ${
                transform.accepts.join(", ")
              }), and a topic output does not pass records through`,
              line,
              at(i),
              value as unknown as Record<string, unknown>,
            );
          } else {
            const hint = hints.size ? hints.get(type) : undefined;
            if (hint) {
              hints.delete(type);
              logger.warn(hint, { record: type });
            }
            forwardLine(value, line);
          }
          continue;
        }
        const bad = SHAPE[type](value as unknown as Record<string, unknown>) ??
          (validators
            ? (validators.get(type)!(value)?.join("; ") ?? null)
            : null);
        if (bad) {
          reject(
            "schema",
            `invalid ${type}: ${bad}`,
            line,
            at(i),
            value as unknown as Record<string, unknown>,
          );
          continue;
        }
        current = value;
        currentLine = line;
        try {
          transform.push(value, emitter, { line: lineNo });
        } catch (e) {
          reject(
            "processing_error",
            `${stage} failed on this record: ${failure(e)}`,
            line,
            at(i),
            value as unknown as Record<string, unknown>,
          );
        }
      }
      current = null;
      // Pipelining, depth one: this batch's output is written and its input
      // acknowledged while the next batch is read and processed. Commits stay
      // in order and each follows its own output's acceptance; at most two
      // batches are ever being written. A stateful core on a replayable
      // source (the detector on Kafka) has its commits held back further,
      // until no open window needs the batch (Transform.neededFromMs): a
      // restart, clean or not, then reads again what the windows were built
      // from instead of starting them empty.
      const previous = acknowledged;
      const written = flushPending();
      const n = lines.length + (batch.oversize?.length ?? 0) +
        (batch.undecodable?.length ?? 0);
      // The checkpoint is taken now, after this batch and before the next.
      const ack = stateful && batch.release
        ? (() => {
          const seq = ++batchesIn;
          const newestMs = transform.takeNewestMs!();
          rescan(false);
          return () => {
            batch.release!();
            held.push({ commit: batch.commit, newestMs, n, seq });
            heldRecords += n;
            return commitHeld();
          };
        })()
        : () => batch.commit();
      acknowledged = Promise.all([written, previous]).then(ack);
      // A failure ends the run at once (fail closes the source).
      acknowledged.catch(fail);
      await previous.catch(() => {});
      if (outputFailure || (stopping && !source.drainOnStop)) break;
    }
    if (outputFailure) throw (outputFailure as { error: unknown }).error;
    await acknowledged;
    // Input ends (or the stage stops): what the state needs now, exactly,
    // so the commits match a scan after every batch.
    if (stateful && held.length > 0) {
      rescan(true);
      await commitHeld();
    }
    // What the core emitted before failing at the end is still written; the
    // failure then fails the run (exit 1).
    let endError: unknown = null;
    if (transform.end) {
      try {
        transform.end(emitter);
      } catch (e) {
        endError = e;
      }
    }
    await flushPending();
    await sink.flush();
    if (endError) throw endError;
  } catch (e) {
    summary.ended_by = "error";
    throw e;
  } finally {
    if (timer !== undefined) clearInterval(timer);
    clearTimeout(drainTimer);
    for (const [sig, h] of signals) Deno.removeSignalListener(sig, h);
    await source.close().catch(() => {});
    await sink.close().catch(() => {});
    summary.seconds = (performance.now() - started) / 1000;
    summary.lines_per_second = Math.round(
      summary.lines_in / Math.max(summary.seconds, 1e-9),
    );
    if (transform.stats) summary.stage_stats = transform.stats();
    if (source.stats) summary.source_stats = source.stats();
    logger.info("summary", summary as unknown as Record<string, unknown>);
  }
  return summary;
}

/** Why a stage core threw, in words a user can act on. */
function failure(e: unknown): string {
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return "the record nests too deeply to process (JavaScript stack exhausted)";
  }
  return String((e as Error)?.message ?? e);
}

/** Where an input line was read: its number, or a source position. */
interface Where {
  line?: number;
  position?: string;
}

function where(at: Where): string {
  return at.line ? `line ${at.line}: ` : at.position ? `${at.position}: ` : "";
}
