import assert from "node:assert/strict";
import { runTransform } from "../../stages/shared/runner.ts";
import { createLogger } from "../../stages/shared/log.ts";
import type { Transform } from "../../stages/shared/stage.ts";
import type {
  InputBatch,
  OutputRecord,
  RecordSink,
  RecordSource,
} from "../../stages/shared/io/types.ts";
import { validateRecord } from "../../stages/shared/contracts/mod.ts";
import type {
  DeadLetter,
  RawEvent,
} from "../../stages/shared/contracts/mod.ts";

function memorySource(
  batches: string[][],
  oversize = false,
): RecordSource & { commits: number } {
  const src = {
    describe: "memory",
    commits: 0,
    async *batches(): AsyncIterable<InputBatch> {
      let n = 0;
      for (const lines of batches) {
        const numbers = lines.map(() => ++n);
        yield {
          lines,
          numbers,
          oversize: oversize
            ? [{ line: ++n, bytes: 5000, head: '{"big":' }]
            : [],
          commit: () => {
            src.commits++;
            return Promise.resolve();
          },
        };
      }
    },
    close: () => Promise.resolve(),
  };
  return src;
}

function memorySink(): RecordSink & { out: OutputRecord[] } {
  const out: OutputRecord[] = [];
  return {
    describe: "memory",
    out,
    write: (r) => {
      out.push(...r);
      return Promise.resolve();
    },
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
    ready: () => true,
  };
}

const raw: RawEvent = {
  record: "raw_event",
  event_id: "7d1f4a52-3b7e-4a57-9d0c-2f5bb2f4f1aa",
  received_at: "2026-11-24T10:00:00.000Z",
  tenant: "acme",
  source_name: "sshd",
  transport: "stdin",
  ingest_node: "n1",
  payload: "hello",
};

/** Upper-cases string payloads; throws on a payload of "boom". */
const upper: Transform = {
  accepts: ["raw_event"],
  push(rec, out) {
    const r = rec as RawEvent;
    if (r.payload === "boom") throw new Error("exploded");
    out.emit({ ...r, payload: String(r.payload).toUpperCase() });
  },
};

const quiet = createLogger("parser", "silent");

Deno.test("bad lines become dead letters with reasons; good ones are processed; counts add up", async () => {
  const lines = [
    JSON.stringify(raw),
    "not json at all",
    "[1,2]",
    '{"no":"record field"}',
    JSON.stringify({ ...raw, payload: 42 }),
    JSON.stringify({ ...raw, payload: "boom" }),
    JSON.stringify({ record: "alert", alert_id: "a".repeat(32) }),
  ];
  const src = memorySource([lines], true);
  const sink = memorySink();
  const s = await runTransform({
    stage: "parser",
    transform: upper,
    logger: quiet,
    source: src,
    sink,
    handleSignals: false,
  });
  const byType = (t: string) => sink.out.filter((o) => o.record.record === t);
  const dls = byType("dead_letter").map((o) => o.record as DeadLetter);
  assert.deepEqual(
    dls.map((d) => d.reason_code).sort(),
    [
      "invalid_json",
      "not_an_object",
      "oversize",
      "processing_error",
      "schema",
      "unknown_record",
    ],
  );
  assert.match(
    dls.find((d) => d.reason_code === "invalid_json")!.reason,
    /^line 2: not valid JSON/,
  );
  assert.match(
    dls.find((d) => d.reason_code === "schema")!.reason,
    /payload must be a string or a JSON object/,
  );
  assert.match(
    dls.find((d) => d.reason_code === "processing_error")!.reason,
    /exploded/,
  );
  assert.equal(
    dls.find((d) => d.reason_code === "processing_error")!.event_id,
    raw.event_id,
  );
  for (const d of dls) assert.equal(validateRecord(d), null, JSON.stringify(d));
  assert.equal(byType("raw_event").length, 1);
  assert.equal((byType("raw_event")[0].record as RawEvent).payload, "HELLO");
  assert.equal(byType("alert").length, 1);
  assert.equal(byType("alert")[0].forwarded, true);
  assert.equal(
    s.lines_in,
    sink.out.length,
    "every input line, the oversize one included, yields exactly one output",
  );
  const big = dls.find((d) => d.reason_code === "oversize")!;
  assert.equal(big.input_bytes, 5000, "the whole line's size, not its head's");
  assert.equal(big.input_truncated, true);
  assert.equal(src.commits, 1);
});

