/**
 * sentinel-ingest: receives security events over HTTP (Hono on Deno.serve)
 * and syslog (UDP/TCP), stamps them, and writes RawEvents to `--out`.
 */
import {
  type CommandSpec,
  intOption,
  main,
  numberOption,
  parseCommand,
  stringOption,
  UsageError,
} from "../stages/shared/cli.ts";
import { openSink } from "../stages/shared/io/mod.ts";
import { createLogger } from "../stages/shared/log.ts";
import {
  type Credential,
  CredentialStore,
  parseAuthFile,
  parseTokenList,
} from "../stages/ingest/credentials.ts";
import { startIngestServer } from "../stages/ingest/server.ts";
import {
  DEFAULT_MAX_BATCH_BYTES,
  DEFAULT_MAX_EVENT_BYTES,
} from "../stages/ingest/app.ts";
import { DEFAULT_MAX_BATCH_EVENTS } from "../stages/ingest/event_input.ts";
import { DEFAULT_MAX_JSON_DEPTH } from "../stages/ingest/json_depth.ts";
import { DEFAULT_MAX_SYSLOG_BYTES } from "../stages/ingest/syslog_framing.ts";
import {
  DEFAULT_MAX_SYSLOG_TCP_CONNECTIONS,
  DEFAULT_SYSLOG_TCP_IDLE_TIMEOUT_MS,
} from "../stages/ingest/syslog_receiver.ts";

const spec: CommandSpec = {
  name: "sentinel-ingest",
  summary:
    "HTTP and syslog receiver: stamps incoming events and writes RawEvents downstream.",
  usage: [
    "sentinel-ingest [--port 8080] [--out -|file:PATH|kafka://HOST:PORT/TOPIC] [--syslog-udp PORT] [--syslog-tcp PORT] [--tls-cert FILE --tls-key FILE [--syslog-tls PORT]]",
  ],
  options: {
    out: {
      type: "string",
      default: "-",
      valueName: "URI",
      description:
        "Where RawEvents go: - (stdout NDJSON), file:PATH, kafka://HOST:PORT[/TOPIC] (topic events.raw; /prod.events.raw is used as is, a name without that suffix is a prefix: /prod writes prod.events.raw).",
    },
    host: {
      type: "string",
      valueName: "ADDR",
      description:
        "Address to listen on (HTTP and syslog). Default: 0.0.0.0 with credentials configured, else 127.0.0.1 (no auth: loopback only unless given explicitly).",
    },
    port: {
      type: "string",
      default: "8080",
      valueName: "PORT",
      description: "HTTP port; 0 picks a free port (logged at start).",
    },
    "syslog-udp": {
      type: "string",
      valueName: "PORT",
      description: "Receive syslog over UDP on PORT (one message a datagram).",
    },
    "syslog-tcp": {
      type: "string",
      valueName: "PORT",
      description:
        "Receive syslog over TCP on PORT (LF or RFC 6587 octet-counted framing).",
    },
    "syslog-tls": {
      type: "string",
      valueName: "PORT",
      description:
        "Receive syslog over TLS on PORT (RFC 5425, e.g. 6514; the TCP framings), with --tls-cert/--tls-key.",
    },
    "tls-cert": {
      type: "string",
      valueName: "FILE",
      description:
        "Certificate chain (PEM): the HTTP API is served over HTTPS only, and --syslog-tls uses it. With --tls-key.",
    },
    "tls-key": {
      type: "string",
      valueName: "FILE",
      description: "Private key (PEM) of --tls-cert.",
    },
    tenant: {
      type: "string",
      default: "default",
      valueName: "NAME",
      description:
        "Tenant for syslog events and for HTTP requests without auth or X-Tenant.",
    },
    "auth-file": {
      type: "string",
      valueName: "FILE",
      description:
        'Require a credential on POST: JSON {"tenants": {"acme": ["<secret>", …]}}; sent as Authorization: Bearer or X-API-Key.',
    },
    "auth-tokens": {
      type: "string",
      valueName: "LIST",
      description:
        "Credentials as tenant:secret[,tenant:secret…] (best from the environment). Combined with --auth-file.",
    },
    "rate-limit": {
      type: "string",
      valueName: "N",
      description:
        "Per-client limit in requests/s (token bucket; 429 beyond). Off by default.",
    },
    "rate-burst": {
      type: "string",
      valueName: "N",
      description: "Token bucket size for --rate-limit (default: the rate).",
    },
    "max-event-bytes": {
      type: "string",
      default: String(DEFAULT_MAX_EVENT_BYTES),
      valueName: "N",
      description:
        "Largest POST /events body, compressed and decompressed (413 beyond).",
    },
    "max-batch-bytes": {
      type: "string",
      default: String(DEFAULT_MAX_BATCH_BYTES),
      valueName: "N",
      description:
        "Largest POST /events/batch body, compressed and decompressed (413 beyond).",
    },
    "max-batch-events": {
      type: "string",
      default: String(DEFAULT_MAX_BATCH_EVENTS),
      valueName: "N",
      description: "Most events in one batch (413 beyond).",
    },
    "max-depth": {
      type: "string",
      default: String(DEFAULT_MAX_JSON_DEPTH),
      valueName: "N",
      description: "Deepest JSON nesting accepted in one event (400 beyond).",
    },
    "max-syslog-bytes": {
      type: "string",
      default: String(DEFAULT_MAX_SYSLOG_BYTES),
      valueName: "N",
      description: "Largest syslog message; longer frames become dead letters.",
    },
    "syslog-max-connections": {
      type: "string",
      default: String(DEFAULT_MAX_SYSLOG_TCP_CONNECTIONS),
      valueName: "N",
      description:
        "Most syslog TCP connections open at once; more are closed at accept.",
    },
    "syslog-idle-timeout-ms": {
      type: "string",
      default: String(DEFAULT_SYSLOG_TCP_IDLE_TIMEOUT_MS),
      valueName: "MS",
      description: "Close a syslog TCP connection silent this long.",
    },
    node: {
      type: "string",
      valueName: "NAME",
      description: "Ingest node name stamped on events (default: host name).",
    },
    "write-timeout-ms": {
      type: "string",
      default: "10000",
      valueName: "MS",
      description:
        "A downstream write slower than this fails its requests with 503.",
    },
  },
  examples: [
    "sentinel-ingest --port 8080 | sentinel-parser | sentinel-detector --rules ./sigma | sentinel-sink",
    "sentinel-ingest --syslog-udp 5514 --syslog-tcp 5514 --out kafka://localhost:9092/events.raw",
    "SENTINEL_AUTH_TOKENS=acme:s3cr3t-token-0001 sentinel-ingest --rate-limit 500",
    "curl -s -XPOST localhost:8080/events -H 'content-type: text/plain' --data 'Nov 24 10:00:00 web-01 sshd[1]: Failed password for root from 203.0.113.9 port 22 ssh2'",
    "gzip -c /var/log/auth.log | curl -s -XPOST localhost:8080/events/batch -H 'content-type: text/plain' -H 'content-encoding: gzip' --data-binary @-",
  ],
  notes: [
    "Routes: POST /events, POST /events/batch, GET /healthz, GET /readyz, GET /metrics, GET /openapi.json.",
    "Bodies may be compressed (Content-Encoding gzip, deflate or br, as log shippers send them); the size limits hold for the decompressed body too.",
    "A 202 answer means the events reached the downstream; SIGINT/SIGTERM stop accepting, finish the requests already received and flush (a request still sending its body gets 503 with Retry-After). If the output pipe closes for good, ingest stops with exit 1.",
  ],
};

