/**
 * The V8 flags every stage runs with. They are baked into the binaries
 * (`deno compile --v8-flags`), spelled in the `deno task <stage>` entries,
 * and used wherever the project starts a stage as a process (the demo, the
 * pipe and Kafka tests, the pipe, Kafka and ingest benchmarks), so what is
 * measured is what ships. The in-process benchmarks (parser core, Sigma,
 * anomaly, sink store) run inside `deno task bench` without them; the
 * parser core's ratio is the same either way (0.378 with, 0.38 without).
 *
 * A stage handles its input in batches of ~1 MiB, a few thousand records,
 * and everything made from a batch stays alive until its output is written.
 * V8 starts the young generation with 1 MiB semi-spaces and grows them
 * slowly, so early and often a scavenge finds most of a batch still alive
 * and copies it, then promotes it to the old generation, where only a
 * full mark-compact reclaims it. With the semi-spaces fixed at 32 MiB, most
 * of a batch is dead by the time a scavenge runs.
 *
 * Measured on this project's 2-core machine (fastest of alternated runs):
 * - 500k events read from a file (1 MiB reads): parser 4.16 → 3.54 s, raw
 *   passthrough 2.01 → 1.77 s, detector 6.38 → 5.71 s, sink 4.51 → 4.34 s;
 *   peak RSS about the same (parser 216 → 216 MB, detector 269 → 262 MB):
 *   less is promoted, so the old generation stays smaller;
 * - through Kafka (`deno task bench --only kafka`, two runs each): parser
 *   47.1-47.3k → 50.6-50.8k events/s, detector 65.9-67.7k → 72.9-80.0k,
 *   sink unchanged (56-59k);
 * - in a shell pipe, where reads return at most 64 KiB and batches are
 *   small anyway, and in the ingest, whose garbage dies within a request:
 *   no measurable change.
 * 64 MiB gained nothing more and took the detector past 300 MB.
 *
 * The detector also keeps state for minutes of event time (feature
 * windows, correlation groups): those objects outlive the young generation,
 * are promoted, and die in the old one. V8 lets the old generation grow to
 * about four times what survived the last full collection before the next
 * one: over 2M events, ~65 MB live after each mark-compact, ~280 MB before
 * it, and a peak RSS of 382-448 MB. `--heap-growing-percent=75` (1.75x)
 * keeps the peak at 289-292 MB with no measurable cost (three alternated
 * runs each: 23.3-28.6 s against 21.9-29.4 s); 50 cost ~25% more CPU.
 * The sink holds little state, but its batches (16 MiB of lines plus their
 * records) are promoted and die in the old generation too, which V8 let
 * grow to 366-474 MB peak RSS writing 300k enriched events to a file (the
 * same JS path as a ClickHouse server). `--heap-growing-percent=50` keeps it
 * at 262-268 MB (75: 263-328) for ~3% more CPU and the same wall time; into
 * chDB 858-895 → 800 MB (the rest is the engine). Two alternated rounds.
 * The parser and generator keep V8's own heap growing (262 and 163 MB).
 *
 * Rule regexes are untrusted input. `--enable-experimental-regexp-engine`
 * lets the detector run patterns with nested quantifiers on V8's
 * linear-time engine instead of rejecting the rule (see
 * stages/detector/sigma/regex_guard.ts), and
 * `--enable-experimental-regexp-engine-on-excessive-backtracks` moves any
 * other regex to that engine once one match has backtracked too often, a
 * bound on polynomial patterns the compile-time guard lets through. Neither
 * changes what matches; the SigmaHQ corpus bench measured the same rate with
 * and without them (177-183k events per CPU-second, two alternated runs).
 */
const COMMON = "--min-semi-space-size=32,--max-semi-space-size=32";

/** Flags a stage adds to {@link COMMON}, by binary name. */
const BY_STAGE: Readonly<Record<string, string>> = {
  "sentinel-sink": "--heap-growing-percent=50",
  "sentinel-detector": "--heap-growing-percent=75," +
    "--enable-experimental-regexp-engine," +
    "--enable-experimental-regexp-engine-on-excessive-backtracks",
};

/** The V8 flags of stage `bin` (e.g. "sentinel-parser"), comma-separated. */
export function stageV8Flags(bin: string): string {
  const extra = BY_STAGE[bin];
  return extra ? `${COMMON},${extra}` : COMMON;
}

/** {@link stageV8Flags} as one `deno run` / `deno compile` argument. */
export function stageV8FlagsArg(bin: string): string {
  return `--v8-flags=${stageV8Flags(bin)}`;
}