Deno.test("tick and end outputs reach the sink", async () => {
  let held = 0;
  const counter: Transform = {
    accepts: ["raw_event"],
    push() {
      held++;
    },
    end(out) {
      out.emit({ ...raw, payload: `held ${held}` });
    },
  };
  const sink = memorySink();
  await runTransform({
    stage: "parser",
    transform: counter,
    logger: quiet,
    source: memorySource([[JSON.stringify(raw)], [JSON.stringify(raw)]]),
    sink,
    handleSignals: false,
  });
  assert.deepEqual(sink.out.map((o) => (o.record as RawEvent).payload), [
    "held 2",
  ]);
});

Deno.test("a forwarded input record is passed on byte for byte", async () => {
  const forwardAll: Transform = {
    accepts: ["raw_event"],
    push(rec, out) {
      out.forward(rec);
    },
  };
  // Odd spacing and key order survive: the line is reused, not re-serialized.
  const line =
    `{"payload": "x",  "record":"raw_event","event_id":"${raw.event_id}"}`;
  const sink = memorySink();
  await runTransform({
    stage: "detector",
    transform: forwardAll,
    logger: quiet,
    source: memorySource([[line]]),
    sink,
    handleSignals: false,
  });
  assert.equal(sink.out.length, 1);
  assert.equal(sink.out[0].line, line);
  assert.equal(sink.out[0].forwarded, true);
});

/** A source of numbered batches that logs when each is committed. */
function loggingSource(n: number, log: string[]): RecordSource {
  return {
    describe: "memory",
    async *batches(): AsyncIterable<InputBatch> {
      for (let b = 1; b <= n; b++) {
        log.push(`read ${b}`);
        yield {
          lines: [JSON.stringify({ ...raw, payload: `batch ${b}` })],
          commit: () => {
            log.push(`commit ${b}`);
            return Promise.resolve();
          },
        };
      }
    },
    close: () => Promise.resolve(),
  };
}

const upperAll: Transform = {
  accepts: ["raw_event"],
  push(rec, out) {
    out.emit(rec);
  },
};

Deno.test("each batch is acknowledged only after its own output was written, in order", async () => {
  const log: string[] = [];
  const slowSink: RecordSink = {
    describe: "slow",
    async write(recs) {
      const b = (recs[0].record as RawEvent).payload;
      await new Promise((r) => setTimeout(r, 5));
      log.push(`wrote ${String(b).split(" ")[1]}`);
    },
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
    ready: () => true,
  };
  await runTransform({
    stage: "parser",
    transform: upperAll,
    logger: quiet,
    source: loggingSource(4, log),
    sink: slowSink,
    handleSignals: false,
  });
  const at = (e: string) => log.indexOf(e);
  for (let b = 1; b <= 4; b++) {
    assert.ok(
      at(`wrote ${b}`) >= 0 && at(`wrote ${b}`) < at(`commit ${b}`),
      log.join(", "),
    );
    if (b > 1) {
      assert.ok(at(`commit ${b - 1}`) < at(`commit ${b}`), log.join(", "));
    }
  }
  // The next batch is read while the previous one is still being written.
  assert.ok(at("read 2") < at("wrote 1"), log.join(", "));
});

Deno.test("a failed write fails the run and acknowledges nothing after it", async () => {
  const log: string[] = [];
  const failing: RecordSink = {
    describe: "failing",
    write(recs) {
      const b = String((recs[0].record as RawEvent).payload).split(" ")[1];
      return b === "2"
        ? Promise.reject(new Error("store is down"))
        : Promise.resolve();
    },
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
    ready: () => true,
  };
  await assert.rejects(
    runTransform({
      stage: "parser",
      transform: upperAll,
      logger: quiet,
      source: loggingSource(5, log),
      sink: failing,
      handleSignals: false,
    }),
    /store is down/,
  );
  assert.ok(log.includes("commit 1"));
  assert.ok(!log.some((e) => /commit [2-5]/.test(e)), log.join(", "));
});

