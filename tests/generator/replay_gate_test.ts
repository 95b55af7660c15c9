/**
 * A replay with a wall-clock limit (--duration without --rate) admits each
 * line synchronously while no wait is needed: a 2 GB log is not slowed by a
 * Promise and a microtask turn per line. Observed from outside: a microtask
 * ticker started when the batch is handed over barely advances before the
 * batch reaches the sink.
 */
import assert from "node:assert/strict";
import { runReplay } from "../../stages/generator/mod.ts";
import type {
  OutputRecord,
  RecordSink,
  RecordSource,
} from "../../stages/shared/io/types.ts";

const LINES = 500;

async function ticksBeforeWrite(wallLimitMs?: number, rate?: number) {
  let ticks = 0;
  let spinning = false;
  const spin = () => {
    if (!spinning || ticks > 100_000) return;
    ticks++;
    queueMicrotask(spin);
  };
  const written: OutputRecord[] = [];
  let ticksAtWrite = -1;
  const lines = Array.from(
    { length: LINES },
    (_, i) =>
      `Nov 24 10:00:00 bastion-01 sshd[${i}]: Failed password for root from 203.0.113.7 port 22 ssh2`,
  );
  const source: RecordSource = {
    describe: "auth.log in memory",
    close: () => Promise.resolve(),
    async *batches() {
      spinning = true;
      queueMicrotask(spin);
      yield { lines, commit: () => Promise.resolve() };
    },
  };
  const sink: RecordSink = {
    describe: "memory",
    write(records) {
      if (ticksAtWrite < 0) ticksAtWrite = ticks;
      spinning = false;
      written.push(...records);
      return Promise.resolve();
    },
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
    ready: () => true,
  };
  const report = await runReplay(source, sink, {
    tenant: "default",
    sourceName: "replay",
    node: "test",
    seed: "1",
    wallLimitMs,
    rate,
    batchSize: 10_000,
  });
  spinning = false;
  return { ticksAtWrite, report, written: written.length };
}

Deno.test("replay with a wall limit and no rate: no microtask turn per line", async () => {
  const r = await ticksBeforeWrite(600_000);
  assert.equal(r.written, LINES);
  assert.equal(r.report.stopped_by, undefined);
  // An await per line would let the ticker run at least once per line.
  assert.ok(r.ticksAtWrite < LINES / 10, `ticks: ${r.ticksAtWrite}`);
});

Deno.test("replay waiting for --rate tokens still stops at the wall limit", async () => {
  // The bucket starts empty: 500 lines at 200/s would take 2.5 s.
  const r = await ticksBeforeWrite(50, 200);
  assert.equal(r.report.stopped_by, "duration");
  assert.ok(r.written > 0 && r.written < LINES, `written: ${r.written}`);
});
