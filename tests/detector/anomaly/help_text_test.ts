/**
 * What the anomaly flags' help promises, checked against what the detector
 * does elsewhere in these tests: the rate caveat of a model, and the two
 * kinds of anomalous events an alert can be made of.
 */
import assert from "node:assert/strict";
import { anomalyOptions } from "../../../stages/detector/anomaly/cli.ts";

Deno.test("--model help warns that a model over-alerts at a much higher event rate than it was trained at", () => {
  const d = anomalyOptions.model.description;
  assert.match(d, /event rate/);
  assert.match(d, /36 false alerts per 30,000 events/);
});

Deno.test("--anomaly-min-hits help names both kinds of hits and the window-count exception", () => {
  const d = anomalyOptions["anomaly-min-hits"].description;
  assert.match(
    d,
    /scored at or above the threshold, or carried a windowed count/,
  );
  assert.match(d, /score may be below the threshold/);
  assert.match(d, /a second country within the hour is two/);
});

Deno.test("--anomaly help: on exits 2 on an unusable --model, auto warns", () => {
  assert.match(
    anomalyOptions.anomaly.description,
    /on exits 2; auto warns and trains on the warm-up window instead/,
  );
});

Deno.test("sentinel-detector train --help tells to train at the rate the detector will see", async () => {
  const cli = new URL("../../../cli/sentinel-detector.ts", import.meta.url);
  const { stdout, code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli.pathname, "train", "--help"],
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.equal(code, 0);
  assert.match(
    new TextDecoder().decode(stdout),
    /Train on a history at the event rate the detector will see/,
  );
});
