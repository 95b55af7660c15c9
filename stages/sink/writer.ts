/**
 * The sink's write path: buffers records per table, flushes by rows, bytes
 * and time, retries transient failures with exponential back-off, turns rows
 * the database refuses into dead letters (found by bisecting the batch), and
 * acknowledges input only once everything read before it is stored.
 */
import type { DeadLetter } from "../shared/contracts/mod.ts";
import type { Logger } from "../shared/log.ts";
import { type AnyRecord, deadLetter } from "../shared/records.ts";
import type {
  InputBatch,
  OutputRecord,
  RecordSink,
  RecordSource,
} from "../shared/io/types.ts";
import {
  type PendingRow,
  type RecordStore,
  StoreError,
  TABLE_OF,
  type TableName,
} from "./store.ts";
import { ByteWriter, type RecordEncoder, RefusedValue } from "./row_binary.ts";

/**
 * Where the sink's transform notes a record's input line on the record
 * itself (a symbol key: invisible to JSON and to the encoders), so a row
 * the store refuses later becomes a dead letter naming its line, like one
 * the runner refused. The runner hands the writer records, not line numbers.
 */
export const INPUT_LINE: unique symbol = Symbol("sentinel.sink.inputLine");

/** A record that may carry its input line (see {@link INPUT_LINE}). */
export type LineMarked = { [INPUT_LINE]?: number };

/** Batching and retry settings. */
export interface WriterOptions {
  /** Flush when this many rows are buffered. @default 20000 */
  maxRows?: number;
  /** Flush when this many bytes are buffered. @default 16 MiB */
  maxBytes?: number;
  /** Flush rows that have waited this long. @default 1000 */
  lingerMs?: number;
  /** Retries of a transient failure before giving up. @default 8 */
  maxRetries?: number;
  /** First back-off delay; doubles each retry (with jitter). @default 200 */
  backoffMs?: number;
  /** Upper bound of one back-off delay. @default 10000 */
  maxBackoffMs?: number;
  /**
   * Keep reading while one full batch is being inserted (at most one insert
   * in flight and one queued). Off: every full batch is stored before
   * `write` returns. @default true
   */
  pipeline?: boolean;
}

const TABLES: TableName[] = ["events", "alerts", "dead_letters", "raw_events"];

/** What the sink stored, for the end-of-run summary. */
export interface StoreStats {
  stored: Record<TableName, number>;
  /** Stored events by category. */
  events_by_category: Record<string, number>;
  /** Stored alerts by rule id. */
  alerts_by_rule: Record<
    string,
    { title: string; kind: string; count: number }
  >;
  /** Stored dead letters by "stage/reason_code". */
  dead_letters_by_reason: Record<string, number>;
  /** Rows the store refused (now dead letters). */
  rejected: number;
  retries: number;
  flushes: number;
}

interface Buffer {
  rows: Record<TableName, PendingRow[]>;
  /** RowBinary of the rows encoded on arrival, per table. */
  bins: Partial<Record<TableName, ByteWriter>>;
  count: number;
  bytes: number;
  /** Input batches whose records are all in this buffer or earlier ones. */
  commits: InputBatch[];
  since: number;
}

