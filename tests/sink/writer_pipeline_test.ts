/**
 * The pipelined write path: while one full batch is being inserted the next
 * is buffered, yet input is still acknowledged only after the insert that
 * holds it succeeded, inserts stay in order, and memory stays bounded.
 */
import assert from "node:assert/strict";
import {
  type PendingRow,
  type RecordStore,
  StoreWriter,
  type TableName,
} from "../../stages/sink/mod.ts";
import { createLogger } from "../../stages/shared/log.ts";
import type { InputBatch, OutputRecord } from "../../stages/shared/io/types.ts";
import { sshFailure } from "./_fixtures.ts";

/** A store whose inserts finish only when the test releases them. */
function gatedStore() {
  const log: string[] = [];
  const gates: (() => void)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  // started[n] resolves when the (n+1)th insert has started.
  const started: PromiseWithResolvers<void>[] = [];
  const startedAt = (n: number) => started[n] ??= Promise.withResolvers();
  let starts = 0;
  const store: RecordStore = {
    describe: "gated",
    kind: "chdb",
    queryable: false,
    applySchema: () => Promise.resolve(),
    query: () => Promise.resolve(""),
    close: () => Promise.resolve(),
    async insert(_table: TableName, rows: readonly PendingRow[]) {
      const first = JSON.parse(rows[0].line).event_id as string;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      log.push(`insert start ${first}`);
      startedAt(starts++).resolve();
      await new Promise<void>((r) => gates.push(r));
      inFlight--;
      log.push(`insert done ${first}`);
    },
  };
  return {
    store,
    log,
    release: () => gates.shift()?.(),
    /** Resolves once the `n`th insert (1-based) has started. */
    started: (n: number) => startedAt(n - 1).promise,
    pending: () => gates.length,
    maxInFlight: () => maxInFlight,
  };
}

const event = (i: number): OutputRecord => {
  const record = {
    ...sshFailure,
    event_id: `0b6c1d1e-1111-4222-8333-${String(i).padStart(12, "0")}`,
  };
  return { record, line: JSON.stringify(record), forwarded: false };
};

const batch = (name: string, log: string[]): InputBatch => ({
  lines: [],
  commit: () => {
    log.push(`commit ${name}`);
    return Promise.resolve();
  },
});

/**
 * Resolves after every pending promise reaction has run. The writer and the
 * gated store do no I/O, so this is exact (not a guess at a duration): what
 * has not happened by then waits for a gate.
 */
const settled = () => new Promise((r) => setTimeout(r, 0));

Deno.test("pipelined writer keeps reading during an insert, acknowledges only after it, in order", async () => {
  const g = gatedStore();
  const w = new StoreWriter(g.store, createLogger("sink", "error"), {
    maxRows: 2,
    lingerMs: 60_000,
  });
  // Batch A fills the buffer: its insert starts, write() returns at once.
  await w.write([event(1), event(2)]);
  w.deferCommit(batch("A", g.log));
  await g.started(1);
  assert.deepEqual(g.log, [
    "insert start 0b6c1d1e-1111-4222-8333-000000000001",
  ]);
  // Batch B is buffered while A's insert is still running; writing it waits
  // for A (bounded memory) but A is not acknowledged yet.
  let bWritten = false;
  const wb = w.write([event(3), event(4)]).then(() => bWritten = true);
  await settled();
  assert.equal(bWritten, false, "a second full batch waits for the first");
  assert.ok(
    !g.log.includes("commit A"),
    "A is not acknowledged before its insert",
  );
  g.release(); // A stored
  await wb;
  w.deferCommit(batch("B", g.log));
  await g.started(2);
  g.release(); // B stored
  await w.close();
  // Acknowledgements follow the inserts that hold their rows, in order.
  assert.deepEqual(g.log, [
    "insert start 0b6c1d1e-1111-4222-8333-000000000001",
    "insert done 0b6c1d1e-1111-4222-8333-000000000001",
    "insert start 0b6c1d1e-1111-4222-8333-000000000003",
    "insert done 0b6c1d1e-1111-4222-8333-000000000003",
    "commit A",
    "commit B",
  ]);
  // A's acknowledgement comes after A's insert; B's after B's.
  const at = (s: string) => g.log.indexOf(s);
  assert.ok(
    at("commit A") > at("insert done 0b6c1d1e-1111-4222-8333-000000000001"),
  );
  assert.ok(
    at("commit B") > at("insert done 0b6c1d1e-1111-4222-8333-000000000003"),
  );
  assert.equal(g.maxInFlight(), 1, "one insert at a time, in order");
  assert.equal(w.stats.stored.events, 4);
});

Deno.test("pipeline: false stores every full batch before write() returns", async () => {
  const g = gatedStore();
  const w = new StoreWriter(g.store, createLogger("sink", "error"), {
    maxRows: 2,
    lingerMs: 60_000,
    pipeline: false,
  });
  let done = false;
  const p = w.write([event(1), event(2)]).then(() => done = true);
  await g.started(1);
  await settled();
  assert.equal(done, false);
  g.release();
  await p;
  assert.equal(w.stats.stored.events, 2);
  await w.close();
});
