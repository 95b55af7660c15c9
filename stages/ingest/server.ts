/**
 * The ingest process wiring: one sink behind a group-commit writer, the
 * Hono app on Deno.serve, and the syslog receivers, with an orderly
 * shutdown (stop accepting, drain in-flight requests, deliver what was
 * received, flush and close the sink).
 */
import type { RecordSink } from "../shared/io/types.ts";
import type { Logger } from "../shared/log.ts";
import { createIngestApp, type IngestAppOptions } from "./app.ts";
import { GroupCommitWriter } from "./group_commit.ts";
import { WarnThrottle } from "./log_throttle.ts";
import { IngestMetrics } from "./metrics.ts";
import {
  startSyslogReceivers,
  type SyslogReceivers,
} from "./syslog_receiver.ts";

/** Options of {@link startIngestServer}. */
export interface IngestServerOptions
  extends Omit<IngestAppOptions, "writer" | "metrics" | "shuttingDown"> {
  /** Where events go; closed by shutdown. */
  sink: RecordSink;
  /** @default "127.0.0.1" */
  hostname?: string;
  /** HTTP port; 0 picks a free one. @default 8080 */
  port?: number;
  /** Syslog UDP port (omit: no UDP receiver). */
  syslogUdpPort?: number;
  /** Syslog TCP port (omit: no TCP receiver). */
  syslogTcpPort?: number;
  /** Syslog TLS port (RFC 5425; omit: none). Needs `tls`. */
  syslogTlsPort?: number;
  /**
   * Certificate chain and private key (PEM): the HTTP API is served over
   * HTTPS only, and the syslog TLS receiver uses them.
   */
  tls?: { cert: string; key: string };
  /** Largest syslog message. @default 64 KiB */
  maxSyslogBytes?: number;
  /** Most syslog TCP connections open at once. @default 1024 */
  maxSyslogTcpConnections?: number;
  /** Closes syslog TCP connections silent this long. @default 300000 */
  syslogTcpIdleTimeoutMs?: number;
  /** A sink write slower than this fails its requests with 503. @default 10000 */
  writeTimeoutMs?: number;
  logger?: Logger;
}

/** A running ingest server. */
export interface IngestServer {
  /** Bound HTTP port. */
  port: number;
  hostname: string;
  syslogUdpPort?: number;
  syslogTcpPort?: number;
  syslogTlsPort?: number;
  /** "https" with `tls`, else "http". */
  scheme: "http" | "https";
  metrics: IngestMetrics;
  writer: GroupCommitWriter;
  /** Graceful shutdown; resolves when everything accepted is flushed. */
  shutdown(): Promise<void>;
  /**
   * Set when the server stopped by itself because its downstream is gone
   * for good (the CLI then exits 1).
   */
  readonly lost: Error | undefined;
  /** Resolves once shutdown completed. */
  finished: Promise<void>;
}

/** Starts the HTTP API and the configured syslog receivers. */
export async function startIngestServer(
  opts: IngestServerOptions,
): Promise<IngestServer> {
  const metrics = new IngestMetrics();
  let lost: Error | undefined;
  // Failed writes are answered 503 each; the log says so at once, then at
  // most once a minute with the events refused since (a dead downstream
  // under load must not flood the log).
  const failed = new WarnThrottle();
  const warnFailed = (error: string, events: number) =>
    opts.logger?.warn(
      "downstream writes failed; their events were refused (HTTP: 503; syslog: dropped)",
      {
        out: opts.sink.describe,
        error,
        events,
      },
    );
  let lastError = "";
  const onFailure = (e: Error, events: number) => {
    lastError = e.message;
    const due = failed.note(events);
    if (due !== undefined) warnFailed(e.message, due);
    // A pipe whose reader is gone never takes a write again: stop (exit 1)
    // so a supervisor restarts the whole pipe, instead of answering 503
    // forever while looking alive.
    if (lost === undefined && opts.sink.lost) {
      lost = opts.sink.lost;
      opts.logger?.error("downstream lost for good; stopping", {
        out: opts.sink.describe,
        error: lost.message,
      });
      stopLost();
    }
  };
  // Until the server is up, a loss is only noted (and acted on below).
  let stopLost = () => {};
  const writer = new GroupCommitWriter(opts.sink, {
    writeTimeoutMs: opts.writeTimeoutMs,
    onFailure,
  });
  metrics.gauge(
    "sentinel_ingest_downstream_ready",
    "1 when the downstream accepts events.",
    () => writer.ready() ? 1 : 0,
  );
  metrics.gauge(
    "sentinel_ingest_pending_events",
    "Events waiting for the next downstream write.",
    () => writer.pending,
  );
  let stopping = false;
  const app = createIngestApp({
    ...opts,
    writer,
    metrics,
    shuttingDown: () => stopping,
  });

  const hostname = opts.hostname ?? "127.0.0.1";
  let syslog: SyslogReceivers | undefined;
  if (
    opts.syslogUdpPort !== undefined || opts.syslogTcpPort !== undefined ||
    opts.syslogTlsPort !== undefined
  ) {
    syslog = await startSyslogReceivers({
      udpPort: opts.syslogUdpPort,
      tcpPort: opts.syslogTcpPort,
      tlsPort: opts.syslogTlsPort,
      tls: opts.tls,
      hostname,
      writer,
      metrics,
      tenant: opts.defaultTenant ?? "default",
      ingestNode: opts.ingestNode,
      maxMessageBytes: opts.maxSyslogBytes,
      maxTcpConnections: opts.maxSyslogTcpConnections,
      tcpIdleTimeoutMs: opts.syslogTcpIdleTimeoutMs,
      logger: opts.logger,
    });
  }

  let resolveListening: (port: number) => void;
  const listening = new Promise<number>((r) => resolveListening = r);
  const server = Deno.serve({
    hostname,
    port: opts.port ?? 8080,
    ...(opts.tls ? { cert: opts.tls.cert, key: opts.tls.key } : {}),
    onListen: (addr) => resolveListening(addr.port),
    onError: (e) => {
      metrics.error("internal");
      opts.logger?.error("unhandled error in a request", {
        error: (e as Error)?.message ?? String(e),
      });
      return new Response(
        '{"error":"internal_error","message":"internal error"}',
        {
          status: 500,
          headers: { "content-type": "application/json" },
        },
      );
    },
  }, app.fetch);
  const port = await listening;

  let shutdownPromise: Promise<void> | undefined;
  const shutdown = () => {
    shutdownPromise ??= (async () => {
      stopping = true;
      // Deno.serve's shutdown stops accepting and waits for in-flight
      // requests, whose events are awaited by their handlers.
      await server.shutdown();
      await syslog?.close();
      await writer.close();
      await opts.sink.close();
      const unreported = failed.drain();
      if (unreported > 0) warnFailed(lastError, unreported);
      opts.logger?.info("ingest stopped", {
        events_http: metrics.eventCount("http"),
        events_syslog: metrics.eventCount("syslog"),
        sink_writes: writer.writes,
      });
    })();
    return shutdownPromise;
  };

  stopLost = () => void shutdown();
  // Lost while starting (e.g. a syslog message failed on a dead pipe).
  if (lost !== undefined) stopLost();

  return {
    port,
    hostname,
    syslogUdpPort: syslog?.udpPort,
    syslogTcpPort: syslog?.tcpPort,
    syslogTlsPort: syslog?.tlsPort,
    scheme: opts.tls ? "https" : "http",
    metrics,
    writer,
    shutdown,
    get lost() {
      return lost;
    },
    get finished() {
      return server.finished.then(() => shutdownPromise);
    },
  };
}