function emptyBuffer(): Buffer {
  return {
    rows: { events: [], alerts: [], dead_letters: [], raw_events: [] },
    bins: {},
    count: 0,
    bytes: 0,
    commits: [],
    since: 0,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A {@link RecordSink} that stores records in a {@link RecordStore}.
 * `write` returns at once while the buffer has room (and waits for a flush
 * when it is full, which is the back-pressure on the reader).
 */
export class StoreWriter implements RecordSink {
  readonly describe: string;
  readonly stats: StoreStats = {
    stored: { events: 0, alerts: 0, dead_letters: 0, raw_events: 0 },
    events_by_category: {},
    alerts_by_rule: {},
    dead_letters_by_reason: {},
    rejected: 0,
    retries: 0,
    flushes: 0,
  };
  readonly #store: RecordStore;
  readonly #log: Logger;
  readonly #maxRows: number;
  readonly #maxBytes: number;
  readonly #lingerMs: number;
  readonly #maxRetries: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #pipeline: boolean;
  #buf = emptyBuffer();
  /** The store's encoder per table (undefined: not asked yet). */
  readonly #encoders: Partial<Record<TableName, RecordEncoder | null>> = {};
  #chain: Promise<void> = Promise.resolve();
  #failed: Error | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  /**
   * Encoding buffers of flushed batches, reused: a fresh buffer per batch
   * is external memory that only a major GC gives back, so the dead ones
   * piled up (~100 MB of the sink's RSS at 20k-row batches).
   */
  readonly #spare: ByteWriter[] = [];
  /** Dead-letter rows the sink made for refused rows (never refused twice). */
  readonly #own = new WeakSet<PendingRow>();

  constructor(store: RecordStore, logger: Logger, opts: WriterOptions = {}) {
    this.#store = store;
    this.describe = store.describe;
    this.#log = logger;
    this.#maxRows = opts.maxRows ?? 20_000;
    this.#maxBytes = opts.maxBytes ?? 16 << 20;
    this.#lingerMs = opts.lingerMs ?? 1000;
    this.#maxRetries = opts.maxRetries ?? 8;
    this.#backoffMs = opts.backoffMs ?? 200;
    this.#maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.#pipeline = opts.pipeline ?? true;
  }

  /** Buffers records; waits for a flush when the buffer is full. */
  async write(records: OutputRecord[]): Promise<void> {
    if (this.#failed) throw this.#failed;
    const b = this.#buf;
    if (b.count === 0 && records.length) b.since = performance.now();
    for (let i = 0; i < records.length; i++) {
      const { record, line } = records[i];
      const at = (record as LineMarked)[INPUT_LINE];
      const table = TABLE_OF[record.record];
      let enc = this.#encoders[table];
      if (enc === undefined) {
        enc = this.#encoders[table] = this.#store.encoderFor
          ? await this.#store.encoderFor(table)
          : null;
      }
      b.count++;
      b.bytes += line.length + 1;
      if (enc) {
        // Encoded now, the decoded record is garbage at once (young-generation
        // GC) instead of surviving in the batch until the flush.
        const bin = b.bins[table] ??= this.#spareWriter();
        const start = bin.pos;
        let encoded: boolean;
        try {
          encoded = enc.encode(bin, record, line);
        } catch (e) {
          if (!(e instanceof RefusedValue)) throw e;
          // A value no path may store (a number for an enum): its dead
          // letter now, rather than an insert that fails and a bisection of
          // the whole batch to find the row.
          this.stats.rejected++;
          b.rows.dead_letters.push(
            this.#ownRow(this.#refusal(record, line, at, e.message)),
          );
          continue;
        }
        if (encoded) {
          b.rows[table].push({
            line,
            record: null,
            buf: bin,
            start,
            end: bin.pos,
            note: (record as { category?: string }).category,
            at,
          });
          continue;
        }
      }
      b.rows[table].push({ line, record, buf: null, start: 0, end: 0, at });
    }
    if (b.count >= this.#maxRows || b.bytes >= this.#maxBytes) {
      // Pipelined: the store works on this batch (chDB on its own thread,
      // the server over the network) while the next one is read and
      // buffered. Waiting for the previous flush bounds memory to two full
      // batches plus the one being filled.
      const previous = this.#chain;
      const current = this.#scheduleFlush();
      await (this.#pipeline ? previous : current);
    } else if (b.count > 0) this.#armTimer();
  }

  /**
   * Registers an input batch to acknowledge once everything written so far
   * is stored (see {@link deferCommits}).
   */
  deferCommit(batch: InputBatch): void {
    this.#buf.commits.push(batch);
    if (this.#buf.count === 0) this.#armTimer();
  }

  /** Stores everything buffered. */
  async flush(): Promise<void> {
    await this.#scheduleFlush();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush().finally(() => {
      this.#closed = true;
      clearTimeout(this.#timer);
    });
  }

  ready(): boolean {
    return this.#failed === null;
  }

  #spareWriter(): ByteWriter {
    const w = this.#spare.pop();
    if (!w) return new ByteWriter(1 << 20);
    w.reset();
    return w;
  }

  #armTimer() {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#scheduleFlush().catch(() => {/* surfaced by the next write */});
    }, this.#lingerMs);
  }

  #scheduleFlush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const b = this.#buf;
    if (b.count === 0 && b.commits.length === 0) return this.#chain;
    this.#buf = emptyBuffer();
    this.#chain = this.#chain.then(() => this.#flushBuffer(b));
    this.#chain.catch((e) => {
      this.#failed ??= e as Error;
    });
    return this.#chain;
  }

  async #flushBuffer(b: Buffer): Promise<void> {
    if (this.#failed) throw this.#failed;
    const started = performance.now();
    // Dead letters after events and alerts, so the sink's own rejects of
    // those join them; rows refused from dead_letters and raw_events (after
    // the dead letters were inserted) are stored in a final pass.
    let late: PendingRow[] = [];
    for (const table of TABLES) {
      const rows = b.rows[table];
      if (rows.length === 0) continue;
      const refused = await this.#insertOrBisect(table, rows);
      const into = TABLES.indexOf(table) < TABLES.indexOf("dead_letters")
        ? b.rows.dead_letters
        : late;
      for (const d of refused) into.push(this.#ownRow(d));
    }
    // A refused dead letter of this pass becomes one more of our own; our
    // own being refused ends the run (see #insertOrBisect), so this ends.
    while (late.length) {
      const refused = await this.#insertOrBisect("dead_letters", late);
      late = refused.map((d) => this.#ownRow(d));
    }
    // The batch's rows are stored: their bytes are not needed any more.
    // (At most three buffers live: filling, queued, in flight.)
    for (const w of Object.values(b.bins)) {
      if (this.#spare.length < 3) this.#spare.push(w);
    }
    b.bins = {};
    for (const batch of b.commits) await batch.commit();
    this.stats.flushes++;
    this.#log.debug("flushed", {
      rows: b.count,
      bytes: b.bytes,
      ms: Math.round(performance.now() - started),
    });
  }

  /** The pending row of a dead letter the sink made for a refused row. */
  #ownRow(d: DeadLetter): PendingRow {
    const row: PendingRow = {
      line: JSON.stringify(d),
      record: d,
      buf: null,
      start: 0,
      end: 0,
    };
    this.#own.add(row);
    return row;
  }

  /**
   * The dead letter of a record the store refuses (`why`), with its input
   * line when known, in the reason too, like every other dead letter.
   */
  #refusal(
    record: AnyRecord,
    line: string,
    at: number | undefined,
    why: string,
  ): DeadLetter {
    const rec = record as {
      event_id?: string;
      alert_id?: string;
      tenant?: unknown;
    };
    return deadLetter(
      "sink",
      "rejected_by_store",
      `${
        at ? `line ${at}: ` : ""
      }${this.#store.describe} refused the ${record.record}: ${why}`,
      line,
      {
        event_id: rec.event_id ?? rec.alert_id,
        tenant: typeof rec.tenant === "string" && rec.tenant
          ? rec.tenant
          : undefined,
        line: at,
      },
    );
  }

  /** Inserts rows; on a data rejection splits the batch to find the bad rows. Returns their dead letters. */
  async #insertOrBisect(
    table: TableName,
    rows: PendingRow[],
  ): Promise<DeadLetter[]> {
    try {
      await this.#insertWithRetry(table, rows);
      this.#count(table, rows);
      return [];
    } catch (e) {
      const err = e as StoreError;
      if (!(err instanceof StoreError) || err.kind !== "rejected") throw e;
      if (
        table === "dead_letters" && rows.length === 1 &&
        this.#own.has(rows[0])
      ) {
        // The store refuses even our own dead letter: nothing sane is left.
        throw new StoreError(
          `the store refused a dead letter: ${err.message}`,
          "fatal",
          err.code,
        );
      }
      if (rows.length === 1) {
        this.stats.rejected++;
        // An encoded row gave its decoded record up: decode it again (rare).
        const r = rows[0];
        const record = r.record ?? JSON.parse(r.line) as AnyRecord;
        return [this.#refusal(record, r.line, r.at, err.message)];
      }
      const mid = rows.length >> 1;
      const left = await this.#insertOrBisect(table, rows.slice(0, mid));
      const right = await this.#insertOrBisect(table, rows.slice(mid));
      return left.concat(right);
    }
  }

  async #insertWithRetry(table: TableName, rows: PendingRow[]): Promise<void> {
    for (let attempt = 0;; attempt++) {
      try {
        await this.#store.insert(table, rows);
        return;
      } catch (e) {
        const err = e instanceof StoreError
          ? e
          : new StoreError(String(e), "transient");
        if (err.kind !== "transient") throw err;
        if (attempt >= this.#maxRetries) {
          throw new StoreError(
            `${this.#store.describe}: giving up after ${
              attempt + 1
            } attempts: ${err.message}`,
            "fatal",
            err.code,
          );
        }
        const base = Math.min(
          this.#maxBackoffMs,
          this.#backoffMs * 2 ** attempt,
        );
        const delay = Math.round(base / 2 + Math.random() * base / 2);
        this.stats.retries++;
        this.#log.warn("insert failed, retrying", {
          table,
          rows: rows.length,
          attempt: attempt + 1,
          delay_ms: delay,
          error: err.message,
        });
        await sleep(delay);
      }
    }
  }

  #count(table: TableName, rows: PendingRow[]) {
    const s = this.stats;
    s.stored[table] += rows.length;
    for (const { record: r, note } of rows) {
      if (r === null) {
        // An encoded event: its category was kept.
        if (table === "events" && note !== undefined) {
          s.events_by_category[note] = (s.events_by_category[note] ?? 0) + 1;
        }
      } else if (r.record === "enriched_event") {
        s.events_by_category[r.category] =
          (s.events_by_category[r.category] ?? 0) + 1;
      } else if (r.record === "alert") {
        const a = s.alerts_by_rule[r.rule.id] ??= {
          title: r.rule.title,
          kind: r.kind,
          count: 0,
        };
        a.count++;
      } else if (r.record === "dead_letter") {
        const k = `${r.stage}/${r.reason_code}`;
        s.dead_letters_by_reason[k] = (s.dead_letters_by_reason[k] ?? 0) + 1;
      }
    }
  }
}

/**
 * Wraps a source so that acknowledging a batch is deferred to `writer`: the
 * runner's `commit()` (called once the batch is handed to the writer)
 * becomes "commit after the insert that holds these rows succeeded".
 */
export function deferCommits(
  source: RecordSource,
  writer: StoreWriter,
): RecordSource {
  return {
    describe: source.describe,
    drainOnStop: source.drainOnStop,
    close: () => source.close(),
    async *batches() {
      for await (const batch of source.batches()) {
        yield {
          ...batch,
          commit: () => {
            writer.deferCommit(batch);
            return Promise.resolve();
          },
        };
      }
    },
  };
}
