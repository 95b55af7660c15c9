/**
 * `--anomaly on` and `auto` differ only when `--model` cannot be used:
 * `on` is a configuration error (exit 2), `auto` keeps the stage running
 * and warms up on live traffic, saying so at warn level.
 */
import assert from "node:assert/strict";
import { type Line, recordingLogger } from "./_logger.ts";
import { UsageError } from "../../../stages/shared/cli.ts";
import { anomalyDetectorFromFlags } from "../../../stages/detector/anomaly/cli.ts";
import { AnomalyDetector } from "../../../stages/detector/anomaly/detector.ts";

const MISSING = "/nonexistent-dir/model.json";

Deno.test("--anomaly on with an unusable --model is a usage error naming the file", async () => {
  await assert.rejects(
    anomalyDetectorFromFlags(
      { anomaly: "on", model: MISSING },
      recordingLogger([]),
    ),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message.startsWith(`--model ${MISSING}: cannot read the model file`),
  );
});

Deno.test("--anomaly auto with an unusable --model warns and warms up on live events", async () => {
  const lines: Line[] = [];
  const d = await anomalyDetectorFromFlags(
    { anomaly: "auto", model: MISSING, "anomaly-warmup": "50" },
    recordingLogger(lines),
  );
  assert.ok(d instanceof AnomalyDetector);
  assert.equal(d.model, undefined, "no model until the warm-up trains one");
  const warns = lines.filter((l) => l.level === "warn").map((l) => l.msg);
  assert.match(
    warns[0],
    /^--model \/nonexistent-dir\/model\.json: .*--anomaly auto continues without it/,
  );
  assert.match(warns[1], /trains on the first live events/);
});

Deno.test("sentinel-detector: exit 2 for --anomaly on, 0 for auto, with a missing --model", async () => {
  const cli = new URL("../../../cli/sentinel-detector.ts", import.meta.url);
  const run = async (mode: string) => {
    const p = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", cli.pathname, "--anomaly", mode, "--model", MISSING],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    });
    const { code, stderr } = await p.output();
    return { code, stderr: new TextDecoder().decode(stderr) };
  };
  const on = await run("on");
  assert.equal(on.code, 2, on.stderr);
  assert.match(on.stderr, /--model \/nonexistent-dir\/model\.json/);
  const auto = await run("auto");
  assert.equal(auto.code, 0, auto.stderr);
  assert.match(
    auto.stderr,
    /"level":"warn".*--anomaly auto continues without it/,
  );
});
