/**
 * Request metrics middleware: counts every request by route, method and
 * status and observes its latency. Unknown paths share one route label so
 * scanners cannot blow up the metric's cardinality.
 */
import { createMiddleware } from "hono/factory";
import type { IngestEnv } from "../http_env.ts";
import type { IngestMetrics } from "../metrics.ts";

/** Observes every request into `metrics`; `routes` are the known paths. */
export function requestMetrics(
  metrics: IngestMetrics,
  routes: Iterable<string>,
) {
  const known = new Set(routes);
  return createMiddleware<IngestEnv>(async (c, next) => {
    const start = performance.now();
    metrics.inflight++;
    try {
      await next();
    } finally {
      metrics.inflight--;
      const path = c.req.path;
      metrics.request(
        known.has(path) ? path : "other",
        c.req.method,
        c.res.status,
        (performance.now() - start) / 1000,
      );
    }
  });
}
