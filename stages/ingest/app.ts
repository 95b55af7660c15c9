/**
 * The ingest HTTP API as a Hono app: routes that read like the HTTP they
 * serve, with auth, tenant, rate limit, content type and body limit as
 * separate middleware. The app only needs a {@link GroupCommitWriter}; the
 * server (`server.ts`) wires it to a real sink and to Deno.serve.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import type { CredentialStore } from "./credentials.ts";
import {
  type BodyKind,
  decodeBatch,
  type DecodeResult,
  decodeSingle,
  DEFAULT_MAX_BATCH_EVENTS,
  type EventStamp,
} from "./event_input.ts";
import {
  DownstreamUnavailable,
  type GroupCommitWriter,
} from "./group_commit.ts";
import { errorResponse, type IngestEnv } from "./http_env.ts";
import { DEFAULT_MAX_JSON_DEPTH } from "./json_depth.ts";
import { BATCH_TYPES, SINGLE_TYPES } from "./media_types.ts";
import { IngestMetrics } from "./metrics.ts";
import {
  auth,
  boundedBody,
  contentType,
  rateLimit,
  requestMetrics,
  tenant,
} from "./middleware/mod.ts";
import { openApiDocument } from "./openapi.ts";
import type { OutputRecord } from "../shared/io/types.ts";
import type { RawEvent } from "../shared/contracts/mod.ts";

/** Options of {@link createIngestApp}. */
export interface IngestAppOptions {
  /** Where accepted events go. */
  writer: GroupCommitWriter;
  /** Host name stamped as `ingest_node`. */
  ingestNode: string;
  /** @default a fresh registry */
  metrics?: IngestMetrics;
  /** Tenant when neither auth nor X-Tenant names one. @default "default" */
  defaultTenant?: string;
  /** When set, every POST needs a valid credential. */
  credentials?: CredentialStore;
  /** When set, a per-client token bucket. */
  rateLimit?: { ratePerSecond: number; burst?: number };
  /** Largest body of POST /events. @default 1 MiB */
  maxEventBytes?: number;
  /** Largest body of POST /events/batch. @default 16 MiB */
  maxBatchBytes?: number;
  /** Most events in one batch. @default 10000 */
  maxBatchEvents?: number;
  /** Deepest nesting inside one event. @default 32 */
  maxDepth?: number;
  /** True once shutdown began: readiness fails, new events get 503. */
  shuttingDown?: () => boolean;
}

/** Default largest single-event body. */
export const DEFAULT_MAX_EVENT_BYTES = 1 << 20;
/** Default largest batch body. */
export const DEFAULT_MAX_BATCH_BYTES = 16 << 20;

/** The routes the app serves (also the metrics' route labels). */
export const INGEST_ROUTES = [
  "/events",
  "/events/batch",
  "/healthz",
  "/readyz",
  "/metrics",
  "/openapi.json",
] as const;