Deno.test("identical bad lines are distinct dead letters; a replay of the same input gives the same ids", async () => {
  const ids = async () => {
    const sink = memorySink();
    await runTransform({
      stage: "parser",
      transform: upper,
      logger: quiet,
      source: memorySource([["not json", "not json", "not json"]]),
      sink,
      handleSignals: false,
    });
    return sink.out.map((o) => (o.record as DeadLetter).dead_letter_id);
  };
  const first = await ids();
  assert.equal(new Set(first).size, 3);
  assert.deepEqual(await ids(), first);
});

/** A source that cannot number lines (like Kafka), yielding one batch. */
function unnumbered(batch: Omit<InputBatch, "commit">): RecordSource {
  return {
    describe: "kafka-like",
    async *batches() {
      yield { ...batch, commit: () => Promise.resolve() };
    },
    close: () => Promise.resolve(),
  };
}

Deno.test("an oversize record from a source without line numbers still gives a valid dead letter", async () => {
  const sink = memorySink();
  await runTransform({
    stage: "detector",
    transform: upper,
    logger: quiet,
    source: unnumbered({
      lines: [],
      oversize: [{ line: 0, bytes: 2_000_000, head: '{"big":' }],
    }),
    sink,
    handleSignals: false,
  });
  const dl = sink.out[0].record as DeadLetter;
  assert.equal(dl.reason_code, "oversize");
  assert.equal(dl.line, undefined);
  assert.equal(validateRecord(dl), null);
  assert.match(dl.reason, /^2000000 bytes exceeds/);
  assert.equal(dl.input_bytes, 2_000_000);
});

Deno.test("identical bad messages at different source positions stay distinct dead letters, named by position", async () => {
  const run = async () => {
    const sink = memorySink();
    const offsets = [7, 8, 9];
    await runTransform({
      stage: "parser",
      transform: upper,
      logger: quiet,
      source: unnumbered({
        lines: ["not json", "not json", JSON.stringify(raw)],
        positionOf: (i: number) => `events.raw[0]@${offsets[i]}`,
        oversize: [
          { line: 0, bytes: 2_000_000, head: '{"big":', position: "t[1]@3" },
          { line: 0, bytes: 2_000_000, head: '{"big":', position: "t[1]@4" },
        ],
      }),
      sink,
      handleSignals: false,
    });
    return sink.out.map((o) => o.record).filter((r) =>
      r.record === "dead_letter"
    ) as DeadLetter[];
  };
  const dls = await run();
  assert.equal(dls.length, 4);
  assert.equal(new Set(dls.map((d) => d.dead_letter_id)).size, 4);
  assert.deepEqual(dls.map((d) => d.reason.split(":")[0]).sort(), [
    "events.raw[0]@7",
    "events.raw[0]@8",
    "t[1]@3",
    "t[1]@4",
  ]);
  // A redelivery of the same messages gives the same ids (stored once).
  assert.deepEqual(
    (await run()).map((d) => d.dead_letter_id),
    dls.map((d) => d.dead_letter_id),
  );
});

Deno.test("a core that exhausts the stack, or emits what cannot be serialized, gives one precise dead letter and no phantom output", async () => {
  const run = async (push: Transform["push"]) => {
    const sink = memorySink();
    const s = await runTransform({
      stage: "parser",
      transform: { accepts: ["raw_event"], push },
      logger: quiet,
      source: memorySource([[JSON.stringify(raw)]]),
      sink,
      handleSignals: false,
    });
    assert.equal(sink.out.length, 1);
    const dl = sink.out[0].record as DeadLetter;
    assert.equal(dl.reason_code, "processing_error");
    assert.deepEqual(s.emitted, { dead_letter: 1 });
    return dl.reason;
  };
  // Deep input walked recursively by a core (the parser's flattening).
  const walk = (n: number): number => walk(n + 1) + 1;
  assert.match(
    await run(() => walk(0)),
    /^line 1: parser failed on this record: the record nests too deeply to process/,
  );
  // Emitted, then refused by JSON.stringify: not counted as emitted.
  assert.match(
    await run((record, out) =>
      out.emit({
        ...(record as RawEvent),
        payload: { n: 1n } as unknown as Record<string, unknown>,
      })
    ),
    /BigInt/,
  );
});

