/**
 * The ingest HTTP API against the real server on 127.0.0.1 (port 0): every
 * route and status code, auth on and off, hostile bodies, downstream
 * failure, concurrency and graceful shutdown.
 */
import assert from "node:assert/strict";
import { CredentialStore } from "../../stages/ingest/credentials.ts";
import { validatorFor } from "../../stages/shared/contracts/mod.ts";
import { MemorySink, post, SSHD_FAILED, withServer } from "./_helpers.ts";

const validRaw = validatorFor("raw_event");
const JSON_CT = { "content-type": "application/json" };
const SECRET = "acme-secret-token-0001";

Deno.test("POST /events: a JSON object, an envelope and a text line each reach the sink before 202", async () => {
  await withServer({}, async (_s, url, sink) => {
    const a = await post(`${url}/events`, '{"event":{"category":"network"}}');
    assert.equal(a.status, 202);
    const b = await post(
      `${url}/events`,
      JSON.stringify({ payload: SSHD_FAILED, source_name: "sshd" }),
      { ...JSON_CT, "x-tenant": "globex" },
    );
    assert.equal(b.status, 202);
    const c = await post(`${url}/events`, SSHD_FAILED + "\n", {
      "content-type": "text/plain",
      "x-source-name": "web-01",
      "x-log-format": "syslog",
    });
    assert.equal(c.status, 202);
    const events = sink.events();
    assert.deepEqual(
      events.map((e) => e.event_id),
      [a.json.event_id, b.json.event_id, c.json.event_id],
    );
    for (const e of events) {
      assert.equal(validRaw(e), null);
      assert.equal(e.transport, "http");
      assert.equal(e.ingest_node, "ingest-test-01");
    }
    assert.deepEqual(events[0].payload, { event: { category: "network" } });
    assert.equal(events[0].tenant, "default");
    assert.equal(events[1].tenant, "globex");
    assert.equal(events[1].source_name, "sshd");
    assert.equal(events[2].payload, SSHD_FAILED);
    assert.equal(events[2].source_name, "web-01");
    assert.equal(events[2].format, "syslog");
  });
});

Deno.test("POST /events/batch: JSON array, NDJSON and text lines; ids returned in order", async () => {
  await withServer({}, async (_s, url, sink) => {
    const arr = await post(`${url}/events/batch`, '[{"a":1},{"a":2},"line"]');
    assert.equal(arr.status, 202);
    assert.equal(arr.json.accepted, 3);
    const nd = await post(`${url}/events/batch`, '{"b":1}\n{"b":2}\n', {
      "content-type": "application/x-ndjson",
    });
    assert.equal(nd.status, 202);
    const txt = await post(`${url}/events/batch`, "l1\nl2\n", {
      "content-type": "text/plain",
    });
    assert.equal(txt.status, 202);
    const ids = [
      ...(arr.json.event_ids as string[]),
      ...(nd.json.event_ids as string[]),
      ...(txt.json.event_ids as string[]),
    ];
    assert.deepEqual(sink.events().map((e) => e.event_id), ids);
    assert.equal(new Set(ids).size, 7);
  });
});

Deno.test("400: malformed JSON, invalid envelope with field-level details, deeply nested bodies", async () => {
  await withServer({}, async (s, url, sink) => {
    const bad = await post(`${url}/events`, '{"a":');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error, "malformed_json");
    const inv = await post(
      `${url}/events`,
      JSON.stringify({ payload: 1, received_at: "now" }),
    );
    assert.equal(inv.status, 400);
    assert.equal(inv.json.error, "invalid_event");
    const msgs = (inv.json.details as { errors: string[] }[])[0].errors;
    assert.ok(
      msgs.includes("/received_at is set by ingest and must not be sent"),
    );
    // 200k levels: would overflow the stack in a recursive walker.
    const deep = "[".repeat(200_000) + "]".repeat(200_000);
    const d1 = await post(`${url}/events`, `{"a":${deep}}`);
    assert.equal(d1.status, 400);
    assert.equal(d1.json.error, "too_deep");
    const d2 = await post(`${url}/events/batch`, `[${deep}]`);
    assert.equal(d2.status, 400);
    const batchBad = await post(
      `${url}/events/batch`,
      '[{"a":1},{"payload":[]}]',
    );
    assert.equal(batchBad.status, 400);
    assert.equal((batchBad.json.details as { index: number }[])[0].index, 1);
    const hdr = await post(`${url}/events`, "{}", {
      ...JSON_CT,
      "x-source-name": "x".repeat(300),
    });
    assert.equal(hdr.status, 400);
    assert.equal(
      sink.events().length,
      0,
      "nothing accepted from refused requests",
    );
    assert.equal(s.metrics.errorCount("too_deep"), 2);
    // The server is still healthy after the hostile bodies.
    assert.equal((await post(`${url}/events`, "{}")).status, 202);
  });
});