/** Builds the ingest Hono app. */
export function createIngestApp(opts: IngestAppOptions): Hono<IngestEnv> {
  const metrics = opts.metrics ?? new IngestMetrics();
  const writer = opts.writer;
  const maxEventBytes = opts.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const maxBatchBytes = opts.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  const limits = {
    maxDepth: opts.maxDepth ?? DEFAULT_MAX_JSON_DEPTH,
    maxBatchEvents: opts.maxBatchEvents ?? DEFAULT_MAX_BATCH_EVENTS,
  };
  const shuttingDown = opts.shuttingDown ?? (() => false);
  const openapi = JSON.stringify(openApiDocument({
    maxEventBytes,
    maxBatchBytes,
    maxBatchEvents: limits.maxBatchEvents,
    maxDepth: limits.maxDepth,
    authRequired: opts.credentials !== undefined,
    rateLimited: opts.rateLimit !== undefined,
  }));

  const app = new Hono<IngestEnv>();
  app.use(requestMetrics(metrics, INGEST_ROUTES));

  // The POST pipeline: who → how often → what type → how big → handler.
  const guards = [];
  if (opts.credentials) {
    guards.push(auth({
      credentials: opts.credentials,
      onRefused: (why) => metrics.error(`auth_${why}`),
    }));
  }
  guards.push(tenant({ defaultTenant: opts.defaultTenant }));
  if (opts.rateLimit) {
    guards.push(rateLimit({
      ...opts.rateLimit,
      onLimited: () => metrics.error("rate_limited"),
    }));
  }
  // Registered one by one (not combined) so no per-request composition.
  for (const path of ["/events", "/events/batch"]) {
    for (const g of guards) app.on("POST", path, g);
  }
  const tooLarge = () => metrics.error("payload_too_large");

  const accept = async (
    c: Context<IngestEnv>,
    decode: (text: string, kind: BodyKind, stamp: EventStamp) => DecodeResult,
  ): Promise<OutputRecord[] | Response> => {
    const headers = c.req.raw.headers;
    const sourceName = headers.get("x-source-name");
    const format = headers.get("x-log-format");
    if (
      (sourceName !== null &&
        (sourceName.length === 0 || sourceName.length > 256)) ||
      (format !== null && (format.length === 0 || format.length > 64))
    ) {
      metrics.error("invalid_header");
      return errorResponse(
        c,
        400,
        "invalid_header",
        "X-Source-Name must be 1-256 characters and X-Log-Format 1-64",
      );
    }
    const stamp: EventStamp = {
      tenant: c.get("tenant"),
      ingestNode: opts.ingestNode,
      transport: "http",
      receivedAt: new Date().toISOString(),
      sourceName: sourceName ?? "http",
    };
    if (format !== null) stamp.format = format;
    const result = decode(c.get("body"), c.get("bodyKind"), stamp);
    if (!result.ok) {
      metrics.error(result.error);
      return errorResponse(
        c,
        result.status,
        result.error,
        result.message,
        result.details,
      );
    }
    const records = result.records;
    try {
      if (shuttingDown()) {
        throw new DownstreamUnavailable("ingest is shutting down", 5);
      }
      await writer.submit(records);
    } catch (e) {
      if (!(e instanceof DownstreamUnavailable)) throw e;
      metrics.error("downstream_unavailable");
      return errorResponse(
        c,
        503,
        "downstream_unavailable",
        e.delivery === "none"
          ? `${e.message}; nothing was accepted, retry later`
          : `${e.message}; the events may still be delivered, so a retry may duplicate them`,
        undefined,
        { "retry-after": String(e.retryAfterSeconds) },
      );
    }
    metrics.events("http", records.length);
    return records;
  };

  app.post(
    "/events",
    contentType(SINGLE_TYPES, {
      onRefused: () => metrics.error("unsupported_media_type"),
    }),
    boundedBody({
      maxBytes: maxEventBytes,
      onTooLarge: tooLarge,
      onUnreadable: () => metrics.error("body_unreadable"),
      onUnsupportedEncoding: () => metrics.error("unsupported_encoding"),
      onUndecodable: () => metrics.error("undecodable_body"),
    }),
    async (c) => {
      const r = await accept(
        c,
        (text, kind, stamp) =>
          decodeSingle(text, kind === "text" ? "text" : "json", stamp, limits),
      );
      if (r instanceof Response) return r;
      return c.json({ event_id: (r[0].record as RawEvent).event_id }, 202);
    },
  );

  app.post(
    "/events/batch",
    contentType(BATCH_TYPES, {
      onRefused: () => metrics.error("unsupported_media_type"),
    }),
    boundedBody({
      maxBytes: maxBatchBytes,
      onTooLarge: tooLarge,
      onUnreadable: () => metrics.error("body_unreadable"),
      onUnsupportedEncoding: () => metrics.error("unsupported_encoding"),
      onUndecodable: () => metrics.error("undecodable_body"),
    }),
    async (c) => {
      const r = await accept(
        c,
        (text, kind, stamp) => decodeBatch(text, kind, stamp, limits),
      );
      if (r instanceof Response) return r;
      const ids = new Array<string>(r.length);
      for (let i = 0; i < r.length; i++) {
        ids[i] = (r[i].record as RawEvent).event_id;
      }
      return c.json({ accepted: ids.length, event_ids: ids }, 202);
    },
  );

  app.get("/healthz", (c) => c.json({ status: "ok" }));

  app.get("/readyz", (c) => {
    if (shuttingDown()) {
      c.header("retry-after", "5");
      return c.json({ status: "shutting_down" }, 503);
    }
    if (!writer.ready()) {
      c.header("retry-after", "1");
      return c.json({ status: "not_ready", downstream: writer.describe }, 503);
    }
    return c.json({ status: "ready", downstream: writer.describe });
  });

  app.get("/metrics", (c) =>
    c.body(metrics.render(), 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    }));

  app.get(
    "/openapi.json",
    (c) => c.body(openapi, 200, { "content-type": "application/json" }),
  );

  // A known path with the wrong method is 405, not 404.
  for (const path of INGEST_ROUTES) {
    const allow = path.startsWith("/events") ? "POST" : "GET, HEAD";
    app.all(path, (c) =>
      errorResponse(
        c,
        405,
        "method_not_allowed",
        `${c.req.method} is not allowed on ${path}; use ${allow}`,
        undefined,
        { allow },
      ));
  }

  app.notFound((c) =>
    errorResponse(
      c,
      404,
      "not_found",
      `no route for ${c.req.method} ${c.req.path}`,
    )
  );

  app.onError((err, c) => {
    metrics.error("internal");
    return errorResponse(
      c,
      500,
      "internal_error",
      `internal error: ${err.message}`,
    );
  });

  return app;
}
