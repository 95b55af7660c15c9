/**
 * Group commit in front of the downstream sink. Concurrent requests each
 * hand over their events and wait; while one sink write is in flight, the
 * events arriving meanwhile gather into the next write. Every waiter learns
 * whether *its* events reached the downstream, so nothing is acknowledged
 * that was not written, and many small requests cost few sink writes.
 */
import type { OutputRecord, RecordSink } from "../shared/io/types.ts";

/**
 * What became of the events of a refused submission: `none` (nothing of
 * them was written) or `unknown` (a write that did not confirm in time may
 * still deliver them).
 */
export type Delivery = "none" | "unknown";

/** Thrown to a waiter when its events could not be handed downstream. */
export class DownstreamUnavailable extends Error {
  /** Seconds a client should wait before retrying. */
  readonly retryAfterSeconds: number;
  readonly delivery: Delivery;
  constructor(
    message: string,
    retryAfterSeconds = 1,
    delivery: Delivery = "none",
  ) {
    super(message);
    this.name = "DownstreamUnavailable";
    this.retryAfterSeconds = retryAfterSeconds;
    this.delivery = delivery;
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
   * A write taking longer than this fails its waiters with 503, delivery
   * unknown: the write itself cannot be cancelled and may still land. Until
   * it ends the downstream counts as stalled: not ready, and new events are
   * refused at once (nothing written) instead of each waiting this long.
   * @default 10000
   */
  writeTimeoutMs?: number;
  /** Told of every failed or timed-out write (e.g. to log it). */
  onFailure?: (error: DownstreamUnavailable, events: number) => void;
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
  readonly #onFailure: GroupCommitOptions["onFailure"];
  #pending: OutputRecord[] = [];
  #waiters: Waiter[] = [];
  #writing: Promise<void> | undefined;
  #closed = false;
  /** A write that timed out and is still running. */
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
    this.#onFailure = opts.onFailure;
  }

  /**
   * True when the sink is ready, no write is stalled and this writer still
   * accepts records.
   */
  ready(): boolean {
    return !this.#closed && this.#stalled === undefined && this.#sink.ready();
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
    if (this.#stalled !== undefined) {
      return Promise.reject(this.#stalledError());
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
        try {
          // Queued while a write stalled: never written.
          if (this.#stalled !== undefined) throw this.#stalledError();
          this.writes++;
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
          this.#onFailure?.(err, batch.length);
          for (const w of waiters) w.reject(err);
        }
      }
    } finally {
      clearTimeout(this.#watchdog);
      this.#watchdog = undefined;
      this.#writing = undefined;
    }
  }

  #stalledError(): DownstreamUnavailable {
    return new DownstreamUnavailable(
      `downstream ${this.#sink.describe} is stalled (a write has not completed within ${this.#timeoutMs} ms)`,
    );
  }

  /**
   * One sink write; rejects when the watchdog expires it. The write itself
   * is not cancelled (a sink cannot take back bytes or messages it may have
   * sent): it stays the stalled write until it ends.
   */
  #attempt(batch: OutputRecord[]): Promise<void> {
    this.#since = performance.now();
    return new Promise<void>((resolve, reject) => {
      const write = this.#sink.write(batch);
      const expire = () => {
        const stalled: Promise<void> = write.then(noop, noop).then(() => {
          if (this.#stalled === stalled) this.#stalled = undefined;
        });
        this.#stalled = stalled;
        reject(
          new DownstreamUnavailable(
            `downstream ${this.#sink.describe} did not confirm the write within ${this.#timeoutMs} ms`,
            1,
            "unknown",
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
