/**
 * Throughput of the whole stdio pipe and of each stage alone, next to two
 * baselines measured in the same run: `cat` through the same pipe shape, and
 * the Deno NDJSON passthrough stage (parse + stringify only). Peak RSS per
 * process comes from GNU time (`/usr/bin/time -f %M`).
 *
 * Full pipe: generator → parser → detector (rule pack + anomaly model) → sink
 * into a fresh chDB store, over ≥ 2M events (200k with --quick).
 */
import type { BenchOptions, BenchResult } from "./types.ts";
import { stageCommand } from "../scripts/pipe.ts";
import { stageV8FlagsArg } from "../stages/shared/v8_flags.ts";

const root = new URL("..", import.meta.url).pathname;
/** A stage as it ships (`deno task <stage>`, with its V8 flags). */
const stage = (bin: string) => stageCommand(bin).join(" ");
// The Deno passthrough baseline gets the flags every stage has: the
// comparison is between programs, not runtime settings.
const passthrough = `${Deno.execPath()} run -A --quiet ${
  stageV8FlagsArg("passthrough")
} ${root}bench/passthrough.ts`;

interface Timed {
  seconds: number;
  /** Peak RSS in MB per pipeline element, in order. */
  rssMb: number[];
}

/** Runs a shell pipeline of `commands` with each element under GNU time. */
async function timedPipe(commands: string[], dir: string): Promise<Timed> {
  const parts = commands.map((c, i) =>
    `/usr/bin/time -f %M -o ${dir}/rss.${i} ${c}`
  );
  const started = performance.now();
  const out = await new Deno.Command("bash", {
    args: ["-o", "pipefail", "-c", parts.join(" | ")],
    stdout: "null",
    stderr: "piped",
    cwd: root,
  }).output();
  const seconds = (performance.now() - started) / 1000;
  if (out.code !== 0) {
    throw new Error(
      `pipe failed (${out.code}): ${commands.join(" | ")}\n${
        new TextDecoder().decode(out.stderr).slice(-1500)
      }`,
    );
  }
  const rssMb: number[] = [];
  for (let i = 0; i < commands.length; i++) {
    const t = (await Deno.readTextFile(`${dir}/rss.${i}`)).trim().split("\n")
      .pop()!;
    rssMb.push(Number(t) / 1024);
  }
  return { seconds, rssMb };
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const n = opts.quick ? 200_000 : 2_000_000;
  const dir = await Deno.makeTempDir({ prefix: "sentinel-pipe-bench-" });
  const results: BenchResult[] = [];
  const raw = `${dir}/raw.ndjson`;
  const enriched = `${dir}/enriched.ndjson`;
  const gen = `${stage("sentinel-generator")} --rate 0 --count ${n}` +
    ` --seed 11 --start 2026-11-24T00:00:00Z --inject brute_force_ssh` +
    ` --inject port_scan --inject password_spray --inject dns_tunneling --log-level warn`;
  const parser = `${stage("sentinel-parser")} --log-level warn`;
  // The detector as deployed: the rule pack plus an anomaly model trained
  // offline on attack-free history (made below), so scoring is on the path.
  const model = `${dir}/model.json`;
  const detector = `${
    stage("sentinel-detector")
  } --rules ${root}sigma --model ${model} --log-level warn`;
  const sink = (store: string) =>
    `${stage("sentinel-sink")} --out chdb:${dir}/${store} --log-level warn`;
  let mb = 0;
  let ptRate = 0;

  /** Records one measurement; a failing one becomes a row saying so, the rest still run. */
  const measure = async (
    name: string,
    commands: string[],
    extra: (rate: number) => Partial<BenchResult> = () => ({}),
  ): Promise<number> => {
    try {
      const t = await timedPipe(commands, dir);
      const rate = n / t.seconds;
      results.push({
        area: "pipe",
        name,
        value: Math.round(rate),
        unit: "events/s",
        // The generator row runs before the input size is known.
        notes: `${
          mb ? `${(mb / t.seconds).toFixed(1)} MB/s of raw input; ` : ""
        }peak RSS MB ${t.rssMb.map((r) => r.toFixed(0)).join(" / ")}`,
        ...extra(rate),
      });
      const maxRss = Math.max(...t.rssMb);
      results.push({
        area: "pipe",
        name: `${name}: largest peak RSS`,
        value: Math.round(maxRss),
        unit: "MB",
        target: "<= 300",
        met: maxRss <= 300,
      });
      return rate;
    } catch (e) {
      results.push({
        area: "pipe",
        name,
        value: 0,
        unit: "events/s",
        notes: `FAILED: ${(e as Error).message.slice(0, 300)}`,
      });
      return 0;
    }
  };

  try {
    // Input for the single-stage runs, generated once.
    await measure("generator alone (to file)", [`${gen} --out file:${raw}`]);
    mb = (await Deno.stat(raw)).size / 1e6;
    // Attack-free history (another seed) for the anomaly model: 800k events,
    // about 13 minutes of event time at the generator's virtual 1000/s, so
    // the 10-minute windows have filled (the hour-long ones have not).
    await timedPipe([
      `${
        stage("sentinel-generator")
      } --rate 0 --count 800000 --seed 99 --start 2026-11-23T00:00:00Z --log-level warn`,
      parser,
      `${
        stage("sentinel-detector")
      } train --in - --model ${model} --log-level warn`,
    ], dir);

    await measure("baseline: cat | cat | cat | cat", [
      `cat ${raw}`,
      "cat",
      "cat",
      "cat",
    ]);
    // Each stage is compared with the passthrough over its own input: raw
    // events for the parser, enriched events (about twice as long) for the
    // detector.
    ptRate = await measure(
      "baseline: Deno NDJSON passthrough stage (raw events)",
      [
        `${passthrough} < ${raw}`,
      ],
    );
    const vs = (base: number) => (rate: number) => ({
      target: `>= 60% of passthrough (${Math.round(0.6 * base)})`,
      met: rate >= 0.6 * base,
    });
    await measure(
      "parser alone",
      [`${parser} < ${raw} > ${enriched}`],
      vs(ptRate),
    );
    const ptEnriched = await measure(
      "baseline: Deno NDJSON passthrough stage (enriched events)",
      [`${passthrough} < ${enriched}`],
    );
    await measure("detector alone (pack + anomaly model)", [
      `${detector} < ${enriched}`,
    ], vs(ptEnriched));
    await measure("sink alone (into chDB)", [
      `cat ${enriched}`,
      sink("store1"),
    ]);
    await measure(
      `full pipe generator | parser | detector | sink (${
        n.toLocaleString("en-US")
      } events)`,
      [gen, parser, detector, sink("store2")],
      (rate) => ({ target: ">= 100000", met: rate >= 100_000 }),
    );
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return results;
}
