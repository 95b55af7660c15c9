/**
 * Generator pacing: achieved vs requested rate at 10k and 100k events/s
 * (target: within 2 %), into an in-process null sink (events are still
 * built and serialized) and into /dev/null through the shared file sink;
 * plus the unpaced ceiling.
 */
import type { BenchOptions, BenchResult } from "./types.ts";
import type { OutputRecord, RecordSink } from "../stages/shared/io/types.ts";
import { openSink } from "../stages/shared/io/mod.ts";
import { createLogger } from "../stages/shared/log.ts";
import { runSynthetic } from "../stages/generator/mod.ts";

/** Discards records (their JSON lines are built by the generator anyway). */
class NullSink implements RecordSink {
  readonly describe = "null";
  bytes = 0;
  write(records: OutputRecord[]): Promise<void> {
    for (const r of records) this.bytes += r.line.length + 1;
    return Promise.resolve();
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  ready(): boolean {
    return true;
  }
}

async function measure(
  rate: number,
  seconds: number,
  sink: RecordSink,
): Promise<{ achieved: number; events: number; elapsed: number }> {
  const r = await runSynthetic(sink, {
    generator: {
      seed: "bench",
      startMs: Date.parse("2026-11-24T10:00:00Z"),
      virtualRate: rate > 0 ? rate : 1000,
      injects: [],
    },
    rate,
    count: rate > 0 ? Math.round(rate * seconds) : undefined,
    wallLimitMs: rate > 0 ? undefined : seconds * 1000,
  });
  return { achieved: r.achieved_rate, events: r.events, elapsed: r.elapsed_s };
}

/** Runs the generator benchmark. */
export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const seconds = opts.quick ? 1 : 3;
  const out: BenchResult[] = [];
  const logger = createLogger("generator", "silent");
  // Warm up the JIT so the first measured run is not penalized.
  await measure(0, opts.quick ? 0.3 : 1, new NullSink());
  for (const rate of [10_000, 100_000]) {
    for (const target of ["null", "/dev/null"] as const) {
      const sink = target === "null"
        ? new NullSink()
        : await openSink("file:/dev/null", { stage: "generator", logger });
      const m = await measure(rate, seconds, sink);
      await sink.close();
      const ratio = m.achieved / rate;
      out.push({
        area: "generator",
        name: `achieved rate at ${rate / 1000}k/s requested, ${seconds} s, ${
          target === "null" ? "in-process null sink" : "file sink to /dev/null"
        }`,
        value: Math.round(m.achieved),
        unit: "events/s",
        target: `${rate * 0.98}–${rate * 1.02}`,
        met: Math.abs(ratio - 1) <= 0.02,
        notes: `${m.events} events in ${m.elapsed} s (${
          ((ratio - 1) * 100).toFixed(2)
        } % off)`,
      });
    }
  }
  const max = await measure(0, seconds, new NullSink());
  out.push({
    area: "generator",
    name: `unpaced ceiling (--rate 0), ${seconds} s, null sink`,
    value: Math.round(max.achieved),
    unit: "events/s",
    notes: "build + serialize RawEvents on one core",
  });
  return out;
}

if (import.meta.main) {
  const quick = Deno.args.includes("--quick");
  for (const r of await run({ quick })) console.log(JSON.stringify(r));
}
