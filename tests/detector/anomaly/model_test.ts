import assert from "node:assert/strict";
import {
  DEFAULT_FEATURE_SPEC,
  FeatureExtractor,
} from "../../../stages/detector/anomaly/features.ts";
import {
  assertSpecMatches,
  loadModel,
  ModelError,
  parseModel,
  saveModel,
  serializeModel,
} from "../../../stages/detector/anomaly/model.ts";
import { trainFromEvents } from "../../../stages/detector/anomaly/train.ts";
import { baseline } from "./_events.ts";

const T0 = "2026-11-24T09:00:00.000Z";
const history = baseline(1500, T0, 3);
const model = await trainFromEvents(history, { params: { seed: 5 } });
const text = serializeModel(model);

/** Scores of `events` under a model, each event extracted in order from that model's spec and state. */
function scores(
  m: typeof model,
  events = baseline(300, "2026-11-24T10:00:00.000Z", 4),
): number[] {
  const fx = new FeatureExtractor(m.feature_spec);
  if (m.state) fx.importState(m.state);
  const v = new Float64Array(fx.dim);
  return events.map((e) => {
    fx.extract(e, v);
    return m.forest.score(v);
  });
}

/** The model file as an object, to corrupt in a test. */
// deno-lint-ignore no-explicit-any
type ModelDoc = Record<string, any>;

function doc(): ModelDoc {
  return JSON.parse(text);
}

function rejects(mutate: (d: ModelDoc) => unknown, message: RegExp) {
  const d = doc();
  mutate(d);
  rejectsText(JSON.stringify(d), message);
}

function rejectsText(t: string, message: RegExp) {
  assert.throws(() => parseModel(t, "bad.json"), (e: Error) => {
    assert.ok(e instanceof ModelError, `expected ModelError, got ${e}`);
    assert.match(e.message, /^bad\.json: /);
    assert.match(e.message, message);
    return true;
  });
}

Deno.test("train, save, load: identical scores, version, threshold and spec", async () => {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await saveModel(path, model);
    const loaded = await loadModel(path);
    assert.equal(loaded.model_version, model.model_version);
    assert.equal(loaded.threshold, model.threshold);
    assert.deepEqual(loaded.feature_spec, model.feature_spec);
    assert.deepEqual(loaded.training, model.training);
    assert.deepEqual(scores(loaded), scores(model));
    assert.deepEqual(loaded.forest.sizes, model.forest.sizes);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("the model file records format, spec version, training stats and threshold", () => {
  const d = doc();
  assert.equal(d.format, "sentinel-anomaly-model");
  assert.equal(d.format_version, 1);
  assert.equal(d.feature_spec.version, DEFAULT_FEATURE_SPEC.version);
  assert.equal(d.params.trees, 100);
  assert.equal(d.params.subsample, 256);
  assert.equal(d.params.height_limit, 8);
  assert.equal(d.training.events, 1500);
  assert.equal(
    d.training.features.length,
    DEFAULT_FEATURE_SPEC.features.length,
  );
  assert.deepEqual(
    d.training.inactive_features,
    ["hour_sin", "hour_cos"],
    "12.5 min of history teaches no hour of day",
  );
  assert.ok(d.threshold >= 0.55 && d.threshold <= 1);
  assert.ok(d.training.score_quantiles.p99 <= d.training.score_quantiles.max);
});

Deno.test("same history and seed give the same model version; another seed another", async () => {
  const again = await trainFromEvents(history, { params: { seed: 5 } });
  const other = await trainFromEvents(history, { params: { seed: 6 } });
  assert.equal(again.model_version, model.model_version);
  assert.notEqual(other.model_version, model.model_version);
});

Deno.test("a truncated file says it does not parse", () => {
  rejectsText(
    text.slice(0, text.length / 2),
    /JSON does not parse.*truncated/,
  );
});

Deno.test("a file of another kind is not taken for a model", () => {
  rejectsText(
    '{"record":"enriched_event"}',
    /'format' is undefined, expected "sentinel-anomaly-model"/,
  );
  rejectsText("[1,2,3]", /expected a JSON object/);
});

Deno.test("a newer format version is refused with the remedy", () => {
  rejects(
    (d) => (d.format_version = 2),
    /format version 2 is not supported.*retrain/,
  );
});

Deno.test("a feature spec this build cannot extract is refused", () => {
  rejects(
    (d) => (d.feature_spec.format = 7),
    /feature spec: format 7 is not supported.*retrain/,
  );
  rejects(
    (d) => (d.feature_spec.features[3].kind = "quantum"),
    /features\[3\] \(action_rarity\): unknown kind 'quantum'/,
  );
});

const DIM = DEFAULT_FEATURE_SPEC.features.length;

Deno.test("trees that do not match their feature spec are refused", () => {
  rejects(
    (d) => void d.feature_spec.features.pop(),
    new RegExp(
      `forest has ${DIM} features but its feature spec .* lists ${DIM - 1}`,
    ),
  );
  rejects(
    (d) => (d.training.features[0].name = "nope"),
    /training.features\[0\] is 'nope'/,
  );
});

Deno.test("corrupt trees are refused before they can be scored", () => {
  rejects(
    (d) => (d.forest.feature[0] = 99),
    new RegExp(`split feature 99 is not in 0\\.\\.${DIM - 1}`),
  );
  rejects(
    (d) => (d.forest.right[0] = 1_000_000),
    /child index 1000000 is outside the tree/,
  );
  rejects((d) => void d.forest.value.pop(), /forest arrays disagree in length/);
  rejects(
    (d) => (d.forest.value[3] = "x"),
    /forest.value\[3\] must be a finite number/,
  );
  rejects(
    (d) => void (d.threshold = 1.5),
    /threshold must be a number in \[0, 1\]/,
  );
});

Deno.test("a missing file names the path", async () => {
  await assert.rejects(
    loadModel("/nonexistent/model.json"),
    /\/nonexistent\/model.json: cannot read the model file/,
  );
});

Deno.test("a deployment pinning another feature spec version gets a clear mismatch", () => {
  assert.throws(
    () =>
      assertSpecMatches(
        model,
        { ...DEFAULT_FEATURE_SPEC, version: "4" },
        "m.json",
      ),
    /m.json: trained with feature spec 'sentinel-security-events' v3, but this detector expects 'sentinel-security-events' v4; retrain/,
  );
  assertSpecMatches(model, DEFAULT_FEATURE_SPEC);
});
