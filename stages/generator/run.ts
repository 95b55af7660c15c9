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
import { defaultBurst, pace, TokenBucket } from "./pace.ts";
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
  /** Why a replay ended before the end of its file (--count, --duration). */
  stopped_by?: "count" | "duration";
  /**
   * Replayed lines whose own time was unusable (unparseable, or a year
   * outside 0000–9999): their received_at is the replay time.
   */
  time_fallbacks?: { lines: number; first_line: number };
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
  /**
   * Lines per second instead of the original timing (not with `speed`);
   * 0 or absent = as fast as possible.
   */
  rate?: number;
  /** Token-bucket size with `rate`. @default one second of `rate` */
  burst?: number;
  /**
   * Replay at most this many lines (each becomes one event or one dead
   * letter), like `head -n`: a 2 GB log need not be read to the end.
   */
  count?: number;
  /** Stop after this much wall time. */
  wallLimitMs?: number;
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
  if (opts.speed && opts.rate) {
    throw new Error(
      "replay: speed (original timing) and rate exclude each other",
    );
  }
  const decoder = new ReplayDecoder(opts);
  const clock = opts.speed ? new ReplayClock(opts.speed) : null;
  const batchSize = opts.batchSize ?? 1000;
  const limit = opts.count ?? Infinity;
  const started = performance.now();
  const deadline = opts.wallLimitMs !== undefined
    ? started + opts.wallLimitMs
    : Infinity;
  const rate = opts.rate ?? 0;
  const burst = Math.max(1, Math.floor(opts.burst ?? defaultBurst(rate)));
  const bucket = rate > 0 ? new TokenBucket(rate, burst, started) : null;
  // As in pace(): wake for ~5 ms worth of lines, so timers stay coarse.
  const minWake = Math.max(1, Math.min(burst, Math.ceil(rate / 200)));
  let lastProgress = started;
  let events = 0, dead = 0;
  let stoppedBy: RunReport["stopped_by"];
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
  /**
   * Says whether the next line may go out: false at the count or a signal
   * (checked synchronously: an await per line would cost more than the
   * decoding) or, through {@link admitTimed}, at the wall limit.
   */
  const admit = (): boolean | Promise<boolean> => {
    if (events + dead >= limit) {
      stoppedBy = "count";
      return false;
    }
    if (opts.signal?.aborted) return false;
    return timed ? admitTimed() : true;
  };
  const timed = bucket !== null || deadline !== Infinity;
  /**
   * The wall limit and a --rate token: synchronous while a token is at hand
   * (always, with a wall limit alone), a Promise only when it must wait.
   */
  const admitTimed = (): boolean | Promise<boolean> => {
    const t = performance.now();
    if (t >= deadline) {
      stoppedBy = "duration";
      return false;
    }
    if (!bucket || bucket.take(1, t) === 1) return true;
    return waitForToken(bucket, t);
  };
  /** Waits for a --rate token; false at the wall limit or a signal. */
  const waitForToken = async (
    bucket: TokenBucket,
    t: number,
  ): Promise<boolean> => {
    for (;;) {
      await drain();
      const wait = Math.min(bucket.waitMs(minWake, t), deadline - t);
      if (await abortableSleep(wait, opts.signal)) return false;
      t = performance.now();
      if (t >= deadline) {
        stoppedBy = "duration";
        return false;
      }
      if (bucket.take(1, t) === 1) return true;
    }
  };
  outer: for await (const batch of source.batches()) {
    for (const o of batch.oversize ?? []) {
      const go = admit();
      if (go === false || (go !== true && !await go)) break outer;
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
      const go = admit();
      if (go === false || (go !== true && !await go)) break outer;
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
          // or the wall limit ends the wait, and the run, at once.
          const left = deadline - performance.now();
          if (await abortableSleep(Math.min(wait, left), opts.signal)) {
            break outer;
          }
          if (wait >= left) {
            stoppedBy = "duration";
            break outer;
          }
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
  // Stopping early leaves the rest of the file unread.
  if (stoppedBy) await source.close();
  const elapsedMs = performance.now() - started;
  const report: RunReport = {
    events,
    dead_letters: dead,
    elapsed_s: round(elapsedMs / 1000, 3),
    requested_rate: opts.speed
      ? "original timing"
      : rate > 0
      ? rate
      : "unbounded",
    achieved_rate: round(elapsedMs > 0 ? (events * 1000) / elapsedMs : 0, 1),
    by_source: bySource,
  };
  if (stoppedBy) report.stopped_by = stoppedBy;
  if (decoder.timeFallbacks > 0) {
    report.time_fallbacks = {
      lines: decoder.timeFallbacks,
      first_line: decoder.firstFallbackLine!,
    };
  }
  return report;
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
