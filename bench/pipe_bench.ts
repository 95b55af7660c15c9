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

const root = new URL("..", import.meta.url).pathname;
const deno = Deno.execPath();
const denoRun = (cli: string) => `${deno} run -A --quiet ${root}${cli}`;

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
  const gen =
    `${
      denoRun("cli/sentinel-generator.ts")
    } --rate 0 --count ${n} --seed 11 --start 2026-11-24T00:00:00Z` +
    ` --inject brute_force_ssh --inject port_scan --inject password_spray --inject dns_tunneling --log-level warn`;
  try {
    // Input for the single-stage runs, generated once.
    const g = await timedPipe([`${gen} --out file:${raw}`], dir);
    const mb = (await Deno.stat(raw)).size / 1e6;
    const row = (
      name: string,
      t: Timed,
      i: number,
      extra: Partial<BenchResult> = {},
    ) => {
      results.push({
        area: "pipe",
        name,
        value: Math.round(n / t.seconds),
        unit: "events/s",
        notes: `${(mb / t.seconds).toFixed(1)} MB/s raw-equivalent, peak RSS ${
          t.rssMb[i].toFixed(0)
        } MB`,
        ...extra,
      });
      results.push({
        area: "pipe",
        name: `${name}: peak RSS`,
        value: Math.round(t.rssMb[i]),
        unit: "MB",
        target: "<= 300",
        met: t.rssMb[i] <= 300,
      });
    };
    row("generator alone (to file)", g, 0);

    const cat = await timedPipe([`cat ${raw}`, "cat", "cat", "cat"], dir);
    results.push({
      area: "pipe",
      name: "baseline: cat | cat | cat | cat",
      value: Math.round(n / cat.seconds),
      unit: "events/s",
      notes: `${(mb / cat.seconds).toFixed(0)} MB/s`,
    });
    const pt = await timedPipe(
      [`${denoRun("bench/passthrough.ts")} < ${raw}`],
      dir,
    );
    row("baseline: Deno NDJSON passthrough stage", pt, 0);
    const ptRate = n / pt.seconds;

    const enriched = `${dir}/enriched.ndjson`;
    const p = await timedPipe([
      `${
        denoRun("cli/sentinel-parser.ts")
      } --log-level warn < ${raw} > ${enriched}`,
    ], dir);
    row("parser alone", p, 0, {
      target: `>= 60% of passthrough (${Math.round(0.6 * ptRate)})`,
      met: n / p.seconds >= 0.6 * ptRate,
    });
    const d = await timedPipe([
      `${
        denoRun("cli/sentinel-detector.ts")
      } --rules ${root}sigma --log-level warn < ${enriched}`,
    ], dir);
    row("detector alone (pack + anomaly)", d, 0, {
      target: `>= 60% of passthrough (${Math.round(0.6 * ptRate)})`,
      met: n / d.seconds >= 0.6 * ptRate,
    });
    const s = await timedPipe([
      `${
        denoRun("cli/sentinel-sink.ts")
      } --out chdb:${dir}/store1 --log-level warn < ${enriched}`,
    ], dir);
    row("sink alone (enriched events into chDB)", s, 0);

    const full = await timedPipe([
      gen,
      `${denoRun("cli/sentinel-parser.ts")} --log-level warn`,
      `${
        denoRun("cli/sentinel-detector.ts")
      } --rules ${root}sigma --log-level warn`,
      `${
        denoRun("cli/sentinel-sink.ts")
      } --out chdb:${dir}/store2 --log-level warn`,
    ], dir);
    results.push({
      area: "pipe",
      name: `full pipe generator | parser | detector | sink (${
        n.toLocaleString("en-US")
      } events)`,
      value: Math.round(n / full.seconds),
      unit: "events/s",
      target: ">= 100000",
      met: n / full.seconds >= 100_000,
      notes: `peak RSS MB: ${full.rssMb.map((r) => r.toFixed(0)).join(" / ")}`,
    });
    const maxRss = Math.max(...full.rssMb);
    results.push({
      area: "pipe",
      name: "full pipe: largest stage peak RSS",
      value: Math.round(maxRss),
      unit: "MB",
      target: "<= 300",
      met: maxRss <= 300,
    });
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return results;
}
