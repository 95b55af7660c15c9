/**
 * "At most one warning per interval" for conditions that can repeat per
 * packet or per connection (a downstream outage under a UDP flood, a TCP
 * connection flood): a flood must not flood the log. Each warning carries
 * how many occurrences it stands for, so no loss goes unmentioned; exact
 * counts stay in the metrics.
 */

/** Default interval between two warnings: one minute. */
export const DEFAULT_WARN_INTERVAL_MS = 60_000;

/** Counts occurrences of one condition and says when to warn about them. */
export class WarnThrottle {
  readonly #intervalMs: number;
  readonly #now: () => number;
  #lastWarned = -Infinity;
  #unreported = 0;

  /** `now` is replaceable for tests. */
  constructor(
    intervalMs = DEFAULT_WARN_INTERVAL_MS,
    now: () => number = Date.now,
  ) {
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /**
   * Records `n` occurrences. When a warning is due (none in the last
   * interval), returns how many occurred since the last warning, this call's
   * included, and starts a new interval; otherwise returns undefined and the
   * occurrences wait for the next warning.
   */
  note(n = 1): number | undefined {
    this.#unreported += n;
    const now = this.#now();
    if (now - this.#lastWarned < this.#intervalMs) return undefined;
    this.#lastWarned = now;
    const count = this.#unreported;
    this.#unreported = 0;
    return count;
  }

  /**
   * Occurrences not warned about yet (and resets them): for a last warning
   * at shutdown, so a loss just after a warning is not left out of the log.
   */
  drain(): number {
    const count = this.#unreported;
    this.#unreported = 0;
    return count;
  }
}
