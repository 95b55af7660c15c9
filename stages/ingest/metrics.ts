/**
 * The ingest metrics, rendered in the Prometheus text exposition format
 * (version 0.0.4). Counters are plain maps keyed by their label values, so
 * recording costs a string concatenation and a map update.
 */

/** Upper bounds (seconds) of the request latency histogram buckets. */
export const LATENCY_BUCKETS = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

/** Escapes a label value as the exposition format requires. */
function esc(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/** Counters and histograms of one ingest process. */
export class IngestMetrics {
  readonly #requests = new Map<string, number>();
  readonly #latency = new Map<string, Histogram>();
  readonly #events = new Map<string, number>();
  readonly #errors = new Map<string, number>();
  /** Gauges sampled when rendering. */
  readonly #gauges = new Map<string, { help: string; read: () => number }>();
  inflight = 0;

  /** Records one finished HTTP request. */
  request(route: string, method: string, status: number, seconds: number) {
    const key = `${route}\u0000${method}\u0000${status}`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
    let h = this.#latency.get(route);
    if (!h) {
      h = {
        counts: new Array(LATENCY_BUCKETS.length).fill(0),
        sum: 0,
        count: 0,
      };
      this.#latency.set(route, h);
    }
    h.sum += seconds;
    h.count++;
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
      if (seconds <= LATENCY_BUCKETS[i]) {
        h.counts[i]++;
        break;
      }
    }
  }

  /** Counts events handed downstream, by transport. */
  events(transport: string, n: number) {
    this.#events.set(transport, (this.#events.get(transport) ?? 0) + n);
  }

  /** Counts an error by kind (e.g. invalid_event, downstream_unavailable). */
  error(kind: string, n = 1) {
    this.#errors.set(kind, (this.#errors.get(kind) ?? 0) + n);
  }

  /** Value of one events counter (for tests and summaries). */
  eventCount(transport: string): number {
    return this.#events.get(transport) ?? 0;
  }

  /** Value of one errors counter. */
  errorCount(kind: string): number {
    return this.#errors.get(kind) ?? 0;
  }

  /** Registers a gauge read at render time. */
  gauge(name: string, help: string, read: () => number) {
    this.#gauges.set(name, { help, read });
  }

  /** The metrics as Prometheus text. */
  render(): string {
    const out: string[] = [];
    out.push(
      "# HELP sentinel_ingest_http_requests_total HTTP requests by route, method and status.",
      "# TYPE sentinel_ingest_http_requests_total counter",
    );
    for (const [key, v] of this.#requests) {
      const [route, method, status] = key.split("\u0000");
      out.push(
        `sentinel_ingest_http_requests_total{route="${
          esc(route)
        }",method="${method}",status="${status}"} ${v}`,
      );
    }
    out.push(
      "# HELP sentinel_ingest_http_request_duration_seconds HTTP request latency by route.",
      "# TYPE sentinel_ingest_http_request_duration_seconds histogram",
    );
    for (const [route, h] of this.#latency) {
      const r = esc(route);
      let cum = 0;
      for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
        cum += h.counts[i];
        out.push(
          `sentinel_ingest_http_request_duration_seconds_bucket{route="${r}",le="${
            LATENCY_BUCKETS[i]
          }"} ${cum}`,
        );
      }
      out.push(
        `sentinel_ingest_http_request_duration_seconds_bucket{route="${r}",le="+Inf"} ${h.count}`,
        `sentinel_ingest_http_request_duration_seconds_sum{route="${r}"} ${h.sum}`,
        `sentinel_ingest_http_request_duration_seconds_count{route="${r}"} ${h.count}`,
      );
    }
    out.push(
      "# HELP sentinel_ingest_events_total Events handed downstream, by transport.",
      "# TYPE sentinel_ingest_events_total counter",
    );
    for (const [t, v] of this.#events) {
      out.push(`sentinel_ingest_events_total{transport="${esc(t)}"} ${v}`);
    }
    out.push(
      "# HELP sentinel_ingest_errors_total Refused requests, rejected frames and downstream failures, by kind.",
      "# TYPE sentinel_ingest_errors_total counter",
    );
    for (const [k, v] of this.#errors) {
      out.push(`sentinel_ingest_errors_total{kind="${esc(k)}"} ${v}`);
    }
    out.push(
      "# HELP sentinel_ingest_inflight_requests HTTP requests being served.",
      "# TYPE sentinel_ingest_inflight_requests gauge",
      `sentinel_ingest_inflight_requests ${this.inflight}`,
    );
    for (const [name, g] of this.#gauges) {
      out.push(
        `# HELP ${name} ${g.help}`,
        `# TYPE ${name} gauge`,
        `${name} ${g.read()}`,
      );
    }
    return out.join("\n") + "\n";
  }
}