Deno.test("a core failing at end of input still has what it emitted written, then the run fails", async () => {
  const failsAtEnd: Transform = {
    accepts: ["raw_event"],
    push() {},
    end(out) {
      out.emit({ ...raw, payload: "held" });
      throw new Error("window state corrupted");
    },
  };
  const sink = memorySink();
  await assert.rejects(
    runTransform({
      stage: "detector",
      transform: failsAtEnd,
      logger: quiet,
      source: memorySource([[JSON.stringify(raw)]]),
      sink,
      handleSignals: false,
    }),
    /window state corrupted/,
  );
  assert.deepEqual(sink.out.map((o) => (o.record as RawEvent).payload), [
    "held",
  ]);
});

/** A Kafka-like source: batches can be released (output accepted) apart from committed. */
function replayableSource(
  batches: string[][],
  log: string[],
): RecordSource {
  return {
    describe: "replayable",
    async *batches(): AsyncIterable<InputBatch> {
      for (const [b, lines] of batches.entries()) {
        yield {
          lines,
          positionOf: (i) => `t[0]@${b * 100 + i}`,
          release: () => log.push(`release ${b}`),
          commit: () => {
            log.push(`commit ${b}`);
            return Promise.resolve();
          },
        };
      }
    },
    close: () => Promise.resolve(),
  };
}

/**
 * A windowed core: each raw_event's payload is its event time in minutes;
 * an open window needs every event of the last 5 minutes.
 */
function windowed(): Transform {
  let newest = -Infinity;
  let batchNewest = -Infinity;
  return {
    accepts: ["raw_event"],
    push(rec) {
      const t = Number((rec as RawEvent).payload) * 60_000;
      if (t > newest) newest = t;
      if (t > batchNewest) batchNewest = t;
    },
    takeNewestMs() {
      const n = batchNewest;
      batchNewest = -Infinity;
      return n;
    },
    neededFromMs: () => newest - 300_000,
  };
}

const atMinute = (m: number) => JSON.stringify({ ...raw, payload: String(m) });

Deno.test("a stateful core on a replayable source: a batch is committed only once no open window needs it, in order; released at once", async () => {
  const log: string[] = [];
  // Batches at minutes 0, 2, 4, 6, 8, 10: the window needs the last 5 min.
  const batches = [0, 2, 4, 6, 8, 10].map((m) => [atMinute(m)]);
  await runTransform({
    stage: "detector",
    transform: windowed(),
    logger: quiet,
    source: replayableSource(batches, log),
    sink: memorySink(),
    handleSignals: false,
  });
  // At minute 10 the window starts at 5: batches 0..4 (minutes 0, 2, 4)
  // are committed; 6, 8, 10 stay uncommitted so a restart reads them again.
  assert.deepEqual(log.filter((l) => l.startsWith("commit")), [
    "commit 0",
    "commit 1",
    "commit 2",
  ]);
  assert.equal(log.filter((l) => l.startsWith("release")).length, 6);
});

/** Busy-waits `ms`: a scan of a large state, as the runner sees it. */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* a costly scan */ }
}

Deno.test("a costly scan of the open state is spaced out, and the commits at the end are those of a scan after every batch", async () => {
  const log: string[] = [];
  const core = windowed();
  let scans = 0;
  const needed = core.neededFromMs!;
  core.neededFromMs = () => {
    scans++;
    spin(5); // spaced: the next waits 20 × 5 ms
    return needed();
  };
  // 30 batches at minutes 0..29: at the end the window starts at 24.
  const batches = Array.from({ length: 30 }, (_, m) => [atMinute(m)]);
  await runTransform({
    stage: "detector",
    transform: core,
    logger: quiet,
    source: replayableSource(batches, log),
    sink: memorySink(),
    handleSignals: false,
  });
  assert.ok(scans < 15, `${scans} scans for 30 batches`);
  // Minutes 0..23 are committed (older than 29 - 5 = 24), 24..29 held.
  assert.deepEqual(
    log.filter((l) => l.startsWith("commit")),
    Array.from({ length: 24 }, (_, b) => `commit ${b}`),
  );
});

