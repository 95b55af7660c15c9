/**
 * The V8 flags every stage runs with. They are baked into the binaries
 * (`deno compile --v8-flags`), spelled in the `deno task <stage>` entries,
 * and used wherever the project starts a stage itself (the demo, the pipe
 * and Kafka tests, the benchmarks), so what is measured is what ships.
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
 */
export const STAGE_V8_FLAGS =
  "--min-semi-space-size=32,--max-semi-space-size=32";

/** {@link STAGE_V8_FLAGS} as one `deno run` / `deno compile` argument. */
export const STAGE_V8_FLAGS_ARG = `--v8-flags=${STAGE_V8_FLAGS}`;
