import assert from "node:assert/strict";
import {
  DownstreamUnavailable,
  GroupCommitWriter,
} from "../../stages/ingest/group_commit.ts";
import type { OutputRecord } from "../../stages/shared/io/types.ts";
import { deadLetter } from "../../stages/shared/records.ts";
import { MemorySink } from "./_helpers.ts";

function rec(n: number): OutputRecord {
  const record = deadLetter("ingest", "schema", `r${n}`, String(n));
  return { record, line: JSON.stringify(record), forwarded: false };
}

Deno.test("concurrent submissions are grouped into few writes and all resolve after the write", async () => {
  const sink = new MemorySink();
  let open!: () => void;
  sink.gate = new Promise((r) => open = r);
  const w = new GroupCommitWriter(sink);
  const done: number[] = [];
  const ps = Array.from(
    { length: 50 },
    (_, i) => w.submit([rec(i)]).then(() => done.push(i)),
  );
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(done.length, 0, "nothing resolves before the sink accepted it");
  open();
  await Promise.all(ps);
  assert.equal(sink.records.length, 50);
  assert.ok(sink.writes <= 2, `expected grouping, got ${sink.writes} writes`);
  assert.deepEqual(
    sink.records.map((r) => (r.record as { reason: string }).reason),
    Array.from({ length: 50 }, (_, i) => `r${i}`),
    "order kept",
  );
});

Deno.test("a failing write rejects exactly its waiters with DownstreamUnavailable", async () => {
  const sink = new MemorySink();
  sink.failWith = new Error("broker down");
  const w = new GroupCommitWriter(sink);
  await assert.rejects(w.submit([rec(1)]), DownstreamUnavailable);
  sink.failWith = undefined;
  await w.submit([rec(2)]);
  assert.equal(sink.records.length, 1);
  assert.equal(w.failures, 1);
});

Deno.test("an unready sink, a full queue and a closed writer refuse at once", async () => {
  const sink = new MemorySink();
  sink.isReady = false;
  const w = new GroupCommitWriter(sink);
  await assert.rejects(w.submit([rec(1)]), /not ready/);
  sink.isReady = true;
  let open!: () => void;
  sink.gate = new Promise((r) => open = r);
  const small = new GroupCommitWriter(sink, { maxPendingRecords: 2 });
  const first = small.submit([rec(1)]); // in flight
  const second = small.submit([rec(2), rec(3)]); // pending: 2
  await assert.rejects(small.submit([rec(4)]), /behind/);
  open();
  await Promise.all([first, second]);
  await small.close();
  assert.equal(sink.flushed, 1);
  await assert.rejects(small.submit([rec(5)]), /shutting down/);
});

Deno.test("a stalled write times out its waiters with 503 semantics", async () => {
  const sink = new MemorySink();
  let open!: () => void;
  sink.gate = new Promise((r) => open = r);
  const w = new GroupCommitWriter(sink, { writeTimeoutMs: 20 });
  await assert.rejects(w.submit([rec(1)]), (e: DownstreamUnavailable) => {
    assert.match(e.message, /did not confirm the write within 20 ms/);
    assert.equal(e.delivery, "unknown", "the write may still land");
    return true;
  });
  open();
  await w.close();
});

/** Settles with what became of `p`, or "still waiting" after `ms`. */
async function outcomeWithin(p: Promise<void>, ms: number): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<string>((r) => {
    timer = setTimeout(() => r("still waiting"), ms);
  });
  try {
    return await Promise.race([
      p.then(() => "accepted", (e: Error) => e.message),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("while a write is stalled the writer is not ready and refuses at once; it recovers when the write ends", async () => {
  const sink = new MemorySink();
  let open!: () => void;
  sink.gate = new Promise((r) => open = r);
  const failures: string[] = [];
  const w = new GroupCommitWriter(sink, {
    writeTimeoutMs: 20,
    onFailure: (e, n) => failures.push(`${n}: ${e.message}`),
  });
  const first = w.submit([rec(1)]);
  // Queued behind the write that is about to stall.
  const queued = w.submit([rec(2)]);
  await assert.rejects(first, /did not confirm the write within 20 ms/);
  await assert.rejects(queued, (e: DownstreamUnavailable) => {
    assert.match(e.message, /stalled/);
    assert.equal(e.delivery, "none");
    return true;
  });
  assert.equal(w.ready(), false, "not ready while the write hangs");
  // Refused at once, not after another timeout: settles before the gate
  // opens (a regression would wait for the hung write).
  assert.match(
    await outcomeWithin(w.submit([rec(3)]), 5000),
    /stalled/,
  );
  open();
  await new Promise((r) => setTimeout(r, 0));
  await sink.gate;
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(w.ready(), true, "ready again once the write ended");
  await w.submit([rec(4)]);
  await w.close();
  assert.deepEqual(
    sink.records.map((r) => (r.record as { reason: string }).reason),
    ["r1", "r4"],
    "the stalled write lands (it was not cancelled), the refused ones never do",
  );
  assert.equal(failures.length, 2, failures.join("\n"));
  assert.match(failures[0], /^1: .*did not confirm/);
});

Deno.test("the write timeout is per write, not per run of writes", async () => {
  const sink = new MemorySink();
  // Every write takes 60 ms: well within the timeout, five together beyond it.
  sink.write = async function (records: OutputRecord[]) {
    this.writes++;
    await new Promise((r) => setTimeout(r, 60));
    this.records.push(...records);
  };
  const w = new GroupCommitWriter(sink, { writeTimeoutMs: 150 });
  // A new submission every 50 ms lands while the previous write is in
  // flight, so the writes follow each other in one run.
  const all: Promise<void>[] = [];
  for (let i = 0; i < 5; i++) {
    all.push(w.submit([rec(i)]));
    await new Promise((r) => setTimeout(r, 50));
  }
  await Promise.all(all);
  await w.close();
  assert.equal(sink.records.length, 5);
  assert.equal(w.failures, 0);
  assert.ok(sink.writes >= 4, `expected one run of writes, got ${sink.writes}`);
});
