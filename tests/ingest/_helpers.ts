/** Test doubles and a running-server fixture for the ingest tests. */
import type { OutputRecord, RecordSink } from "../../stages/shared/io/types.ts";
import type { RawEvent } from "../../stages/shared/contracts/mod.ts";
import {
  type IngestServer,
  type IngestServerOptions,
  startIngestServer,
} from "../../stages/ingest/server.ts";
import {
  createIngestApp,
  type IngestAppOptions,
} from "../../stages/ingest/app.ts";
import { GroupCommitWriter } from "../../stages/ingest/group_commit.ts";
import { IngestMetrics } from "../../stages/ingest/metrics.ts";

/** A sink that keeps records in memory, can be made unready, failing or slow. */
export class MemorySink implements RecordSink {
  readonly describe = "memory";
  records: OutputRecord[] = [];
  writes = 0;
  isReady = true;
  failWith: Error | undefined;
  /** Each write waits for this promise when set. */
  gate: Promise<void> | undefined;
  flushed = 0;
  closed = false;

  async write(records: OutputRecord[]): Promise<void> {
    this.writes++;
    if (this.gate) await this.gate;
    if (this.failWith) throw this.failWith;
    this.records.push(...records);
  }
  flush(): Promise<void> {
    this.flushed++;
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
  ready(): boolean {
    return this.isReady;
  }
  /** The RawEvents written so far. */
  events(): RawEvent[] {
    return this.records.map((r) => r.record).filter((r) =>
      r.record === "raw_event"
    ) as RawEvent[];
  }
}

/** A server on 127.0.0.1 with a free port and a memory sink. */
export async function withServer(
  opts: Partial<IngestServerOptions>,
  fn: (s: IngestServer, url: string, sink: MemorySink) => Promise<void>,
): Promise<void> {
  const sink = (opts.sink as MemorySink | undefined) ?? new MemorySink();
  const server = await startIngestServer({
    ingestNode: "ingest-test-01",
    hostname: "127.0.0.1",
    port: 0,
    ...opts,
    sink,
  });
  try {
    await fn(server, `http://127.0.0.1:${server.port}`, sink);
  } finally {
    await server.shutdown();
  }
}

/** POSTs a body and returns status, headers and parsed JSON (or text). */
export async function post(
  url: string,
  body: BodyInit,
  headers: Record<string, string> = { "content-type": "application/json" },
): Promise<
  { status: number; headers: Headers; json: Record<string, unknown> }
> {
  const res = await fetch(url, { method: "POST", body, headers });
  const text = await res.text();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch {
    json = { text };
  }
  return { status: res.status, headers: res.headers, json };
}

/** An SSH failure line as sshd writes it. */
export const SSHD_FAILED =
  "Nov 24 10:00:00 web-01 sshd[1234]: Failed password for invalid user admin from 203.0.113.9 port 52311 ssh2";

/** The real ingest app (no server) writing to a memory sink, with its metrics. */
export function appWithMemorySink(
  opts: Partial<Omit<IngestAppOptions, "writer" | "metrics">> = {},
) {
  const sink = new MemorySink();
  const metrics = new IngestMetrics();
  const app = createIngestApp({
    ingestNode: "ingest-test-01",
    ...opts,
    writer: new GroupCommitWriter(sink),
    metrics,
  });
  return { app, sink, metrics };
}

/** Waits until `cond` holds (polling every 10 ms); fails after 5 s naming `what`. */
export async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
