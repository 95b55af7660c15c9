/**
 * Per-client token-bucket rate limit. Each client (its tenant when
 * authenticated, else its address) gets `burst` requests at once and
 * `ratePerSecond` more every second; beyond that, 429 with Retry-After.
 */
import { createMiddleware } from "hono/factory";
import { errorResponse, type IngestEnv, peerAddress } from "../http_env.ts";

/** Options of {@link rateLimit}. */
export interface RateLimitOptions {
  /** Sustained requests per second per client. */
  ratePerSecond: number;
  /** Bucket size. @default ratePerSecond */
  burst?: number;
  /** Most clients tracked; the oldest bucket is dropped beyond. @default 10000 */
  maxClients?: number;
  /** Clock in ms (tests). @default performance.now */
  now?: () => number;
  /** Called on every refusal (for metrics). */
  onLimited?: () => void;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** A set of token buckets, one per client key. */
export class TokenBuckets {
  readonly #rate: number;
  readonly #burst: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(opts: RateLimitOptions) {
    if (!(opts.ratePerSecond > 0)) {
      throw new Error("ratePerSecond must be > 0");
    }
    this.#rate = opts.ratePerSecond;
    this.#burst = Math.max(1, opts.burst ?? opts.ratePerSecond);
    this.#max = opts.maxClients ?? 10_000;
    this.#now = opts.now ?? (() => performance.now());
  }

  /**
   * Takes one token for `key`. Returns 0 when allowed, else the seconds
   * until a token is available.
   */
  take(key: string): number {
    const now = this.#now();
    let b = this.#buckets.get(key);
    if (!b) {
      if (this.#buckets.size >= this.#max) {
        // Map iteration is insertion order: drop the oldest client.
        this.#buckets.delete(this.#buckets.keys().next().value as string);
      }
      b = { tokens: this.#burst, at: now };
      this.#buckets.set(key, b);
    } else {
      b.tokens = Math.min(
        this.#burst,
        b.tokens + ((now - b.at) / 1000) * this.#rate,
      );
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return (1 - b.tokens) / this.#rate;
  }
}

/** Refuses requests beyond the client's rate with 429. */
export function rateLimit(opts: RateLimitOptions) {
  const buckets = new TokenBuckets(opts);
  return createMiddleware<IngestEnv>(async (c, next) => {
    const key = c.get("clientKey") ?? `ip:${peerAddress(c)}`;
    const wait = buckets.take(key);
    if (wait > 0) {
      opts.onLimited?.();
      return errorResponse(
        c,
        429,
        "rate_limited",
        `rate limit of ${opts.ratePerSecond} requests/s exceeded`,
        undefined,
        { "retry-after": String(Math.max(1, Math.ceil(wait))) },
      );
    }
    await next();
  });
}
