/**
 * A request body that stops arriving mid-way (the connection broke, or the
 * server began shutting down while the client was still sending) is 503
 * `body_unreadable` with Retry-After and counted, not a 500; a body over
 * the limit is still 413. Through the real app with app.request.
 */
import assert from "node:assert/strict";
import { appWithMemorySink, SSHD_FAILED } from "./_helpers.ts";

/** A body whose first chunk arrives, then the connection breaks. */
function bodyBrokenMidway(firstChunk: string): ReadableStream<Uint8Array> {
  let pulls = 0;
  return new ReadableStream<Uint8Array>({
    pull(ctrl) {
      if (pulls++ === 0) ctrl.enqueue(new TextEncoder().encode(firstChunk));
      else ctrl.error(new Error("connection reset by peer"));
    },
  });
}

function postStream(
  app: ReturnType<typeof appWithMemorySink>["app"],
  path: string,
  body: ReadableStream<Uint8Array>,
  headers: Record<string, string>,
) {
  return app.request(path, {
    method: "POST",
    body,
    headers,
    duplex: "half",
  } as RequestInit);
}

for (
  const [name, path, headers] of [
    ["/events with Content-Length", "/events", {
      "content-type": "application/json",
      "content-length": "200",
    }],
    ["/events chunked", "/events", { "content-type": "application/json" }],
    ["/events/batch with Content-Length", "/events/batch", {
      "content-type": "application/x-ndjson",
      "content-length": "200",
    }],
    ["/events/batch chunked", "/events/batch", {
      "content-type": "application/x-ndjson",
    }],
  ] as const
) {
  Deno.test(`${name}: a body broken mid-way is 503 body_unreadable with Retry-After, counted, nothing written`, async () => {
    const { app, sink, metrics } = appWithMemorySink();
    const res = await postStream(
      app,
      path,
      bodyBrokenMidway(`{"payload":${JSON.stringify(SSHD_FAILED)}`),
      headers,
    );
    assert.equal(res.status, 503);
    assert.match(res.headers.get("retry-after") ?? "", /^[1-9]\d*$/);
    const body = await res.json();
    assert.equal(body.error, "body_unreadable");
    assert.match(body.message, /could not be read.*connection reset by peer/);
    assert.match(body.message, /nothing was accepted/);
    assert.equal(metrics.errorCount("body_unreadable"), 1);
    assert.equal(metrics.errorCount("internal"), 0);
    assert.match(
      metrics.render(),
      /sentinel_ingest_errors_total\{kind="body_unreadable"\} 1/,
    );
    assert.equal(sink.records.length, 0);
  });
}

Deno.test("a streamed body over the limit is still 413, and a whole one is still 202", async () => {
  const { app, sink, metrics } = appWithMemorySink({ maxBatchBytes: 64 });
  let sent = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(ctrl) {
      sent++;
      ctrl.enqueue(new TextEncoder().encode(`"${"x".repeat(40)}"\n`));
    },
  });
  const big = await postStream(app, "/events/batch", endless, {
    "content-type": "application/x-ndjson",
  });
  assert.equal(big.status, 413);
  assert.equal((await big.json()).error, "payload_too_large");
  assert.ok(sent < 10, `read ${sent} chunks of an endless body`);
  assert.equal(metrics.errorCount("payload_too_large"), 1);
  assert.equal(metrics.errorCount("body_unreadable"), 0);

  const whole = new ReadableStream<Uint8Array>({
    start(ctrl) {
      ctrl.enqueue(new TextEncoder().encode('"one line"\n'));
      ctrl.close();
    },
  });
  const ok = await postStream(app, "/events/batch", whole, {
    "content-type": "application/x-ndjson",
  });
  assert.equal(ok.status, 202);
  assert.equal(sink.events().length, 1);
});
