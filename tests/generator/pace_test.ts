/**
 * Pacing logic on a simulated clock (no wall-clock timing in tests): the
 * token bucket meters out exactly the rate, batches stay within the burst,
 * a slow sink is not followed by an unbounded burst, and the HTTP target
 * retries what ingest asks to retry.
 */
import assert from "node:assert/strict";
import {
  HttpTargetSink,
  pace,
  ReplayClock,
  TokenBucket,
  toOutput,
} from "../../stages/generator/mod.ts";
import { generate } from "./_helpers.ts";

function simulatedClock() {
  let t = 0;
  return {
    now: () => t,
    sleep: (ms: number) => {
      t += ms;
      return Promise.resolve();
    },
    advance: (ms: number) => (t += ms),
  };
}

Deno.test("token bucket: starts empty, refills at the rate, caps at capacity", () => {
  const b = new TokenBucket(1000, 50, 0);
  assert.equal(b.available(0), 0);
  assert.equal(b.available(10), 10);
  assert.equal(b.take(4, 10), 4);
  assert.equal(b.available(10), 6);
  assert.equal(b.available(10_000), 50, "capped at capacity");
  assert.equal(b.take(100, 10_000), 50);
  assert.equal(b.waitMs(10, 10_000), 10);
});

Deno.test("pace: 100k events/s for 2 simulated seconds sends exactly 200k in writes of ≤ 10 ms worth", async () => {
  const c = simulatedClock();
  const sizes: number[] = [];
  const r = await pace((n) => {
    sizes.push(n);
    c.advance(1); // the sink takes 1 ms per batch
  }, { rate: 100_000, limit: 200_000, now: c.now, sleep: c.sleep });
  assert.equal(r.sent, 200_000);
  assert.equal(sizes.reduce((a, b) => a + b), 200_000);
  assert.ok(Math.max(...sizes) <= 1000);
  assert.ok(
    Math.abs(r.achievedRate - 100_000) / 100_000 < 0.02,
    String(r.achievedRate),
  );
});

Deno.test("pace: a sink stalled for 1 s is not followed by more than one burst", async () => {
  const c = simulatedClock();
  const sizes: number[] = [];
  let calls = 0;
  await pace((n) => {
    sizes.push(n);
    if (++calls === 3) c.advance(1000);
  }, { rate: 1000, burst: 20, limit: 300, now: c.now, sleep: c.sleep });
  assert.ok(Math.max(...sizes) <= 20);
  assert.equal(sizes.reduce((a, b) => a + b), 300);
});

Deno.test("pace: rate 0 sends as fast as the sink takes, honouring the wall limit and abort", async () => {
  const c = simulatedClock();
  const r = await pace(() => {
    c.advance(10);
  }, {
    rate: 0,
    wallLimitMs: 100,
    now: c.now,
    sleep: c.sleep,
    unpacedBatch: 7,
  });
  assert.equal(r.sent, 70);
  const ac = new AbortController();
  let sent = 0;
  const r2 = await pace((n) => {
    sent += n;
    if (sent >= 30) ac.abort();
  }, { rate: 0, unpacedBatch: 10, signal: ac.signal });
  assert.equal(r2.sent, 30);
});

Deno.test("replay clock keeps the original spacing divided by the speed", () => {
  const clock = new ReplayClock(10);
  assert.equal(clock.delayMs(1_000_000, 500), 0);
  assert.equal(clock.delayMs(1_010_000, 500), 1000); // 10 s at 10× = 1 s
  assert.equal(clock.delayMs(1_010_000, 2000), 0);
  assert.equal(clock.delayMs(undefined, 2000), 0);
});

Deno.test("HTTP target retries 503 and network errors, then succeeds; 400 is not retried", async () => {
  const statuses = [503, -1, 202];
  let calls = 0;
  const fakeFetch = ((_url: string, _init: RequestInit) => {
    const s = statuses[Math.min(calls++, statuses.length - 1)];
    if (s === -1) return Promise.reject(new TypeError("connection refused"));
    return Promise.resolve(
      new Response("x", { status: s, headers: { "retry-after": "1" } }),
    );
  }) as typeof fetch;
  const slept: number[] = [];
  const sink = new HttpTargetSink({
    url: "http://ingest.test:8080",
    batchSize: 1000,
    fetch: fakeFetch,
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
  });
  const events = generate([], 10, 100).filter((e) => e.tenant === "acme");
  await sink.write(events.map(toOutput));
  await sink.close();
  const st = sink.stats();
  assert.equal(st.accepted_events, events.length);
  assert.equal(st.failed_events, 0);
  assert.equal(st.retries, 2);
  assert.equal(slept[0], 1000, "Retry-After honoured");

  calls = 0;
  const refusing = new HttpTargetSink({
    url: "http://ingest.test:8080/events/batch",
    fetch: (() => {
      calls++;
      return Promise.resolve(new Response("invalid", { status: 400 }));
    }) as typeof fetch,
    sleep: () => Promise.resolve(),
  });
  await refusing.write(events.map(toOutput));
  await refusing.close();
  assert.equal(calls, 1);
  assert.equal(refusing.stats().failed_events, events.length);
  assert.match(refusing.stats().last_error!, /HTTP 400/);
});