async function loadCredentials(
  file: string | undefined,
  tokens: string | undefined,
): Promise<CredentialStore | undefined> {
  const creds: Credential[] = [];
  try {
    if (file !== undefined) {
      let text: string;
      try {
        text = await Deno.readTextFile(file);
      } catch (e) {
        throw new Error(`cannot read ${file}: ${(e as Error).message}`);
      }
      creds.push(...parseAuthFile(text, `--auth-file ${file}`));
    }
    if (tokens !== undefined) creds.push(...parseTokenList(tokens));
    if (file === undefined && tokens === undefined) return undefined;
    if (creds.length === 0) throw new Error("no credentials configured");
    return new CredentialStore(creds);
  } catch (e) {
    throw new UsageError(`auth: ${(e as Error).message}`);
  }
}

/** The certificate and key of --tls-cert/--tls-key (both or neither). */
async function loadTls(
  values: Record<string, unknown>,
): Promise<{ cert: string; key: string } | undefined> {
  const certFile = stringOption(values as never, "tls-cert");
  const keyFile = stringOption(values as never, "tls-key");
  if (certFile === undefined && keyFile === undefined) {
    if (values["syslog-tls"] !== undefined) {
      throw new UsageError("--syslog-tls needs --tls-cert and --tls-key");
    }
    return undefined;
  }
  if (certFile === undefined || keyFile === undefined) {
    throw new UsageError("--tls-cert and --tls-key go together");
  }
  const read = async (flag: string, file: string) => {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (e) {
      throw new UsageError(
        `cannot read ${flag} ${file}: ${(e as Error).message}`,
      );
    }
    if (!text.includes("-----BEGIN ")) {
      throw new UsageError(`${flag} ${file} is not a PEM file`);
    }
    return text;
  };
  return {
    cert: await read("--tls-cert", certFile),
    key: await read("--tls-key", keyFile),
  };
}

