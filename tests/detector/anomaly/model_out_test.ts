/**
 * `--model-out`: a detector that trains its own model (warm-up, re-fits)
 * saves it, so a restart with `--model` on the same file scores from its
 * first event with the same model instead of warming up again.
 */
import assert from "node:assert/strict";
import { type Line, recordingLogger } from "./_logger.ts";
import { at, event } from "./_events.ts";
import { UsageError } from "../../../stages/shared/cli.ts";
import { anomalyDetectorFromFlags } from "../../../stages/detector/anomaly/cli.ts";
import { AnomalyDetector } from "../../../stages/detector/anomaly/detector.ts";
import { loadModel } from "../../../stages/detector/anomaly/model.ts";

const CLI = new URL("../../../cli/sentinel-detector.ts", import.meta.url)
  .pathname;
const RULES = new URL("../../../sigma", import.meta.url).pathname;
const GENERATOR = new URL("../../../cli/sentinel-generator.ts", import.meta.url)
  .pathname;
const PARSER = new URL("../../../cli/sentinel-parser.ts", import.meta.url)
  .pathname;

async function run(
  cli: string,
  args: string[],
  stdin?: Uint8Array,
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli, ...args],
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Written while the output is read: both are larger than a pipe holds.
  const fed = stdin
    ? (async () => {
      const w = child.stdin.getWriter();
      await w.write(stdin);
      await w.close();
    })()
    : Promise.resolve();
  const [{ code, stdout, stderr }] = await Promise.all([child.output(), fed]);
  return { code, stdout, stderr: new TextDecoder().decode(stderr) };
}

/** The run's `summary` log line. */
function summary(stderr: string): Record<string, unknown> {
  const line = stderr.split("\n").find((l) => l.includes('"msg":"summary"'));
  assert.ok(line, stderr);
  return JSON.parse(line);
}

Deno.test("sentinel-detector --model F --model-out F: the first run warms up and saves the model, a restart loads it and scores every event", async () => {
  const dir = await Deno.makeTempDir({ prefix: "model_out_" });
  try {
    // 4000 generator events: 4 s of event time at its virtual 1000/s.
    const raw = await run(GENERATOR, [
      "--dry-run",
      "--rate",
      "0",
      "--count",
      "4000",
      "--seed",
      "3",
      "--start",
      "2026-11-24T00:00:00Z",
    ]);
    assert.equal(raw.code, 0, raw.stderr);
    const enriched = await run(PARSER, [], raw.stdout);
    assert.equal(enriched.code, 0, enriched.stderr);
    const model = `${dir}/model.json`;
    const detect = () =>
      run(CLI, [
        "--rules",
        RULES,
        "--model",
        model,
        "--model-out",
        model,
        "--anomaly-warmup",
        "500",
        "--anomaly-warmup-span",
        "2",
      ], enriched.stdout);

    const first = await detect();
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /no saved anomaly model at .* yet/);
    assert.doesNotMatch(first.stderr, /cannot read the model file/);
    assert.match(
      first.stderr,
      /"msg":"anomaly model saved".*"cause":"warm-up"/,
    );
    const saved = await loadModel(model);
    const one = summary(first.stderr).stage_stats as {
      anomaly: { model_version: string; warmup_events: number; scored: number };
    };
    assert.equal(saved.model_version, one.anomaly.model_version);
    assert.ok(one.anomaly.warmup_events > 0);
    assert.equal(one.anomaly.scored, 4000 - one.anomaly.warmup_events);

    const second = await detect();
    assert.equal(second.code, 0, second.stderr);
    assert.match(
      second.stderr,
      new RegExp(
        `"msg":"anomaly model loaded".*"model_version":"${saved.model_version}"`,
      ),
    );
    assert.doesNotMatch(second.stderr, /no usable --model/);
    const two = summary(second.stderr).stage_stats as {
      anomaly: { model_version: string; warmup_events: number; scored: number };
    };
    assert.equal(two.anomaly.model_version, saved.model_version);
    assert.equal(two.anomaly.warmup_events, 0);
    assert.equal(two.anomaly.scored, 4000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--model-out in a directory that does not exist is a usage error (exit 2 at start)", async () => {
  await assert.rejects(
    anomalyDetectorFromFlags(
      { anomaly: "auto", "model-out": "/nonexistent-dir/model.json" },
      recordingLogger([]),
    ),
    (e: unknown) =>
      e instanceof UsageError &&
      /--model-out \/nonexistent-dir\/model\.json: directory \/nonexistent-dir does not exist/
        .test(e.message),
  );
  const r = await run(CLI, [
    "--model-out",
    "/nonexistent-dir/model.json",
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--model-out .*does not exist/);
});

/** Failed SSH logins from a few sources, one every `stepS` seconds. */
function traffic(n: number, from = 0, stepS = 1) {
  return Array.from(
    { length: n },
    (_, i) =>
      event(at("2026-11-24T10:00:00Z", (from + i) * stepS), {
        category: "auth",
        action: "ssh_login",
        outcome: i % 3 === 0 ? "failure" : "success",
        source: { ip: `203.0.113.${i % 7}` },
        user: { name: `u${i % 5}` },
      }),
  );
}

Deno.test("--model-out: each re-fit replaces the saved model; a save that fails is logged and detection goes on", async () => {
  const dir = await Deno.makeTempDir({ prefix: "model_out_" });
  try {
    const out = `${dir}/m.json`;
    const lines: Line[] = [];
    const d = await anomalyDetectorFromFlags(
      {
        anomaly: "auto",
        "model-out": out,
        "anomaly-warmup": "50",
        "anomaly-warmup-span": "0",
        "anomaly-refit": "100",
      },
      recordingLogger(lines),
    ) as AnomalyDetector;
    for (const e of traffic(50)) d.observe(e, () => {});
    const warm = d.model!.model_version;
    assert.equal((await loadModel(out)).model_version, warm);
    for (const e of traffic(100, 50)) d.observe(e, () => {});
    const refit = d.model!.model_version;
    assert.notEqual(refit, warm, "the re-fit made a new model");
    assert.equal((await loadModel(out)).model_version, refit);
    // The directory goes away: the next re-fit cannot be saved.
    await Deno.remove(dir, { recursive: true });
    for (const e of traffic(100, 150)) d.observe(e, () => {});
    assert.notEqual(d.model!.model_version, refit, "still re-fitting");
    const warns = lines.filter((l) => l.level === "warn").map((l) => l.msg);
    assert.ok(
      warns.some((m) =>
        m.startsWith(`--model-out ${out}: could not save the anomaly model`) &&
        m.endsWith("a restart will warm up again")
      ),
      warns.join("\n"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