Deno.test("a scan's answer never frees a batch pushed after it: a window opened since is honoured", async () => {
  const log: string[] = [];
  // Nothing is open until an event says "open"; then the state needs
  // everything from that event's minute on.
  let openedAt = Infinity;
  let batchNewest = -Infinity;
  let scans = 0;
  const core: Transform = {
    accepts: ["raw_event"],
    push(rec) {
      const [what, m] = String((rec as RawEvent).payload).split(" ");
      const t = Number(m) * 60_000;
      if (t > batchNewest) batchNewest = t;
      if (what === "open" && t < openedAt) openedAt = t;
    },
    takeNewestMs() {
      const n = batchNewest;
      batchNewest = -Infinity;
      return n;
    },
    neededFromMs() {
      scans++;
      spin(5);
      return openedAt;
    },
  };
  const line = (p: string) => JSON.stringify({ ...raw, payload: p });
  // The first scan (after batch 0) finds nothing open; batch 1 opens a
  // window at minute 1 before the next scan is due. Its commit must wait
  // for a scan that has seen it, and that scan keeps it.
  await runTransform({
    stage: "detector",
    transform: core,
    logger: quiet,
    source: replayableSource([[line("quiet 0")], [line("open 1")]], log),
    sink: memorySink(),
    handleSignals: false,
  });
  assert.deepEqual(log.filter((l) => l.startsWith("commit")), ["commit 0"]);
  assert.ok(scans >= 1);
});

Deno.test("past the hold-back bound, batches no scan has seen yet are looked at before a forced commit: nothing open, no warning", async () => {
  const log: string[] = [];
  const warnings: string[] = [];
  let batchNewest = -Infinity;
  const core: Transform = {
    accepts: ["raw_event"],
    push(rec) {
      const t = Number((rec as RawEvent).payload) * 60_000;
      if (t > batchNewest) batchNewest = t;
    },
    takeNewestMs() {
      const n = batchNewest;
      batchNewest = -Infinity;
      return n;
    },
    neededFromMs() {
      spin(5); // spaced: batches arrive between scans
      return Infinity; // nothing open
    },
  };
  await runTransform({
    stage: "detector",
    transform: core,
    logger: createLogger("detector", "warn", (l) => warnings.push(l)),
    source: replayableSource(
      Array.from({ length: 10 }, (_, m) => [atMinute(m)]),
      log,
    ),
    sink: memorySink(),
    handleSignals: false,
    maxHeldRecords: 3,
  });
  assert.equal(log.filter((l) => l.startsWith("commit")).length, 10);
  assert.deepEqual(warnings, []);
});

Deno.test("held commits catch up while the input is quiet, even when the scan is costly", async () => {
  const log: string[] = [];
  const core = windowed();
  const needed = core.neededFromMs!;
  core.neededFromMs = () => {
    spin(5);
    return needed();
  };
  core.tick = () => {};
  let endInput = () => {};
  const closed = new Promise<void>((r) => endInput = r);
  const batches = Array.from({ length: 10 }, (_, m) => [atMinute(m)]);
  const source = replayableSource(batches, log);
  const run = runTransform({
    stage: "detector",
    transform: core,
    logger: quiet,
    source: {
      ...source,
      async *batches() {
        yield* source.batches();
        await closed; // the topic goes quiet, the stage keeps running
      },
      close: () => Promise.resolve(endInput()),
    },
    sink: memorySink(),
    handleSignals: false,
    tickMs: 50,
  });
  // Minutes 0..3 are older than 9 - 5: committed by the ticks' scans
  // while nothing arrives (not only by the final scan at the end).
  const deadline = performance.now() + 5000;
  while (
    log.filter((l) => l.startsWith("commit")).length < 4 &&
    performance.now() < deadline
  ) await new Promise((r) => setTimeout(r, 20));
  const whileQuiet = log.filter((l) => l.startsWith("commit"));
  endInput();
  await run;
  assert.deepEqual(whileQuiet, [
    "commit 0",
    "commit 1",
    "commit 2",
    "commit 3",
  ]);
});