/** True for addresses only this machine can reach. */
function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h) ||
    /^::ffff:127\./.test(h);
}

function portOption(values: Record<string, unknown>, name: string) {
  return intOption(values as never, name, { min: 0, max: 65535 });
}

await main(async () => {
  const { values, logLevel } = parseCommand(spec);
  const logger = createLogger("ingest", logLevel);
  // An empty value (e.g. SENTINEL_AUTH_TOKENS= in compose) means "no auth".
  const nonEmpty = (v: string | undefined) => v?.trim() ? v : undefined;
  const credentials = await loadCredentials(
    nonEmpty(stringOption(values, "auth-file")),
    nonEmpty(stringOption(values, "auth-tokens")),
  );
  // Without credentials anyone who reaches the port can submit events for
  // any tenant (X-Tenant): listen on loopback unless told otherwise.
  const host = stringOption(values, "host") ??
    (credentials ? "0.0.0.0" : "127.0.0.1");
  if (!credentials && !isLoopback(host)) {
    logger.warn(
      "WARNING: NO AUTHENTICATION on a non-loopback address: anyone who can reach it can submit events for any tenant (X-Tenant). Configure --auth-tokens / --auth-file, or bind 127.0.0.1.",
      { host },
    );
  }
  const tls = await loadTls(values);
  if (credentials && !tls && !isLoopback(host)) {
    logger.warn(
      "credentials and events travel in clear text: serve HTTPS with --tls-cert/--tls-key, or put a TLS-terminating proxy in front",
      { host },
    );
  }
  const rate = numberOption(values, "rate-limit", { min: 0.001 });
  const burst = numberOption(values, "rate-burst", { min: 1 });
  const sink = await openSink(stringOption(values, "out")!, {
    stage: "ingest",
    logger,
  });
  const serverOptions = {
    sink,
    logger,
    hostname: host,
    port: portOption(values, "port"),
    syslogUdpPort: portOption(values, "syslog-udp"),
    syslogTcpPort: portOption(values, "syslog-tcp"),
    syslogTlsPort: portOption(values, "syslog-tls"),
    tls,
    ingestNode: stringOption(values, "node") ?? Deno.hostname(),
    defaultTenant: stringOption(values, "tenant"),
    credentials,
    rateLimit: rate === undefined
      ? undefined
      : { ratePerSecond: rate, burst: burst },
    maxEventBytes: intOption(values, "max-event-bytes", { min: 64 }),
    maxBatchBytes: intOption(values, "max-batch-bytes", { min: 64 }),
    maxBatchEvents: intOption(values, "max-batch-events", { min: 1 }),
    maxDepth: intOption(values, "max-depth", { min: 1, max: 1000 }),
    maxSyslogBytes: intOption(values, "max-syslog-bytes", { min: 64 }),
    writeTimeoutMs: intOption(values, "write-timeout-ms", { min: 1 }),
    maxSyslogTcpConnections: intOption(values, "syslog-max-connections", {
      min: 1,
    }),
    syslogTcpIdleTimeoutMs: intOption(values, "syslog-idle-timeout-ms", {
      min: 1,
    }),
  };
  let server;
  try {
    server = await startIngestServer(serverOptions);
  } catch (e) {
    // A certificate or key the TLS stack refuses is a configuration error.
    if (tls && !(e instanceof Deno.errors.AddrInUse)) {
      throw new UsageError(
        `--tls-cert/--tls-key cannot be used: ${(e as Error).message}`,
      );
    }
    throw e;
  }
  // Before "listening": a supervisor may signal as soon as it reads it.
  const stop = (signal: string) => {
    logger.info("shutting down", { signal });
    server.shutdown();
  };
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
  logger.info("listening", {
    http: `${server.scheme}://${server.hostname}:${server.port}`,
    port: server.port,
    syslog_udp: server.syslogUdpPort,
    syslog_tcp: server.syslogTcpPort,
    syslog_tls: server.syslogTlsPort,
    out: sink.describe,
    auth: credentials ? `${credentials.size} credential(s)` : "off",
  });

  await server.finished;
  return server.lost ? 1 : 0;
});
