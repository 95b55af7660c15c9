/**
 * 415 answers of the real app: counted in sentinel_ingest_errors_total like
 * the other refusals, a message that reads well whether the Content-Type is
 * missing or wrong, and the accepted types in Accept-Post.
 */
import assert from "node:assert/strict";
import { appWithMemorySink, SSHD_FAILED } from "./_helpers.ts";

/** POSTs `body` with exactly these headers (none added). */
function post(
  app: ReturnType<typeof appWithMemorySink>["app"],
  path: string,
  headers: Record<string, string>,
) {
  // A Uint8Array body: a string body would get a default text/plain type.
  return app.request(path, {
    method: "POST",
    body: new TextEncoder().encode(SSHD_FAILED),
    headers,
  });
}

Deno.test("415 without a Content-Type says it is missing, lists the accepted types, and is counted", async () => {
  const { app, sink, metrics } = appWithMemorySink();
  const res = await post(app, "/events", {});
  assert.equal(res.status, 415);
  const body = await res.json();
  assert.equal(body.error, "unsupported_media_type");
  assert.equal(
    body.message,
    "the request has no Content-Type; use one of: application/json, text/plain (UTF-8)",
  );
  assert.equal(res.headers.get("accept-post"), "application/json, text/plain");
  assert.equal(metrics.errorCount("unsupported_media_type"), 1);
  assert.equal(sink.records.length, 0);
});

Deno.test("415 with a wrong Content-Type names it, and every refusal is counted in the metrics", async () => {
  const { app, metrics } = appWithMemorySink();
  const xml = await post(app, "/events/batch", {
    "content-type": "application/xml",
  });
  assert.equal(xml.status, 415);
  const body = await xml.json();
  assert.match(
    body.message,
    /^Content-Type "application\/xml" is not accepted here; use one of: .*application\/x-ndjson.* \(UTF-8\)$/,
  );
  assert.doesNotMatch(body.message, /missing/);
  const latin1 = await post(app, "/events", {
    "content-type": "text/plain; charset=iso-8859-1",
  });
  assert.equal(latin1.status, 415);
  assert.match(
    (await latin1.json()).message,
    /^Content-Type "text\/plain; charset=iso-8859-1" is not accepted here/,
  );
  // NDJSON is for batches only.
  const nd = await post(app, "/events", {
    "content-type": "application/x-ndjson",
  });
  assert.equal(nd.status, 415);
  assert.equal(metrics.errorCount("unsupported_media_type"), 3);
  assert.match(
    metrics.render(),
    /^sentinel_ingest_errors_total\{kind="unsupported_media_type"\} 3$/m,
  );
  // An accepted type is not counted.
  const ok = await post(app, "/events", { "content-type": "text/plain" });
  assert.equal(ok.status, 202);
  assert.equal(metrics.errorCount("unsupported_media_type"), 3);
});
