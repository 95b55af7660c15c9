/**
 * Review A9: without --model the anomaly detector learns "normal" from the
 * first live events, so an attacker active at start-up becomes baseline.
 * The detector must say so at warn level, not bury it in info.
 */
import assert from "node:assert/strict";
import { type Line, recordingLogger } from "./_logger.ts";
import { anomalyDetectorFromFlags } from "../../../stages/detector/anomaly/cli.ts";
import { AnomalyDetector } from "../../../stages/detector/anomaly/detector.ts";

Deno.test("A9: training on live traffic (no --model) is a start-up warning", async () => {
  const lines: Line[] = [];
  const d = await anomalyDetectorFromFlags(
    { anomaly: "auto" },
    recordingLogger(lines),
  );
  assert.ok(d);
  const warn = lines.find((l) => l.level === "warn");
  assert.ok(warn, JSON.stringify(lines));
  assert.match(warn.msg, /baseline|live|--model/);
});

Deno.test("a model trained with an older feature spec (v2) still loads, scores as trained, and says to retrain", async () => {
  const { trainFromEvents } = await import(
    "../../../stages/detector/anomaly/train.ts"
  );
  const { saveModel } = await import(
    "../../../stages/detector/anomaly/model.ts"
  );
  const { DEFAULT_FEATURE_SPEC } = await import(
    "../../../stages/detector/anomaly/features.ts"
  );
  const { baseline } = await import("./_events.ts");
  const v2 = structuredClone(DEFAULT_FEATURE_SPEC);
  v2.version = "2";
  delete v2.tenant_scoped;
  for (const f of v2.features) {
    delete (f as { window_evidence?: boolean }).window_evidence;
  }
  const model = await trainFromEvents(
    baseline(1500, "2026-11-24T08:00:00.000Z", 5),
    { spec: v2, params: { seed: 1 } },
  );
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/v2.json`;
    await saveModel(path, model);
    const lines: Line[] = [];
    const d = await anomalyDetectorFromFlags(
      { anomaly: "on", model: path },
      recordingLogger(lines),
    );
    assert.ok(d instanceof AnomalyDetector);
    assert.equal(d.model?.feature_spec.version, "2");
    assert.equal(d.model?.feature_spec.tenant_scoped, undefined);
    const warn = lines.find((l) => l.level === "warn");
    assert.ok(warn, JSON.stringify(lines));
    assert.match(warn.msg, /feature spec v2; this build's is v3.*retrain/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