Deno.test("413: announced by Content-Length, discovered while streaming, too many events", async () => {
  await withServer(
    { maxEventBytes: 1024, maxBatchBytes: 4096, maxBatchEvents: 5 },
    async (_s, url, sink) => {
      const big = await post(
        `${url}/events`,
        JSON.stringify({ x: "y".repeat(2000) }),
      );
      assert.equal(big.status, 413);
      assert.equal(big.json.error, "payload_too_large");
      // A chunked body (no Content-Length) that grows past the limit.
      const chunks = new ReadableStream<Uint8Array>({
        start(ctl) {
          ctl.enqueue(new TextEncoder().encode('{"x":"'));
          for (let i = 0; i < 10; i++) {
            ctl.enqueue(new TextEncoder().encode("z".repeat(500)));
          }
          ctl.enqueue(new TextEncoder().encode('"}'));
          ctl.close();
        },
      });
      const streamed = await post(`${url}/events/batch`, chunks, JSON_CT);
      assert.equal(streamed.status, 413);
      const many = await post(
        `${url}/events/batch`,
        "[1,2,3,4,5,6]".replace(/\d/g, "{}"),
      );
      assert.equal(many.status, 413);
      assert.equal(many.json.error, "too_many_events");
      assert.equal(sink.events().length, 0);
    },
  );
});

Deno.test("415: wrong or missing content type", async () => {
  await withServer({}, async (_s, url) => {
    const xml = await post(`${url}/events`, "<a/>", {
      "content-type": "application/xml",
    });
    assert.equal(xml.status, 415);
    const nd = await post(`${url}/events`, "{}\n{}", {
      "content-type": "application/x-ndjson",
    });
    assert.equal(nd.status, 415, "NDJSON is for /events/batch only");
    const none = await post(
      `${url}/events/batch`,
      new TextEncoder().encode("[]"),
      {},
    );
    assert.equal(none.status, 415);
  });
});

Deno.test("401 with auth on: bearer token and API key pick the tenant; nothing accepted without", async () => {
  const credentials = new CredentialStore([
    { tenant: "acme", secret: SECRET },
    { tenant: "globex", secret: "globex-key-0000000001" },
  ]);
  await withServer({ credentials }, async (_s, url, sink) => {
    const none = await post(`${url}/events`, "{}");
    assert.equal(none.status, 401);
    const wrong = await post(`${url}/events`, "{}", {
      ...JSON_CT,
      authorization: "Bearer nope-nope-nope-nope",
    });
    assert.equal(wrong.status, 401);
    // X-Tenant cannot move a credential's events into another tenant.
    const foreign = await post(`${url}/events`, "{}", {
      ...JSON_CT,
      authorization: `Bearer ${SECRET}`,
      "x-tenant": "globex",
    });
    assert.equal(foreign.status, 403);
    const bearer = await post(`${url}/events`, "{}", {
      ...JSON_CT,
      authorization: `Bearer ${SECRET}`,
      "x-tenant": "acme",
    });
    assert.equal(bearer.status, 202);
    const key = await post(`${url}/events/batch`, "[{}]", {
      ...JSON_CT,
      "x-api-key": "globex-key-0000000001",
    });
    assert.equal(key.status, 202);
    assert.deepEqual(sink.events().map((e) => e.tenant), ["acme", "globex"]);
    // Probes and metrics stay open for orchestrators and scrapers.
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    const oa = await (await fetch(`${url}/openapi.json`)).json();
    assert.ok(oa.paths["/events"].post.responses["401"]);
  });
});

Deno.test("429 with an optional per-client rate limit", async () => {
  await withServer(
    { rateLimit: { ratePerSecond: 0.5, burst: 3 } },
    async (_s, url, sink) => {
      const codes = [];
      for (let i = 0; i < 5; i++) {
        codes.push(
          (await post(`${url}/events`, "{}")).status,
        );
      }
      assert.deepEqual(codes, [202, 202, 202, 429, 429]);
      const r = await post(`${url}/events`, "{}");
      assert.ok(Number(r.headers.get("retry-after")) >= 1);
      assert.equal(sink.events().length, 3);
    },
  );
});

Deno.test("503 with Retry-After when the downstream is unready or fails; readyz follows it", async () => {
  const sink = new MemorySink();
  await withServer({ sink }, async (_s, url) => {
    sink.isReady = false;
    const r = await post(`${url}/events`, "{}");
    assert.equal(r.status, 503);
    assert.equal(r.headers.get("retry-after"), "1");
    assert.equal(r.json.error, "downstream_unavailable");
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal((await ready.json()).status, "not_ready");
    sink.isReady = true;
    sink.failWith = new Error("broker unreachable");
    const f = await post(`${url}/events/batch`, "[{},{}]");
    assert.equal(f.status, 503);
    assert.match(f.json.message as string, /broker unreachable/);
    sink.failWith = undefined;
    assert.equal((await post(`${url}/events`, "{}")).status, 202);
    assert.equal(
      sink.events().length,
      1,
      "only the acknowledged event is there",
    );
  });
});

