/**
 * Each ingest middleware on its own, mounted on a minimal Hono app and
 * exercised with app.request (no sockets).
 */
import assert from "node:assert/strict";
import { Hono } from "hono";
import type { MiddlewareHandler } from "hono";
import { CredentialStore } from "../../stages/ingest/credentials.ts";
import type { IngestEnv } from "../../stages/ingest/http_env.ts";
import { IngestMetrics } from "../../stages/ingest/metrics.ts";
import {
  auth,
  boundedBody,
  contentType,
  rateLimit,
  readBounded,
  requestMetrics,
  tenant,
  TokenBuckets,
} from "../../stages/ingest/middleware/mod.ts";

const SECRET = "acme-secret-token-0001";
const credentials = new CredentialStore([{ tenant: "acme", secret: SECRET }]);

function echoTenant(...mw: MiddlewareHandler<IngestEnv>[]) {
  const app = new Hono<IngestEnv>();
  for (const m of mw) app.use("/x", m);
  app.post(
    "/x",
    (c) => c.json({ tenant: c.get("tenant"), client: c.get("clientKey") }),
  );
  return app;
}

Deno.test("auth: bearer token and X-API-Key authenticate the tenant; missing or wrong is 401", async () => {
  const refused: string[] = [];
  const app = echoTenant(
    auth({ credentials, onRefused: (r) => refused.push(r) }),
    tenant(),
  );
  const ok = await app.request("/x", {
    method: "POST",
    headers: { authorization: `Bearer ${SECRET}`, "x-tenant": "acme" },
  });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { tenant: "acme", client: "tenant:acme" });
  // A credential never writes into another tenant: X-Tenant must match it.
  const other = await app.request("/x", {
    method: "POST",
    headers: { authorization: `Bearer ${SECRET}`, "x-tenant": "other" },
  });
  assert.equal(other.status, 403);
  assert.equal((await other.json()).error, "tenant_mismatch");
  const key = await app.request("/x", {
    method: "POST",
    headers: { "x-api-key": SECRET },
  });
  assert.equal(key.status, 200);
  const none = await app.request("/x", { method: "POST" });
  assert.equal(none.status, 401);
  assert.match(none.headers.get("www-authenticate")!, /^Bearer/);
  assert.equal((await none.json()).error, "unauthorized");
  const wrong = await app.request("/x", {
    method: "POST",
    headers: { authorization: `Bearer ${SECRET}x` },
  });
  assert.equal(wrong.status, 401);
  const basic = await app.request("/x", {
    method: "POST",
    headers: { authorization: `Basic ${btoa("a:b")}` },
  });
  assert.equal(basic.status, 401);
  assert.deepEqual(refused, [
    "tenant_mismatch",
    "missing",
    "invalid",
    "invalid",
  ]);
});

Deno.test("tenant: X-Tenant when valid, the default otherwise, 400 when malformed", async () => {
  const app = echoTenant(tenant({ defaultTenant: "main" }));
  const def = await app.request("/x", { method: "POST" });
  assert.deepEqual(await def.json(), { tenant: "main" });
  const hdr = await app.request("/x", {
    method: "POST",
    headers: { "x-tenant": "globex" },
  });
  assert.equal((await hdr.json()).tenant, "globex");
  const bad = await app.request("/x", {
    method: "POST",
    headers: { "x-tenant": "../etc" },
  });
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).error, "invalid_tenant");
});

Deno.test("token bucket: burst, then refill at the rate, per client", () => {
  let now = 0;
  const b = new TokenBuckets({ ratePerSecond: 2, burst: 3, now: () => now });
  assert.deepEqual([b.take("a"), b.take("a"), b.take("a")], [0, 0, 0]);
  assert.ok(b.take("a") > 0, "fourth request within the burst is refused");
  assert.equal(b.take("b"), 0, "another client has its own bucket");
  now = 500; // half a second: one token back
  assert.equal(b.take("a"), 0);
  assert.ok(b.take("a") > 0);
});

