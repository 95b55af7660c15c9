/**
 * Output pacing: a token bucket refilled at the target rate, drained in
 * batches so that high rates (≥ 100k events/s) cost one timer and one sink
 * write per few milliseconds rather than per event. Each batch is awaited at
 * the sink, so a slow consumer slows the generator (back-pressure) and the
 * bucket's cap stops it from bursting without bound afterwards.
 */

/** A token bucket: `rate` tokens per second, holding at most `capacity`. */
export class TokenBucket {
  readonly rate: number;
  readonly capacity: number;
  #tokens: number;
  #lastMs: number;

  /** Starts empty at `nowMs`, so a run does not open with a burst. */
  constructor(rate: number, capacity: number, nowMs: number) {
    this.rate = rate;
    this.capacity = Math.max(1, capacity);
    this.#tokens = 0;
    this.#lastMs = nowMs;
  }

  #refill(nowMs: number): void {
    const dt = nowMs - this.#lastMs;
    if (dt > 0) {
      this.#tokens = Math.min(
        this.capacity,
        this.#tokens + (dt * this.rate) / 1000,
      );
      this.#lastMs = nowMs;
    }
  }

  /** Whole tokens available at `nowMs`. */
  available(nowMs: number): number {
    this.#refill(nowMs);
    return Math.floor(this.#tokens);
  }

  /** Takes up to `max` whole tokens; returns how many were taken. */
  take(max: number, nowMs: number): number {
    this.#refill(nowMs);
    const n = Math.max(0, Math.min(Math.floor(this.#tokens), max));
    this.#tokens -= n;
    return n;
  }

  /** Milliseconds until `n` tokens are available (0 when they are). */
  waitMs(n: number, nowMs: number): number {
    this.#refill(nowMs);
    const missing = Math.min(n, this.capacity) - this.#tokens;
    return missing <= 0 ? 0 : (missing * 1000) / this.rate;
  }
}

/** Options of {@link pace}. */
export interface PaceOptions {
  /** Events per second; 0 = as fast as the sink accepts. */
  rate: number;
  /**
   * Most events sent ahead of the steady rate after a stall (the bucket
   * size). Larger values hold the average rate through scheduler hiccups.
   * @default one second's worth, at least 1
   */
  burst?: number;
  /** Stop after this many events. @default unbounded */
  limit?: number;
  /** Stop after this much wall time. @default unbounded */
  wallLimitMs?: number;
  /** Stops the run early (SIGINT, SIGTERM). */
  signal?: AbortSignal;
  /** Largest batch with `rate` 0. @default 1000 */
  unpacedBatch?: number;
  /** Called about once a second with the events sent so far. */
  onProgress?: (sent: number, elapsedMs: number) => void;
  /** Clock, replaceable in tests. @default performance.now */
  now?: () => number;
  /** Sleep, replaceable in tests. */
  sleep?: (ms: number) => Promise<void>;
}

/** What a paced run achieved. */
export interface PaceResult {
  sent: number;
  elapsedMs: number;
  /** sent / elapsed seconds. */
  achievedRate: number;
}

const realSleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Default bucket size for `rate`. */
export function defaultBurst(rate: number): number {
  return Math.max(1, Math.ceil(rate));
}

/**
 * Calls `send(n)` with batch sizes that keep the total at `rate` events per
 * second, awaiting each call, until the limit, the wall limit or the signal.
 */
export async function pace(
  send: (n: number) => Promise<void> | void,
  opts: PaceOptions,
): Promise<PaceResult> {
  const now = opts.now ?? (() => performance.now());
  const sleep = opts.sleep ?? realSleep;
  const limit = opts.limit ?? Infinity;
  const started = now();
  const deadline = opts.wallLimitMs !== undefined
    ? started + opts.wallLimitMs
    : Infinity;
  let sent = 0;
  let lastProgress = started;
  const burst = Math.max(1, Math.floor(opts.burst ?? defaultBurst(opts.rate)));
  const bucket = opts.rate > 0
    ? new TokenBucket(opts.rate, burst, started)
    : null;
  // Wait for at least ~5 ms worth of events before waking, so timers stay
  // coarse at high rates, but never more than the bucket holds.
  const minBatch = bucket
    ? Math.max(1, Math.min(burst, Math.ceil(opts.rate / 200)))
    : 1;
  // One sink write carries at most ~10 ms worth, so writes stay small even
  // when the bucket holds a large burst.
  const maxBatch = bucket
    ? Math.max(minBatch, Math.min(burst, Math.ceil(opts.rate / 100)))
    : 0;
  const unpaced = opts.unpacedBatch ?? 1000;
  while (sent < limit && !opts.signal?.aborted) {
    const t = now();
    if (t >= deadline) break;
    const remaining = limit - sent;
    let n: number;
    if (!bucket) {
      n = Math.min(unpaced, remaining);
    } else {
      const want = Math.min(minBatch, remaining);
      const wait = bucket.waitMs(want, t);
      if (wait > 0) {
        await sleep(Math.min(wait, deadline - t));
        continue;
      }
      n = bucket.take(Math.min(maxBatch, remaining), t);
    }
    await send(n);
    sent += n;
    if (opts.onProgress) {
      const t2 = now();
      if (t2 - lastProgress >= 1000) {
        lastProgress = t2;
        opts.onProgress(sent, t2 - started);
      }
    }
  }
  const elapsedMs = now() - started;
  return {
    sent,
    elapsedMs,
    achievedRate: elapsedMs > 0 ? (sent * 1000) / elapsedMs : 0,
  };
}
