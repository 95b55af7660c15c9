/**
 * Compressed request bodies, as log shippers send them (Vector, Fluent Bit,
 * Logstash, the OpenTelemetry collector): gzip, deflate and br bodies are
 * decoded and accepted as if sent plain; another coding is 415 with
 * Accept-Encoding; a body that does not decode, truncated ones included, is
 * 400 with nothing accepted; the size limits hold for the decompressed body,
 * so a small body expanding past them is 413. Before, a gzip event was
 * accepted (202) with binary junk for its payload.
 */
import assert from "node:assert/strict";
import {
  brotliCompressSync,
  constants,
  deflateRawSync,
  deflateSync,
  gzipSync,
} from "node:zlib";
import { appWithMemorySink, SSHD_FAILED, withServer } from "./_helpers.ts";
import {
  CONTENT_CODINGS,
  decodeBody,
  DecodedTooLarge,
} from "../../stages/ingest/content_encoding.ts";

const enc = new TextEncoder();
const NDJSON = [
  { message: "Failed password for root from 203.0.113.9", host: "web-01" },
  { message: "Accepted password for admin from 10.0.0.5", host: "web-01" },
  { message: "session opened for user admin", host: "web-01" },
].map((e) => JSON.stringify(e)).join("\n") + "\n";

/** POSTs `body` to the in-process app with exactly these headers. */
function post(
  app: ReturnType<typeof appWithMemorySink>["app"],
  path: string,
  body: Uint8Array,
  headers: Record<string, string>,
) {
  return app.request(path, {
    method: "POST",
    body: body as Uint8Array<ArrayBuffer>,
    headers,
  });
}

const batchHeaders = (coding: string) => ({
  "content-type": "application/x-ndjson",
  "content-encoding": coding,
});

Deno.test("a gzip NDJSON batch is accepted whole: every event, in order, with its payload as sent (over HTTP)", async () => {
  await withServer({}, async (_s, url, sink) => {
    const res = await fetch(`${url}/events/batch`, {
      method: "POST",
      body: gzipSync(enc.encode(NDJSON)),
      headers: batchHeaders("gzip"),
    });
    assert.equal(res.status, 202, await res.clone().text());
    assert.equal((await res.json()).accepted, 3);
    assert.deepEqual(
      sink.events().map((e) => e.payload),
      NDJSON.trim().split("\n").map((l) => JSON.parse(l)),
    );
  });
});

Deno.test("a gzip log line sent chunked (no Content-Length) to POST /events is one event with the line as its payload", async () => {
  await withServer({}, async (_s, url, sink) => {
    const gz = gzipSync(enc.encode(SSHD_FAILED));
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(gz.subarray(0, 10));
        c.enqueue(gz.subarray(10));
        c.close();
      },
    });
    const res = await fetch(`${url}/events`, {
      method: "POST",
      body,
      headers: { "content-type": "text/plain", "content-encoding": "gzip" },
    });
    assert.equal(res.status, 202, await res.clone().text());
    await res.body?.cancel();
    assert.deepEqual(sink.events().map((e) => e.payload), [SSHD_FAILED]);
  });
});

Deno.test("deflate (zlib), br, x-gzip, a gzip file of two members and a listed identity all decode to the same events", async () => {
  const half = NDJSON.indexOf("\n") + 1;
  const bodies: [string, Uint8Array][] = [
    ["deflate", deflateSync(enc.encode(NDJSON))],
    ["br", brotliCompressSync(enc.encode(NDJSON))],
    ["x-gzip", gzipSync(enc.encode(NDJSON))],
    ["GZIP", gzipSync(enc.encode(NDJSON))],
    // `gzip >> file` appends a second member; gunzip reads both.
    [
      "gzip",
      new Uint8Array([
        ...gzipSync(enc.encode(NDJSON.slice(0, half))),
        ...gzipSync(enc.encode(NDJSON.slice(half))),
      ]),
    ],
    ["gzip, identity", gzipSync(enc.encode(NDJSON))],
    ["identity", enc.encode(NDJSON)],
  ];
  for (const [coding, body] of bodies) {
    const { app, sink } = appWithMemorySink();
    const res = await post(app, "/events/batch", body, batchHeaders(coding));
    assert.equal(res.status, 202, `${coding}: ${await res.text()}`);
    assert.deepEqual(
      sink.events().map((e) => (e.payload as { message: string }).message),
      [
        "Failed password for root from 203.0.113.9",
        "Accepted password for admin from 10.0.0.5",
        "session opened for user admin",
      ],
      coding,
    );
  }
});

Deno.test("a coding ingest cannot decode is 415 with Accept-Encoding listing what it can, counted, and nothing is written", async () => {
  const { app, sink, metrics } = appWithMemorySink();
  for (const coding of ["zstd", "compress", "gzip, snappy"]) {
    const res = await post(
      app,
      "/events/batch",
      enc.encode(NDJSON),
      batchHeaders(coding),
    );
    assert.equal(res.status, 415, coding);
    const body = await res.json();
    assert.equal(body.error, "unsupported_encoding");
    assert.match(
      body.message,
      /^Content-Encoding "(zstd|compress|snappy)" is not supported; .*gzip, deflate, br$/,
    );
    assert.equal(res.headers.get("accept-encoding"), "gzip, deflate, br");
  }
  assert.equal(metrics.errorCount("unsupported_encoding"), 3);
  assert.equal(sink.records.length, 0);
});