Deno.test("GET routes: healthz, readyz, metrics text, OpenAPI 3.1; 404 and 405", async () => {
  await withServer({}, async (_s, url) => {
    await post(`${url}/events`, "{}");
    await post(`${url}/events`, "nope");
    const h = await fetch(`${url}/healthz`);
    assert.deepEqual([h.status, await h.json()], [200, { status: "ok" }]);
    const r = await fetch(`${url}/readyz`);
    assert.deepEqual([r.status, (await r.json()).status], [200, "ready"]);
    const m = await fetch(`${url}/metrics`);
    assert.match(
      m.headers.get("content-type")!,
      /^text\/plain; version=0\.0\.4/,
    );
    const text = await m.text();
    assert.match(
      text,
      /sentinel_ingest_http_requests_total\{route="\/events",method="POST",status="202"\} 1/,
    );
    assert.match(
      text,
      /sentinel_ingest_http_requests_total\{route="\/events",method="POST",status="400"\} 1/,
    );
    assert.match(text, /sentinel_ingest_events_total\{transport="http"\} 1/);
    assert.match(
      text,
      /sentinel_ingest_errors_total\{kind="malformed_json"\} 1/,
    );
    assert.match(
      text,
      /sentinel_ingest_http_request_duration_seconds_bucket\{route="\/events",le="\+Inf"\} 2/,
    );
    assert.match(text, /sentinel_ingest_downstream_ready 1/);
    const oa = await (await fetch(`${url}/openapi.json`)).json();
    assert.equal(oa.openapi, "3.1.0");
    for (
      const p of [
        "/events",
        "/events/batch",
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
      ]
    ) {
      assert.ok(oa.paths[p], p);
    }
    assert.ok(
      oa.paths["/events/batch"].post.requestBody
        .content["application/x-ndjson"],
    );
    assert.deepEqual(oa.components.schemas.EventInput.required, ["payload"]);
    const nf = await fetch(`${url}/nope`);
    assert.equal(nf.status, 404);
    assert.equal((await nf.json()).error, "not_found");
    const na = await fetch(`${url}/events`);
    assert.equal(na.status, 405);
    assert.equal(na.headers.get("allow"), "POST");
    await na.body?.cancel();
  });
});

Deno.test("concurrent clients: every acknowledged event is written exactly once", async () => {
  await withServer({}, async (_s, url, sink) => {
    const clients = 16;
    const perClient = 25;
    const acked: string[] = [];
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        for (let i = 0; i < perClient; i++) {
          if (i % 5 === 0) {
            const r = await post(
              `${url}/events/batch`,
              JSON.stringify([{ c, i, k: 0 }, { c, i, k: 1 }]),
            );
            assert.equal(r.status, 202);
            acked.push(...(r.json.event_ids as string[]));
          } else {
            const r = await post(`${url}/events`, JSON.stringify({ c, i }));
            assert.equal(r.status, 202);
            acked.push(r.json.event_id as string);
          }
        }
      }),
    );
    const written = sink.events().map((e) => e.event_id);
    assert.equal(acked.length, clients * perClient + clients * perClient / 5);
    assert.equal(new Set(acked).size, acked.length, "ids unique");
    assert.equal(written.length, acked.length, "count conservation");
    assert.deepEqual(new Set(written), new Set(acked));
    assert.ok(sink.writes < written.length, "writes were grouped");
  });
});

Deno.test("graceful shutdown: in-flight requests finish and are flushed; new ones are refused", async () => {
  const sink = new MemorySink();
  let open!: () => void;
  sink.gate = new Promise((r) => open = r);
  await withServer({ sink }, async (s, url) => {
    const inflight = Array.from(
      { length: 5 },
      (_, i) => post(`${url}/events`, JSON.stringify({ i })),
    );
    while (s.writer.pending + s.writer.writes < 5) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const stopping = s.shutdown();
    const ready = await fetch(`${url}/readyz`).catch(() => undefined);
    if (ready) {
      assert.equal(ready.status, 503);
      await ready.body?.cancel();
    }
    open();
    const answers = await Promise.all(inflight);
    assert.deepEqual(answers.map((a) => a.status), [202, 202, 202, 202, 202]);
    await stopping;
    assert.equal(sink.events().length, 5);
    assert.ok(sink.flushed >= 1 && sink.closed);
    await assert.rejects(fetch(`${url}/healthz`));
  });
});
