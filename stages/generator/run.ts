/**
 * The generator's two run loops over any {@link RecordSink}: synthetic
 * traffic paced by a token bucket, and replay of a recorded file. Both await
 * the sink for every batch (back-pressure) and return the figures of the
 * end-of-run summary.
 */
import type { AnyRecord } from "../shared/records.ts";
import { deadLetter } from "../shared/records.ts";
import type {
  OutputRecord,
  RecordSink,
  RecordSource,
} from "../shared/io/types.ts";
import { type GeneratorOptions, TrafficGenerator } from "./generator.ts";
import type { ScenarioStats } from "./generator.ts";
import { pace } from "./pace.ts";
import { ReplayClock, ReplayDecoder, type ReplayOptions } from "./replay.ts";

/** Figures of one run, for the summary on stderr. */
export interface RunReport {
  events: number;
  dead_letters: number;
  elapsed_s: number;
  requested_rate: number | "unbounded" | "original timing";
  achieved_rate: number;
  by_category?: Record<string, number>;
  by_scenario?: Record<
    string,
    { planned: number; emitted: number; first?: string; last?: string }
  >;
  by_source?: Record<string, number>;
  /** Scenarios whose events did not all fit into the run. */
  truncated_scenarios?: string[];
}

/** Wraps a record for a sink. */
export function toOutput(record: AnyRecord): OutputRecord {
  return { record, line: JSON.stringify(record), forwarded: false };
}

/** Options of {@link runSynthetic}. */
export interface SyntheticRunOptions {
  generator: GeneratorOptions;
  /** Events per wall second; 0 = as fast as the sink accepts. */
  rate: number;
  burst?: number;
  /** Exact number of events. */
  count?: number;
  /** Wall-time limit (used with rate 0 and a duration). */
  wallLimitMs?: number;
  signal?: AbortSignal;
  onProgress?: (sent: number, elapsedMs: number) => void;
}

/** Generates synthetic traffic into `sink`. */
export async function runSynthetic(
  sink: RecordSink,
  opts: SyntheticRunOptions,
): Promise<RunReport> {
  const gen = new TrafficGenerator(opts.generator);
  const result = await pace(async (n) => {
    const batch = new Array<OutputRecord>(n);
    for (let i = 0; i < n; i++) batch[i] = toOutput(gen.next());
    await sink.write(batch);
  }, {
    rate: opts.rate,
    burst: opts.burst,
    limit: opts.count,
    wallLimitMs: opts.wallLimitMs,
    signal: opts.signal,
    onProgress: opts.onProgress,
  });
  await sink.flush();
  const byScenario = gen.byScenario();
  const truncated = Object.entries(byScenario)
    .filter(([, s]) => s.emitted < s.planned)
    .map(([k]) => k);
  const report: RunReport = {
    events: result.sent,
    dead_letters: 0,
    elapsed_s: round(result.elapsedMs / 1000, 3),
    requested_rate: opts.rate > 0 ? opts.rate : "unbounded",
    achieved_rate: round(result.achievedRate, 1),
    by_category: gen.byCategory(),
    by_scenario: Object.fromEntries(
      Object.entries(byScenario).map(([k, s]) => [k, scenarioSummary(s)]),
    ),
  };
  if (truncated.length) report.truncated_scenarios = truncated;
  return report;
}

/** Options of {@link runReplay}. */
export interface ReplayRunOptions extends ReplayOptions {
  /** Keep the original spacing divided by this factor; absent = as fast as possible. */
  speed?: number;
  signal?: AbortSignal;
  onProgress?: (sent: number, elapsedMs: number) => void;
  /** Records per sink write. @default 1000 */
  batchSize?: number;
}

/** Replays the lines of `source` into `sink`. */
export async function runReplay(
  source: RecordSource,
  sink: RecordSink,
  opts: ReplayRunOptions,
): Promise<RunReport> {
  const decoder = new ReplayDecoder(opts);
  const clock = opts.speed ? new ReplayClock(opts.speed) : null;
  const batchSize = opts.batchSize ?? 1000;
  const started = performance.now();
  let lastProgress = started;
  let events = 0, dead = 0;
  const bySource: Record<string, number> = {};
  let pending: OutputRecord[] = [];
  const drain = async () => {
    if (!pending.length) return;
    const out = pending;
    pending = [];
    await sink.write(out);
    if (opts.onProgress) {
      const t = performance.now();
      if (t - lastProgress >= 1000) {
        lastProgress = t;
        opts.onProgress(events, t - started);
      }
    }
  };
  outer: for await (const batch of source.batches()) {
    for (const o of batch.oversize ?? []) {
      pending.push(toOutput(deadLetter(
        "generator",
        "oversize",
        `replay line ${o.line}: ${o.bytes} bytes exceeds the maximum line size`,
        o.head,
        { line: o.line },
      )));
      dead++;
    }
    for (let i = 0; i < batch.lines.length; i++) {
      if (opts.signal?.aborted) break outer;
      const line = batch.numbers?.[i] ?? i + 1;
      const item = decoder.decode(batch.lines[i], line);
      if ("dead" in item) {
        pending.push(toOutput(item.dead));
        dead++;
        continue;
      }
      if (clock) {
        const wait = clock.delayMs(item.timeMs, performance.now());
        if (wait > 1) {
          await drain();
          // Real-time replay can wait hours between two lines: a signal
          // ends the wait, and the run, at once.
          if (await abortableSleep(wait, opts.signal)) break outer;
        }
      }
      pending.push(toOutput(item.event));
      events++;
      bySource[item.event.source_name] =
        (bySource[item.event.source_name] ?? 0) + 1;
      if (pending.length >= batchSize) await drain();
    }
    await drain();
    await batch.commit();
  }
  await drain();
  await sink.flush();
  const elapsedMs = performance.now() - started;
  return {
    events,
    dead_letters: dead,
    elapsed_s: round(elapsedMs / 1000, 3),
    requested_rate: opts.speed ? "original timing" : "unbounded",
    achieved_rate: round(elapsedMs > 0 ? (events * 1000) / elapsedMs : 0, 1),
    by_source: bySource,
  };
}

function scenarioSummary(s: ScenarioStats) {
  return {
    planned: s.planned,
    emitted: s.emitted,
    ...(s.firstMs !== undefined
      ? { first: new Date(s.firstMs).toISOString() }
      : {}),
    ...(s.lastMs !== undefined
      ? { last: new Date(s.lastMs).toISOString() }
      : {}),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Sleeps `ms`; true when `signal` aborted it (or was already aborted). */
function abortableSleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (aborted: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(aborted);
    };
    const onAbort = () => done(true);
    const timer = setTimeout(() => done(false), ms);
    signal?.addEventListener("abort", onAbort);
  });
}
