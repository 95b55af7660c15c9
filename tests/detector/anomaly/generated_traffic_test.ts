/**
 * The anomaly path on real generated traffic (generator → parser, in
 * process): quiet on baseline, entity-level detection of injected attacks,
 * and `train` from an NDJSON file to a model the detector flags load.
 */
import assert from "node:assert/strict";
import {
  attackInstances,
  generatedTraffic,
  scoreAlerts,
} from "../../../bench/anomaly_bench.ts";
import { AnomalyDetector } from "../../../stages/detector/anomaly/detector.ts";
import { trainFromEvents } from "../../../stages/detector/anomaly/train.ts";
import {
  anomalyDetectorFromFlags,
  trainMain,
} from "../../../stages/detector/anomaly/cli.ts";
import { UsageError } from "../../../stages/shared/cli.ts";
import { createLogger } from "../../../stages/shared/log.ts";
import type { Alert } from "../../../stages/shared/contracts/mod.ts";

const HIST = 12_000, EVAL = 8_000, RATE = 20;
const histS = HIST / RATE;
const all = generatedTraffic({
  seed: "anomaly-test",
  count: HIST + EVAL,
  virtualRate: RATE,
  injects: [
    `brute_force_ssh:at=${histS + 60}`,
    `dns_tunneling:at=${histS + 160}`,
    `data_exfiltration:at=${histS + 260}`,
  ],
});
const history = all.slice(0, HIST);
const live = all.slice(HIST);

Deno.test("baseline traffic stays quiet and injected attackers are named (entity level)", async () => {
  const model = await trainFromEvents(history, { params: { seed: 1 } });
  const d = new AnomalyDetector({ model });
  const alerts: Alert[] = [];
  for (const e of live) d.observe(e, (a) => alerts.push(a));
  const instances = attackInstances(live);
  assert.deepEqual(
    instances.map((i) => i.scenario).sort(),
    ["brute_force_ssh", "data_exfiltration", "dns_tunneling"],
  );
  const { detected, falseAlerts } = scoreAlerts(alerts, instances);
  // Stated budget: ≤ 1 alert per 10k baseline events on calibration; allow 2 here.
  assert.ok(
    falseAlerts.length <= 2,
    `false alerts: ${falseAlerts.map((a) => a.message).join("\n")}`,
  );
  for (const i of instances) {
    assert.ok(detected.has(i), `${i.scenario} not detected`);
  }
});

Deno.test("train: NDJSON file → model file → --model loads it; bad flags are usage errors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const hist = `${dir}/history.ndjson`;
    await Deno.writeTextFile(
      hist,
      history.slice(0, 4000).map((e) => JSON.stringify(e)).join("\n") +
        "\nnot json\n",
    );
    const modelPath = `${dir}/model.json`;
    const code = await trainMain([
      "--in",
      hist,
      "--model",
      modelPath,
      "--seed",
      "3",
      "--log-level",
      "silent",
    ]);
    assert.equal(code, 0);
    const logger = createLogger("detector", "silent");
    const det = await anomalyDetectorFromFlags({ model: modelPath }, logger);
    assert.ok(det instanceof AnomalyDetector);
    const m = (det as AnomalyDetector).model!;
    assert.equal(m.training.events, 4000);
    assert.equal(m.alert_policy.min_hits, 2);
    assert.ok(m.threshold >= 0.55 && m.threshold <= 1);
    await assert.rejects(
      trainMain(["--in", hist, "--log-level", "silent"]),
      UsageError,
    );
    await assert.rejects(
      trainMain(["--in", `${dir}/missing.ndjson`, "--model", modelPath]),
      /missing\.ndjson/,
    );
    await assert.rejects(
      trainMain(["--in", hist, "--model", modelPath, "--trees", "0"]),
      UsageError,
    );
    await assert.rejects(
      trainMain(["--in", hist, "--model", modelPath, "--since", "24h"]),
      /--since and --tenant only apply with --from-store/,
    );
    // Not a model: an error with --anomaly on; auto (the default) goes on
    // without it (anomaly_mode_test.ts checks the warning).
    await assert.rejects(
      anomalyDetectorFromFlags({ anomaly: "on", model: hist }, logger),
      UsageError,
    );
    const fallback = await anomalyDetectorFromFlags({ model: hist }, logger);
    assert.equal((fallback as AnomalyDetector).model, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
