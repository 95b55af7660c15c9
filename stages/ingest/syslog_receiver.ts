/**
 * Syslog receivers: UDP (one message a datagram, RFC 5426), TCP (RFC 6587
 * octet counting or LF framing) and TLS (RFC 5425: the same framing over
 * TLS, as rsyslog's gtls/ossl drivers and syslog-ng's tls() send it). Each message becomes a RawEvent with
 * transport `syslog` and the line as payload; frames that cannot be
 * delivered become dead letters. TCP reads wait for the downstream, so a
 * slow downstream slows the sender instead of growing memory.
 */
import dgram from "node:dgram";
import net from "node:net";
import tls from "node:tls";
import type { Buffer } from "node:buffer";
import type { RawEvent } from "../shared/contracts/mod.ts";
import { randomEventId } from "../shared/ids.ts";
import type { OutputRecord } from "../shared/io/types.ts";
import type { Logger } from "../shared/log.ts";
import { deadLetter } from "../shared/records.ts";
import type { GroupCommitWriter } from "./group_commit.ts";
import { WarnThrottle } from "./log_throttle.ts";
import type { IngestMetrics } from "./metrics.ts";
import {
  DEFAULT_MAX_SYSLOG_BYTES,
  syslogDatagramMessage,
  SyslogFrameDecoder,
  type SyslogFrames,
} from "./syslog_framing.ts";

/** Options of {@link startSyslogReceivers}. */
export interface SyslogReceiverOptions {
  /** UDP port to listen on (0 = any free port); omit for no UDP receiver. */
  udpPort?: number;
  /** TCP port to listen on (0 = any free port); omit for no TCP receiver. */
  tcpPort?: number;
  /** TLS port to listen on (0 = any free port); needs `tls`. */
  tlsPort?: number;
  /** Certificate chain and private key (PEM) of the TLS receiver. */
  tls?: { cert: string; key: string };
  /** @default "127.0.0.1" */
  hostname?: string;
  writer: GroupCommitWriter;
  metrics: IngestMetrics;
  tenant: string;
  ingestNode: string;
  /** @default "syslog" */
  sourceName?: string;
  /** Largest message accepted. @default 64 KiB */
  maxMessageBytes?: number;
  /**
   * Most TCP connections open at once; further ones are closed at accept
   * (each open connection holds a 64 KiB read buffer and decoder state).
   * @default 1024
   */
  maxTcpConnections?: number;
  /**
   * A TCP connection that sends nothing for this long is closed (what it
   * sent is delivered). @default 300000
   */
  tcpIdleTimeoutMs?: number;
  logger?: Logger;
}

/** Default of {@link SyslogReceiverOptions.maxTcpConnections}. */
export const DEFAULT_MAX_SYSLOG_TCP_CONNECTIONS = 1024;
/** Default of {@link SyslogReceiverOptions.tcpIdleTimeoutMs}. */
export const DEFAULT_SYSLOG_TCP_IDLE_TIMEOUT_MS = 300_000;

/** Running receivers. */
export interface SyslogReceivers {
  /** Bound UDP port, when listening. */
  udpPort?: number;
  /** Bound TCP port, when listening. */
  tcpPort?: number;
  /** Bound TLS port, when listening. */
  tlsPort?: number;
  /**
   * Stops listening, ends open TCP and TLS connections (delivering what they
   * sent), and waits until every received message was handed downstream.
   */
  close(): Promise<void>;
}

/** One accepted stream connection (TCP, or TLS over TCP). */
interface StreamConn {
  /**
   * The next bytes received (valid until the next call), or null once the
   * connection ended: closed by either side, reset, or a failed handshake.
   */
  read(): Promise<Uint8Array | null>;
  /** Closes the connection from our side; a pending read ends. */
  close(): void;
}

/**
 * A plain TCP connection. Its read buffer is made at the first read, so a
 * connection refused at the limit costs nothing.
 */
function denoConn(conn: Deno.Conn): StreamConn {
  let buf: Uint8Array | undefined;
  return {
    async read() {
      buf ??= new Uint8Array(64 * 1024);
      try {
        const n = await conn.read(buf);
        return n === null ? null : buf.subarray(0, n);
      } catch {
        return null; // reset, or closed by us (idle, shutdown)
      }
    },
    close() {
      try {
        conn.close();
      } catch {
        // already closed
      }
    },
  };
}