Deno.test("rateLimit: 429 with Retry-After beyond the bucket", async () => {
  let limited = 0;
  const app = echoTenant(
    tenant(),
    rateLimit({ ratePerSecond: 1, burst: 2, onLimited: () => limited++ }),
  );
  const codes = [];
  for (let i = 0; i < 3; i++) {
    codes.push((await app.request("/x", { method: "POST" })).status);
  }
  assert.deepEqual(codes, [200, 200, 429]);
  const r = await app.request("/x", { method: "POST" });
  assert.equal(r.status, 429);
  assert.equal(r.headers.get("retry-after"), "1");
  assert.equal((await r.json()).error, "rate_limited");
  assert.equal(limited, 2);
});

Deno.test("contentType: maps media types, ignores parameters, 415 otherwise", async () => {
  const app = new Hono<IngestEnv>();
  app.post(
    "/x",
    contentType({ "application/json": "json", "text/plain": "text" }),
    (c) => c.text(c.get("bodyKind")),
  );
  const send = (ct?: string) =>
    app.request("/x", {
      method: "POST",
      // Bytes, so that fetch adds no Content-Type of its own.
      body: new TextEncoder().encode("x"),
      headers: ct ? { "content-type": ct } : {},
    });
  assert.equal(
    await (await send("Application/JSON; charset=utf-8")).text(),
    "json",
  );
  assert.equal(await (await send("text/plain")).text(), "text");
  for (
    const ct of ["application/xml", "text/plain; charset=latin1", undefined]
  ) {
    const r = await send(ct);
    assert.equal(r.status, 415, String(ct));
    assert.equal((await r.json()).error, "unsupported_media_type");
  }
});

Deno.test("boundedBody: 413 from Content-Length and while reading a streamed body", async () => {
  let refused = 0;
  const app = new Hono<IngestEnv>();
  app.post(
    "/x",
    boundedBody({ maxBytes: 10, onTooLarge: () => refused++ }),
    (c) => c.text(c.get("body")),
  );
  const ok = await app.request("/x", { method: "POST", body: "0123456789" });
  assert.equal(await ok.text(), "0123456789");
  const big = await app.request("/x", { method: "POST", body: "01234567890" });
  assert.equal(big.status, 413);
  assert.equal((await big.json()).error, "payload_too_large");
  // No Content-Length: the limit is enforced while reading.
  const stream = new ReadableStream<Uint8Array>({
    start(ctl) {
      for (let i = 0; i < 5; i++) ctl.enqueue(new TextEncoder().encode("abcd"));
      ctl.close();
    },
  });
  const streamed = await app.request("/x", { method: "POST", body: stream });
  assert.equal(streamed.status, 413);
  assert.equal(refused, 2);
});

Deno.test("readBounded: stops pulling once over the limit", async () => {
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(ctl) {
      pulled++;
      ctl.enqueue(new Uint8Array(1024));
    },
  });
  await assert.rejects(readBounded(endless, 4096), /exceeds 4096 bytes/);
  assert.ok(pulled < 10, `pulled ${pulled} chunks`);
  const multi = new ReadableStream<Uint8Array>({
    start(ctl) {
      // A multi-byte character split across chunks decodes intact.
      const b = new TextEncoder().encode("é");
      ctl.enqueue(b.subarray(0, 1));
      ctl.enqueue(b.subarray(1));
      ctl.close();
    },
  });
  assert.equal(await readBounded(multi, 10), "é");
});

Deno.test("requestMetrics: counts by route and status; unknown paths share one label", async () => {
  const metrics = new IngestMetrics();
  const app = new Hono<IngestEnv>();
  app.use(requestMetrics(metrics, ["/ok"]));
  app.get("/ok", (c) => c.text("ok"));
  await app.request("/ok");
  await app.request("/ok");
  await app.request("/scanner/probe-1");
  await app.request("/scanner/probe-2");
  const text = metrics.render();
  assert.match(
    text,
    /sentinel_ingest_http_requests_total\{route="\/ok",method="GET",status="200"\} 2/,
  );
  assert.match(
    text,
    /sentinel_ingest_http_requests_total\{route="other",method="GET",status="404"\} 2/,
  );
  assert.match(
    text,
    /sentinel_ingest_http_request_duration_seconds_count\{route="\/ok"\} 2/,
  );
  assert.ok(!text.includes("probe"));
});
