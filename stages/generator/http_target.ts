/**
 * Sends events to sentinel-ingest's `POST /events/batch` as NDJSON, in
 * batches per tenant (`X-Tenant`), several requests in flight, retrying
 * network errors, 429 and 5xx with exponential back-off (honouring
 * `Retry-After`). Events ingest refuses for good are counted as failed, so
 * the run can end with a non-zero exit code.
 *
 * Ingest stamps event id, `received_at`, tenant, transport and node itself,
 * so each line is the input envelope: `{record, source_name, payload,
 * ground_truth?}`.
 */
import type { RawEvent } from "../shared/contracts/mod.ts";
import type { OutputRecord, RecordSink } from "../shared/io/types.ts";
import type { Logger } from "../shared/log.ts";

/** Options of {@link HttpTargetSink}. */
export interface HttpTargetOptions {
  /** Ingest base URL or the full batch endpoint. */
  url: string;
  /** Events per request. @default 500 */
  batchSize?: number;
  /** Requests in flight. @default 4 */
  concurrency?: number;
  /** Retries per request after the first attempt. @default 5 */
  retries?: number;
  /** First back-off delay, doubled per retry. @default 200 */
  backoffMs?: number;
  /** Bearer token for ingest's authentication (every tenant). */
  token?: string;
  /**
   * Bearer token per tenant: ingest ties each credential to one tenant, so
   * multi-tenant traffic needs one per tenant. Wins over `token`.
   */
  tenantTokens?: ReadonlyMap<string, string>;
  logger?: Logger;
  /** Replaceable in tests. */
  fetch?: typeof fetch;
  /** Replaceable in tests. */
  sleep?: (ms: number) => Promise<void>;
}

/** Figures of an HTTP target run. */
export interface HttpTargetStats {
  requests: number;
  retries: number;
  accepted_events: number;
  failed_events: number;
  last_error?: string;
}

/** The batch endpoint for a base URL (adds `/events/batch` to a bare host). */
export function batchEndpoint(url: string): string {
  const u = new URL(url);
  if (u.pathname === "" || u.pathname === "/") u.pathname = "/events/batch";
  return u.toString();
}

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

/** A {@link RecordSink} posting RawEvents to ingest. */
export class HttpTargetSink implements RecordSink {
  readonly describe: string;
  readonly #url: string;
  readonly #batchSize: number;
  readonly #concurrency: number;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #headers: Record<string, string>;
  readonly #tenantAuth = new Map<string, string>();
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #logger?: Logger;
  readonly #inflight = new Set<Promise<void>>();
  readonly #stats: HttpTargetStats = {
    requests: 0,
    retries: 0,
    accepted_events: 0,
    failed_events: 0,
  };
  readonly #loggedStatus = new Set<string>();

  constructor(opts: HttpTargetOptions) {
    this.#url = batchEndpoint(opts.url);
    this.describe = `http ${this.#url}`;
    this.#batchSize = Math.max(1, opts.batchSize ?? 500);
    this.#concurrency = Math.max(1, opts.concurrency ?? 4);
    this.#retries = Math.max(0, opts.retries ?? 5);
    this.#backoffMs = opts.backoffMs ?? 200;
    this.#headers = { "content-type": "application/x-ndjson" };
    if (opts.token) this.#headers.authorization = `Bearer ${opts.token}`;
    for (const [tenant, secret] of opts.tenantTokens ?? []) {
      this.#tenantAuth.set(tenant, `Bearer ${secret}`);
    }
    this.#fetch = opts.fetch ?? fetch;
    this.#sleep = opts.sleep ??
      ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.#logger = opts.logger;
  }

  /** Figures so far. */
  stats(): HttpTargetStats {
    return { ...this.#stats };
  }

  async write(records: OutputRecord[]): Promise<void> {
    const byTenant = new Map<string, string[]>();
    for (const r of records) {
      if (r.record.record !== "raw_event") continue;
      const ev = r.record as RawEvent;
      let lines = byTenant.get(ev.tenant);
      if (!lines) byTenant.set(ev.tenant, lines = []);
      const envelope: Record<string, unknown> = {
        record: "raw_event",
        source_name: ev.source_name,
        payload: ev.payload,
      };
      if (ev.format !== undefined) envelope.format = ev.format;
      if (ev.ground_truth !== undefined) {
        envelope.ground_truth = ev.ground_truth;
      }
      lines.push(JSON.stringify(envelope));
    }
    for (const [tenant, lines] of byTenant) {
      for (let i = 0; i < lines.length; i += this.#batchSize) {
        const chunk = lines.slice(i, i + this.#batchSize);
        // Back-pressure: wait for a free slot before starting another.
        while (this.#inflight.size >= this.#concurrency) {
          await Promise.race(this.#inflight);
        }
        const p = this.#post(tenant, chunk).finally(() =>
          this.#inflight.delete(p)
        );
        this.#inflight.add(p);
      }
    }
  }

  async #post(tenant: string, lines: string[]): Promise<void> {
    const body = lines.join("\n") + "\n";
    const headers: Record<string, string> = {
      ...this.#headers,
      "x-tenant": tenant,
    };
    const auth = this.#tenantAuth.get(tenant);
    if (auth !== undefined) headers.authorization = auth;
    else if (this.#tenantAuth.size > 0 && headers.authorization === undefined) {
      // Per-tenant tokens were given, none for this tenant (a replayed file
      // can hold any tenant): ingest would refuse it, so do not send.
      this.#fail(
        tenant,
        lines.length,
        `no token for tenant '${tenant}' in --tenant-tokens (and no --token)`,
      );
      return;
    }
    let lastError = "";
    for (let attempt = 0; attempt <= this.#retries; attempt++) {
      if (attempt > 0) this.#stats.retries++;
      this.#stats.requests++;
      let delay = this.#backoffMs * 2 ** attempt * (0.75 + Math.random() / 2);
      try {
        const res = await this.#fetch(this.#url, {
          method: "POST",
          headers,
          body,
        });
        const text = await res.text();
        if (res.ok) {
          this.#stats.accepted_events += lines.length;
          return;
        }
        lastError = `HTTP ${res.status}: ${text.slice(0, 300)}`;
        if (!RETRYABLE.has(res.status)) break;
        const ra = Number(res.headers.get("retry-after"));
        if (Number.isFinite(ra) && ra > 0) delay = Math.min(30_000, ra * 1000);
      } catch (e) {
        // fetch says only "fetch failed"; why (refused, certificate not
        // trusted, …) is in its cause.
        const cause = (e as Error).cause as Error | undefined;
        lastError = `request failed: ${(e as Error).message}${
          cause?.message ? ` (${cause.message})` : ""
        }`;
      }
      if (attempt < this.#retries) await this.#sleep(Math.min(delay, 10_000));
    }
    this.#fail(tenant, lines.length, lastError);
  }

  #fail(tenant: string, events: number, error: string): void {
    this.#stats.failed_events += events;
    this.#stats.last_error = error;
    const key = error.slice(0, 12);
    if (!this.#loggedStatus.has(key)) {
      this.#loggedStatus.add(key);
      this.#logger?.error("batch not accepted by ingest", {
        url: this.#url,
        tenant,
        events,
        error,
      });
    }
  }

  async flush(): Promise<void> {
    while (this.#inflight.size) await Promise.all([...this.#inflight]);
  }

  async close(): Promise<void> {
    await this.flush();
  }

  ready(): boolean {
    return true;
  }
}