/**
 * A TLS connection over a node socket. Deno's own TLS connections cannot be
 * closed while their handshake is pending: a client that connected and
 * never handshook kept its socket past the idle timeout and the connection
 * limit, so a few hundred of them used up the process's files and took
 * ingest down. Closing the TCP socket underneath works at any point.
 */
function tlsConn(raw: net.Socket, context: tls.SecureContext): StreamConn {
  // TLS starts at the first read: a connection refused at the limit is
  // closed without a handshake begun.
  let socket: tls.TLSSocket | undefined;
  let chunks: AsyncIterator<Uint8Array> | undefined;
  return {
    async read() {
      if (chunks === undefined) {
        socket = new tls.TLSSocket(raw, {
          isServer: true,
          secureContext: context,
        });
        socket.on("error", () => {}); // a failed handshake ends the read
        chunks = socket[Symbol.asyncIterator]();
      }
      try {
        const r = await chunks.next();
        return r.done ? null : r.value;
      } catch {
        return null;
      }
    },
    close() {
      socket?.destroy();
      raw.destroy();
    },
  };
}

/** Starts the configured receivers. */
export async function startSyslogReceivers(
  opts: SyslogReceiverOptions,
): Promise<SyslogReceivers> {
  const hostname = opts.hostname ?? "127.0.0.1";
  const maxConns = opts.maxTcpConnections ??
    DEFAULT_MAX_SYSLOG_TCP_CONNECTIONS;
  const idleMs = opts.tcpIdleTimeoutMs ?? DEFAULT_SYSLOG_TCP_IDLE_TIMEOUT_MS;
  const max = opts.maxMessageBytes ?? DEFAULT_MAX_SYSLOG_BYTES;
  const sourceName = opts.sourceName ?? "syslog";
  const inflight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inflight.add(p);
    p.finally(() => inflight.delete(p)).catch(() => {});
    return p;
  };

  const toRecords = (frames: SyslogFrames): OutputRecord[] => {
    const out: OutputRecord[] = [];
    const receivedAt = new Date().toISOString();
    for (const msg of frames.messages) {
      const ev: RawEvent = {
        record: "raw_event",
        event_id: randomEventId(),
        received_at: receivedAt,
        tenant: opts.tenant,
        source_name: sourceName,
        transport: "syslog",
        ingest_node: opts.ingestNode,
        payload: msg,
      };
      out.push({ record: ev, line: JSON.stringify(ev), forwarded: false });
    }
    for (const r of frames.rejects) {
      // A received frame has no replay identity (no line, no offset): it
      // gets an event id like any message, so two different frames with the
      // same head are two dead letters in the store, not one.
      const dl = deadLetter("ingest", r.code, r.reason, r.input, {
        tenant: opts.tenant,
        event_id: randomEventId(),
        input_bytes: r.bytes,
      });
      out.push({ record: dl, line: JSON.stringify(dl), forwarded: false });
    }
    return out;
  };

  // While the downstream is down every datagram fails: one warning a
  // minute with the number of messages lost since the previous one.
  const undelivered = new WarnThrottle();
  const warnUndelivered = (messages: number, error: unknown) =>
    opts.logger?.warn("syslog messages not delivered", {
      messages,
      error: error instanceof Error ? error.message : String(error),
    });
  let lastDeliveryError: unknown;

  /** Hands frames downstream; false when the downstream refused them. */
  const deliver = async (frames: SyslogFrames): Promise<boolean> => {
    if (frames.messages.length === 0 && frames.rejects.length === 0) {
      return true;
    }
    if (frames.rejects.length > 0) {
      opts.metrics.error("syslog_rejected_frame", frames.rejects.length);
    }
    try {
      await opts.writer.submit(toRecords(frames));
      opts.metrics.events("syslog", frames.messages.length);
      return true;
    } catch (e) {
      opts.metrics.error("syslog_dropped", frames.messages.length);
      lastDeliveryError = e;
      const lost = undelivered.note(frames.messages.length);
      if (lost !== undefined) warnUndelivered(lost, e);
      return false;
    }
  };

  const result: SyslogReceivers = { close: () => Promise.resolve() };
  const closers: (() => Promise<void>)[] = [];

  if (opts.udpPort !== undefined) {
    const socket = dgram.createSocket(
      hostname.includes(":") ? "udp6" : "udp4",
    );
    socket.on("message", (msg: Buffer) => {
      if (msg.length > max) {
        track(deliver({
          messages: [],
          rejects: [{
            code: "oversize",
            reason:
              `syslog datagram of ${msg.length} bytes exceeds the limit of ${max} bytes`,
            input: new TextDecoder().decode(msg.subarray(0, 256)),
            bytes: msg.length,
          }],
        }));
        return;
      }
      const line = syslogDatagramMessage(msg);
      if (line.length > 0) track(deliver({ messages: [line], rejects: [] }));
    });
    socket.on("error", (e: Error) => {
      opts.metrics.error("syslog_udp_socket");
      opts.logger?.error("syslog UDP socket error", { error: e.message });
    });
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(opts.udpPort, hostname, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    result.udpPort = socket.address().port;
    closers.push(() => new Promise<void>((r) => socket.close(() => r())));
  }

  /**
   * Connections of one stream transport (TCP or TLS): beyond the limit they
   * are closed at once; a connection that sends nothing for the idle
   * timeout is closed (a TLS one also before its handshake ends).
   */
  const streamServer = (transport: "TCP" | "TLS") => {
    const conns = new Set<StreamConn>();
    // A flood must not flood the log: one warning a minute, with the
    // number of connections refused since the previous one.
    const refused = new WarnThrottle();
    const warnRefused = (n: number) =>
      opts.logger?.warn(`syslog ${transport} connection limit reached`, {
        max_connections: maxConns,
        refused_connections: n,
      });
    const serveConn = async (conn: StreamConn) => {
      conns.add(conn);
      const decoder = new SyslogFrameDecoder(max);
      // Armed only while waiting for the sender (not while the downstream
      // is slow): a silent connection is closed, which ends the read.
      let idle: ReturnType<typeof setTimeout> | undefined;
      const onIdle = () => {
        opts.metrics.error("syslog_tcp_idle_closed");
        conn.close();
      };
      try {
        for (;;) {
          idle = setTimeout(onIdle, idleMs);
          let bytes: Uint8Array | null;
          try {
            bytes = await conn.read();
          } finally {
            clearTimeout(idle);
          }
          if (bytes === null) break;
          if (!await deliver(decoder.push(bytes))) return;
        }
        await deliver(decoder.end());
      } finally {
        conns.delete(conn);
        conn.close();
      }
    };
    return {
      /** Serves `conn`, or closes it when the limit is reached. */
      admit(conn: StreamConn): void {
        if (conns.size >= maxConns) {
          opts.metrics.error("syslog_tcp_refused");
          const n = refused.note();
          if (n !== undefined) warnRefused(n);
          conn.close();
          return;
        }
        track(serveConn(conn));
      },
      /**
       * Closes every connection from our side, which ends pending reads;
       * what was received is still delivered by each connection's loop.
       */
      closeAll(): void {
        const n = refused.drain();
        if (n > 0) warnRefused(n);
        for (const c of conns) c.close();
      },
    };
  };

  if (opts.tcpPort !== undefined) {
    const listener = Deno.listen({
      transport: "tcp",
      hostname,
      port: opts.tcpPort,
    });
    result.tcpPort = (listener.addr as Deno.NetAddr).port;
    const server = streamServer("TCP");
    const acceptLoop = (async () => {
      for (;;) {
        let conn: Deno.Conn;
        try {
          conn = await listener.accept();
        } catch {
          return; // listener closed
        }
        server.admit(denoConn(conn));
      }
    })();
    closers.push(async () => {
      listener.close();
      await acceptLoop;
      server.closeAll();
    });
  }
  if (opts.tlsPort !== undefined) {
    if (opts.tls === undefined) {
      throw new Error("a syslog TLS port needs a certificate and key");
    }
    const context = tls.createSecureContext(opts.tls);
    const server = streamServer("TLS");
    const listener = net.createServer((raw) => {
      raw.on("error", () => {}); // a reset ends the connection's read
      server.admit(tlsConn(raw, context));
    });
    await new Promise<void>((resolve, reject) => {
      listener.once("error", reject);
      listener.listen(opts.tlsPort, hostname, () => {
        listener.off("error", reject);
        resolve();
      });
    });
    result.tlsPort = (listener.address() as net.AddressInfo).port;
    closers.push(() => {
      // Stops accepting; close()'s callback would wait for every
      // connection, which closeAll ends.
      listener.close();
      server.closeAll();
      return Promise.resolve();
    });
  }

  result.close = async () => {
    for (const close of closers) await close();
    while (inflight.size > 0) await Promise.allSettled([...inflight]);
    // Losses since the last (throttled) warning are still told once.
    const lost = undelivered.drain();
    if (lost > 0) warnUndelivered(lost, lastDeliveryError);
  };
  return result;
}
