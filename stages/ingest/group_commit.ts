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
   * downstream is stalled). The write itself is not cancelled.
   * @default 10000
   */
  writeTimeoutMs?: number;
}

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
  #stalled: Promise<void> | undefined;
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
    while (this.#pending.length > 0) {
      const batch = this.#pending;
      const waiters = this.#waiters;
      this.#pending = [];
      this.#waiters = [];
      this.writes++;
      try {
        if (this.#stalled) await this.#stalled;
        await this.#writeWithTimeout(batch);
        this.written += batch.length;
        for (const w of waiters) w.resolve();
      } catch (e) {
        this.failures++;
        const err = e instanceof DownstreamUnavailable
          ? e
          : new DownstreamUnavailable(
            `downstream ${this.#sink.describe} failed: ${(e as Error).message}`,
          );
        for (const w of waiters) w.reject(err);
      }
    }
    this.#writing = undefined;
  }

  #writeWithTimeout(batch: OutputRecord[]): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const write = this.#sink.write(batch);
    // A timed-out write keeps running; the next write waits for it so
    // records never overtake each other on the way out.
    this.#stalled = write.catch(() => {});
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new DownstreamUnavailable(
              `downstream ${this.#sink.describe} did not accept within ${this.#timeoutMs} ms`,
            ),
          ),
        this.#timeoutMs,
      );
    });
    return Promise.race([write, timeout]).finally(() => clearTimeout(timer));
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