Deno.test("held-back commits are bounded: past maxHeldRecords the oldest are committed anyway", async () => {
  const log: string[] = [];
  // All in the same minute: the window never lets go of any of them.
  const batches = Array.from({ length: 10 }, () => [atMinute(1), atMinute(1)]);
  await runTransform({
    stage: "detector",
    transform: windowed(),
    logger: quiet,
    source: replayableSource(batches, log),
    sink: memorySink(),
    handleSignals: false,
    maxHeldRecords: 6,
  });
  // 20 records, at most 6 held: the oldest 7 batches had to go.
  assert.equal(log.filter((l) => l.startsWith("commit")).length, 7);
});

Deno.test("a stateless core on a replayable source commits every batch once written", async () => {
  const log: string[] = [];
  await runTransform({
    stage: "parser",
    transform: upper,
    logger: quiet,
    source: replayableSource(
      [[JSON.stringify(raw)], [JSON.stringify(raw)]],
      log,
    ),
    sink: memorySink(),
    handleSignals: false,
  });
  assert.deepEqual(log, ["commit 0", "commit 1"]);
});

Deno.test("a failed write ends the run promptly even when no more input arrives", async () => {
  let closed: () => void = () => {};
  const whenClosed = new Promise<void>((r) => closed = r);
  let commits = 0;
  // One batch, then the input stays open (a quiet topic) until closed.
  const source: RecordSource = {
    describe: "quiet",
    async *batches(): AsyncIterable<InputBatch> {
      yield {
        lines: [JSON.stringify(raw)],
        commit: () => {
          commits++;
          return Promise.resolve();
        },
      };
      await whenClosed;
    },
    close: () => {
      closed();
      return Promise.resolve();
    },
  };
  const sink = memorySink();
  sink.write = () => Promise.reject(new Error("broker said no"));
  const timeout = new Promise<string>((r) => {
    const id = setTimeout(() => r("still running"), 5000);
    whenClosed.then(() => clearTimeout(id));
  });
  const run = runTransform({
    stage: "parser",
    transform: upper,
    logger: quiet,
    source,
    sink,
    handleSignals: false,
  }).then(() => "ok", (e) => `failed: ${(e as Error).message}`);
  assert.equal(await Promise.race([run, timeout]), "failed: broker said no");
  assert.equal(commits, 0);
});

Deno.test("a record of a type the stage does not process: forwarded on a stream, a dead letter on a topic output", async () => {
  const alert = JSON.stringify({
    record: "alert",
    alert_id: "a1",
    tenant: "acme",
  });
  const stream = memorySink();
  await runTransform({
    stage: "parser",
    transform: upper,
    logger: quiet,
    source: unnumbered({ lines: [alert] }),
    sink: stream,
    handleSignals: false,
  });
  assert.equal(stream.out.length, 1);
  assert.equal(stream.out[0].forwarded, true);
  assert.equal(stream.out[0].line, alert);

  const topics = Object.assign(memorySink(), { dropsForwarded: true });
  const summary = await runTransform({
    stage: "parser",
    transform: upper,
    logger: quiet,
    source: unnumbered({
      lines: [alert],
      positionOf: () => "events.raw[2]@17",
    }),
    sink: topics,
    handleSignals: false,
  });
  assert.equal(topics.out.length, 1);
  const dl = topics.out[0].record as DeadLetter;
  assert.equal(dl.record, "dead_letter");
  assert.equal(dl.reason_code, "unexpected_record");
  assert.match(
    dl.reason,
    /^events\.raw\[2\]@17: record type alert is not processed by the parser/,
  );
  assert.equal(validateRecord(dl), null);
  assert.equal(summary.forwarded, 0);
});

Deno.test("raw events piped into the detector (the parser left out) are passed on with one warning saying so", async () => {
  const warnings: string[] = [];
  const sink = memorySink();
  const detectorCore: Transform = { accepts: ["enriched_event"], push() {} };
  const lines = [JSON.stringify(raw), JSON.stringify(raw)];
  await runTransform({
    stage: "detector",
    transform: detectorCore,
    logger: createLogger("detector", "warn", (l) => warnings.push(l)),
    source: replayableSource([lines], []),
    sink,
    handleSignals: false,
  });
  assert.equal(sink.out.length, 2, "forwarded unchanged");
  assert.equal(warnings.length, 1, warnings.join("\n"));
  assert.match(
    warnings[0],
    /raw_event records are passed on unprocessed: .*put sentinel-parser before it/,
  );
});
