/**
 * Group commit in front of the downstream sink. Concurrent requests each
 * hand over their events and wait; while one sink write is in flight, the
 * events arriving meanwhile gather into the next write. Every waiter learns
 * whether *its* events reached the downstream, so nothing is acknowledged
 * that was not written, and many small requests cost few sink writes.
 */
import type { OutputRecord, RecordSink } from "../shared/io/types.ts";

/** Thrown to a waiter when its events could not be handed downstream. */
export class DownstreamUnavailable extends Error {
  /** Seconds a client should wait before retrying. */
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds = 1) {
    super(message);
    this.name = "DownstreamUnavailable";
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Options of {@link GroupCommitWriter}. */
export interface GroupCommitOptions {
  /**
   * Most records waiting for the next write; beyond this, new submissions
   * are refused (503) instead of growing memory without bound.
   * @default 200000
   */
  maxPendingRecords?: number;
  /**
   * A write taking longer than this fails its waiters with 503 (the
   * downstream is stalled). The write itself is not cancelled; writes
   * queued behind it get the same deadline, counted from when they were
   * due, and are dropped if it passes (their waiters were answered 503).
   * @default 10000
   */
  writeTimeoutMs?: number;
}

const noop = () => {};

interface Waiter {
  resolve(): void;
  reject(e: Error): void;
}

/** Batches concurrent submissions into sink writes; see the module doc. */
export class GroupCommitWriter {
  readonly #sink: RecordSink;
  readonly #maxPending: number;
  readonly #timeoutMs: number;
  #pending: OutputRecord[] = [];
  #waiters: Waiter[] = [];
  #writing: Promise<void> | undefined;
  #closed = false;
  /** A write that timed out and may still be running. */
  #stalled: Promise<void> | undefined;
  /** Start of the current write, and how to expire it. */
  #since = 0;
  #expire: (() => void) | undefined;
  #watchdog: ReturnType<typeof setTimeout> | undefined;
  /** Records written to the sink so far. */
  written = 0;
  /** Sink writes issued so far. */
  writes = 0;
  /** Writes that failed or timed out. */
  failures = 0;

  constructor(sink: RecordSink, opts: GroupCommitOptions = {}) {
    this.#sink = sink;
    this.#maxPending = opts.maxPendingRecords ?? 200_000;
    this.#timeoutMs = opts.writeTimeoutMs ?? 10_000;
  }

  /** True when the sink is ready and this writer still accepts records. */
  ready(): boolean {
    return !this.#closed && this.#sink.ready();
  }

  /** The sink's description, e.g. "stdout". */
  get describe(): string {
    return this.#sink.describe;
  }

  /** Records accepted but not yet written. */
  get pending(): number {
    return this.#pending.length;
  }

  /**
   * Hands `records` downstream; resolves once the sink has accepted them,
   * rejects with {@link DownstreamUnavailable} otherwise.
   */
  submit(records: OutputRecord[]): Promise<void> {
    if (this.#closed) {
      return Promise.reject(
        new DownstreamUnavailable("ingest is shutting down", 5),
      );
    }
    if (!this.#sink.ready()) {
      return Promise.reject(
        new DownstreamUnavailable(
          `downstream ${this.#sink.describe} is not ready`,
        ),
      );
    }
    if (this.#pending.length + records.length > this.#maxPending) {
      return Promise.reject(
        new DownstreamUnavailable(
          `downstream ${this.#sink.describe} is behind (${this.#pending.length} events waiting)`,
        ),
      );
    }
    const p = new Promise<void>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
    for (let i = 0; i < records.length; i++) this.#pending.push(records[i]);
    if (!this.#writing) this.#writing = this.#drain();
    return p;
  }

  async #drain(): Promise<void> {
    this.#watch();
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending;
        const waiters = this.#waiters;
        this.#pending = [];
        this.#waiters = [];
        this.writes++;
        try {
          await this.#attempt(batch);
          this.written += batch.length;
          for (const w of waiters) w.resolve();
        } catch (e) {
          this.failures++;
          const err = e instanceof DownstreamUnavailable
            ? e
            : new DownstreamUnavailable(
              `downstream ${this.#sink.describe} failed: ${
                (e as Error).message
              }`,
            );
          for (const w of waiters) w.reject(err);
        }
      }
    } finally {
      clearTimeout(this.#watchdog);
      this.#watchdog = undefined;
      this.#writing = undefined;
    }
  }

  /**
   * One sink write, queued behind a write that timed out earlier (records
   * never overtake each other on the way out). Rejects when the watchdog
   * expires it; the write itself is not cancelled, and a write still queued
   * behind a stalled one when it expires is dropped, since its waiters were
   * already told that nothing was accepted.
   */
  #attempt(batch: OutputRecord[]): Promise<void> {
    this.#since = performance.now();
    return new Promise<void>((resolve, reject) => {
      let expired = false;
      const previous = this.#stalled;
      const write = previous === undefined
        ? this.#sink.write(batch)
        : previous.then(() => expired ? undefined : this.#sink.write(batch));
      const expire = () => {
        expired = true;
        const stalled: Promise<void> = write.then(noop, noop).then(() => {
          if (this.#stalled === stalled) this.#stalled = undefined;
        });
        this.#stalled = stalled;
        reject(
          new DownstreamUnavailable(
            `downstream ${this.#sink.describe} did not accept within ${this.#timeoutMs} ms`,
          ),
        );
      };
      this.#expire = expire;
      const settled = () => {
        if (this.#expire === expire) this.#expire = undefined;
      };
      write.then(() => {
        settled();
        resolve();
      }, (e) => {
        settled();
        reject(e);
      });
    });
  }

  /**
   * One timer for a whole run of writes instead of one per write: it wakes
   * when the current write would be due and expires it if it is still open.
   * Under load a timer per write costs more than the write to a pipe.
   */
  #watch(): void {
    const tick = () => {
      const left = this.#since + this.#timeoutMs - performance.now();
      if (left <= 0 && this.#expire) {
        const expire = this.#expire;
        this.#expire = undefined;
        expire();
      }
      this.#watchdog = setTimeout(tick, left > 0 ? left : this.#timeoutMs);
    };
    this.#watchdog = setTimeout(tick, this.#timeoutMs);
  }

  /**
   * Stops accepting, waits for everything accepted so far to be written,
   * then flushes the sink.
   */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#writing) await this.#writing;
    await this.#sink.flush();
  }
}