Deno.test("a truncated or corrupt compressed body is 400 undecodable_body naming the coding, and none of its events is accepted", async () => {
  const cut = (b: Uint8Array) => b.subarray(0, Math.floor(b.length * 0.7));
  // Enough lines that a truncated stream would still decode to whole ones.
  const many = Array.from(
    { length: 400 },
    (_, i) => JSON.stringify({ message: `event ${i}`, n: i * 7919 % 10007 }),
  ).join("\n");
  const cases: [string, Uint8Array][] = [
    ["gzip", cut(gzipSync(enc.encode(many)))],
    ["deflate", cut(deflateSync(enc.encode(many)))],
    ["br", cut(brotliCompressSync(enc.encode(many)))],
    ["gzip", enc.encode(NDJSON)], // plain text labelled gzip
    ["deflate", deflateRawSync(enc.encode(NDJSON))], // raw deflate, not zlib
    ["gzip", new Uint8Array([...gzipSync(enc.encode(NDJSON)), 1, 2, 3])],
  ];
  const { app, sink, metrics } = appWithMemorySink();
  for (const [coding, body] of cases) {
    const res = await post(app, "/events/batch", body, batchHeaders(coding));
    assert.equal(res.status, 400, coding);
    const json = await res.json();
    assert.equal(json.error, "undecodable_body");
    assert.match(
      json.message,
      new RegExp(
        `^the request body is not valid ${coding} \\(.+\\); nothing was accepted$`,
      ),
    );
  }
  assert.equal(metrics.errorCount("undecodable_body"), cases.length);
  assert.equal(sink.records.length, 0);
});

Deno.test("a small body that decompresses past the limit is 413 (each coding), and a compressed body over the limit is 413 as before", async () => {
  // 8 MB of one repeated event line compresses to a few kilobytes.
  const line = JSON.stringify({ message: "x".repeat(100) }) + "\n";
  const bomb = enc.encode(line.repeat(Math.ceil(8_000_000 / line.length)));
  const max = 1_000_000;
  const { app, sink, metrics } = appWithMemorySink({ maxBatchBytes: max });
  for (
    const [coding, body] of [
      ["gzip", gzipSync(bomb)],
      ["deflate", deflateSync(bomb)],
      ["br", brotliCompressSync(bomb)],
    ] as const
  ) {
    assert.ok(body.length < max / 10, `${coding} body is small`);
    const res = await post(app, "/events/batch", body, batchHeaders(coding));
    assert.equal(res.status, 413, coding);
    assert.equal(
      (await res.json()).message,
      `the request body decompressed from ${coding} exceeds the limit of ${max} bytes`,
    );
  }
  const incompressible = crypto.getRandomValues(new Uint8Array(60_000));
  const { app: small } = appWithMemorySink({ maxBatchBytes: 50_000 });
  const gz = gzipSync(incompressible);
  const res = await post(small, "/events/batch", gz, {
    ...batchHeaders("gzip"),
    "content-length": String(gz.length),
  });
  assert.equal(res.status, 413);
  assert.equal(
    (await res.json()).message,
    `the request body (${gz.length} bytes) exceeds the limit of 50000 bytes`,
  );
  assert.equal(metrics.errorCount("payload_too_large"), 3);
  assert.equal(sink.records.length, 0);
});

Deno.test("a decoded body of exactly the limit passes and one byte more is 413, as for a plain body (each coding)", async () => {
  for (
    const [coding, compress] of [
      ["gzip", gzipSync],
      ["deflate", deflateSync],
      ["br", brotliCompressSync],
    ] as const
  ) {
    const { app, sink } = appWithMemorySink({ maxEventBytes: 1000 });
    const send = (n: number) =>
      post(app, "/events", compress(enc.encode("a".repeat(n))), {
        "content-type": "text/plain",
        "content-encoding": coding,
      });
    assert.equal((await send(1000)).status, 202, coding);
    assert.equal((await send(1001)).status, 413, coding);
    assert.equal(sink.events().length, 1);
  }
});

Deno.test("a small brotli body of 256 MiB of zeros is refused without decoding it: memory stays within reach of the limit", async () => {
  const bomb = brotliCompressSync(new Uint8Array(256 << 20), {
    params: { [constants.BROTLI_PARAM_QUALITY]: 1 },
  });
  assert.ok(bomb.length < 100_000);
  const before = Deno.memoryUsage().rss;
  await assert.rejects(decodeBody(bomb, ["br"], 1 << 20), DecodedTooLarge);
  // The web decoder alone held all 256 MiB before its size was checked.
  const grown = Deno.memoryUsage().rss - before;
  assert.ok(grown < 64 << 20, `rss grew ${grown} bytes`);
});

Deno.test("the OpenAPI document lists the codings the server decodes", async () => {
  const { app } = appWithMemorySink();
  const doc = await (await app.request("/openapi.json")).json();
  for (const path of ["/events", "/events/batch"]) {
    const op = doc.paths[path].post;
    const param = op.parameters.find((p: { name: string }) =>
      p.name === "Content-Encoding"
    );
    assert.deepEqual(param.schema.enum, ["identity", ...CONTENT_CODINGS]);
    assert.ok(op.responses["415"].headers["Accept-Encoding"]);
  }
  // Each listed coding is accepted by the server.
  for (const coding of CONTENT_CODINGS) {
    const body = coding === "deflate"
      ? deflateSync(enc.encode(SSHD_FAILED))
      : coding === "br"
      ? brotliCompressSync(enc.encode(SSHD_FAILED))
      : gzipSync(enc.encode(SSHD_FAILED));
    const { app: a, sink } = appWithMemorySink();
    const res = await post(a, "/events", body, {
      "content-type": "text/plain",
      "content-encoding": coding,
    });
    assert.equal(res.status, 202, coding);
    assert.equal(sink.events()[0].payload, SSHD_FAILED);
  }
});
