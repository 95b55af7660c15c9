/**
 * The anomaly model file: one JSON document holding the format version, the
 * feature spec the model was trained with, training statistics, the alert
 * threshold and the trees (flat arrays). Loading checks everything a
 * corrupt or foreign file could get wrong and says exactly what.
 *
 * @module
 */
import {
  type ExtractorState,
  FEATURE_SPEC_FORMAT,
  type FeatureSpec,
  FeatureSpecError,
  validateSpec,
} from "./features.ts";
import { IsolationForest } from "./iforest.ts";
import type { CalibratedRule, ThresholdRule } from "./train.ts";
import { type AlertPolicy, DEFAULT_ALERT_POLICY } from "./alerting.ts";

/** Value of the file's `format` field. */
export const MODEL_FORMAT = "sentinel-anomaly-model";
/** Version of the file layout this code writes and reads. */
export const MODEL_FORMAT_VERSION = 1;

/** Training statistics of one feature. */
export interface FeatureStats {
  name: string;
  mean: number;
  std: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
}

/** A trained model, in memory. */
export interface AnomalyModel {
  /** Content-derived version, e.g. "iforest-3f2a9c0b1d4e"; copied into alerts. */
  model_version: string;
  created_at: string;
  feature_spec: FeatureSpec;
  params: {
    trees: number;
    subsample: number;
    height_limit: number;
    seed: number;
  };
  training: {
    /** Events seen. */
    events: number;
    /** Vectors the forest was trained on (a uniform sample of the events). */
    rows: number;
    from?: string;
    to?: string;
    features: FeatureStats[];
    /** Features the forest never splits on (hour of day from less than a day of history). */
    inactive_features?: string[];
    score_quantiles: {
      p50: number;
      p90: number;
      p99: number;
      p999: number;
      max: number;
    };
  };
  /** An event is a hit when its score ≥ threshold. */
  threshold: number;
  /** How the threshold was chosen (calibration figures included). */
  threshold_rule:
    | CalibratedRule
    | (ThresholdRule & { quantile: number })
    | { fixed: number };
  /** How hits become alerts; the threshold was calibrated for this policy. */
  alert_policy: AlertPolicy;
  /** Entity memory at the end of training (first-seen sets, rarity tables). */
  state?: ExtractorState;
  forest: IsolationForest;
}

/** A model file that cannot be used. */
export class ModelError extends Error {
  override name = "ModelError";
}

/** Serializes a model to the file format (JSON text). */
export function serializeModel(m: AnomalyModel): string {
  const f = m.forest;
  return JSON.stringify({
    format: MODEL_FORMAT,
    format_version: MODEL_FORMAT_VERSION,
    model_version: m.model_version,
    created_at: m.created_at,
    feature_spec: m.feature_spec,
    params: m.params,
    training: m.training,
    threshold: m.threshold,
    threshold_rule: m.threshold_rule,
    alert_policy: m.alert_policy,
    ...(m.state ? { state: m.state } : {}),
    forest: {
      n_features: f.nFeatures,
      subsample: f.subsample,
      height_limit: f.heightLimit,
      // Numbers round-trip exactly through JSON, so loaded scores are identical.
      roots: Array.from(f.roots),
      feature: Array.from(f.feature),
      value: Array.from(f.value),
      right: Array.from(f.right),
    },
  });
}

/**
 * Parses and validates a model file's text. `source` names the file in
 * error messages. Throws {@link ModelError}.
 */
export function parseModel(text: string, source = "model"): AnomalyModel {
  const fail = (msg: string): never => {
    throw new ModelError(`${source}: ${msg}`);
  };
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return fail(
      `not a valid model file: the JSON does not parse (${
        (e as Error).message
      }); ` +
        "was it truncated? Retrain with 'sentinel-detector train'",
    );
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    fail("not a model file: expected a JSON object");
  }
  if (doc.format !== MODEL_FORMAT) {
    fail(
      `not a model file: 'format' is ${
        JSON.stringify(doc.format)
      }, expected "${MODEL_FORMAT}"`,
    );
  }
  if (doc.format_version !== MODEL_FORMAT_VERSION) {
    fail(
      `model format version ${
        JSON.stringify(doc.format_version)
      } is not supported ` +
        `(this build reads version ${MODEL_FORMAT_VERSION}); retrain with this build's 'sentinel-detector train'`,
    );
  }
  const spec = doc.feature_spec as FeatureSpec;
  try {
    validateSpec(spec);
  } catch (e) {
    if (e instanceof FeatureSpecError) {
      const hint =
        (spec as { format?: unknown })?.format !== FEATURE_SPEC_FORMAT
          ? "; the model was trained by a different version: retrain it"
          : "";
      fail(`${e.message}${hint}`);
    }
    throw e;
  }
  if (typeof doc.model_version !== "string" || !doc.model_version) {
    fail("missing model_version");
  }
  const threshold = doc.threshold;
  if (typeof threshold !== "number" || !(threshold >= 0 && threshold <= 1)) {
    fail(
      `threshold must be a number in [0, 1], got ${JSON.stringify(threshold)}`,
    );
  }
  const forest = parseForest(doc.forest, spec, fail);
  const training = doc.training as AnomalyModel["training"];
  if (
    typeof training !== "object" || training === null ||
    !Array.isArray(training.features) ||
    training.features.length !== spec.features.length
  ) {
    fail(
      `training.features must hold statistics for all ${spec.features.length} features`,
    );
  }
  training.features.forEach((s, i) => {
    if (s?.name !== spec.features[i].name) {
      fail(
        `training.features[${i}] is '${s?.name}' but feature ${i} of the spec is '${
          spec.features[i].name
        }'`,
      );
    }
  });
  return {
    model_version: doc.model_version as string,
    created_at: String(doc.created_at ?? ""),
    feature_spec: spec,
    params: doc.params as AnomalyModel["params"],
    training,
    threshold: threshold as number,
    threshold_rule: doc.threshold_rule as AnomalyModel["threshold_rule"],
    alert_policy: parsePolicy(doc.alert_policy, fail),
    ...(doc.state !== undefined ? { state: parseState(doc.state, fail) } : {}),
    forest,
  };
}

function parsePolicy(
  raw: unknown,
  fail: (msg: string) => never,
): AlertPolicy {
  if (raw === undefined) return { ...DEFAULT_ALERT_POLICY };
  const p = raw as Partial<AlertPolicy>;
  if (
    typeof p !== "object" || p === null || !Number.isInteger(p.min_hits) ||
    p.min_hits! < 1 || !(typeof p.window_s === "number" && p.window_s > 0) ||
    !(typeof p.suppress_s === "number" && p.suppress_s >= 0)
  ) {
    fail(
      "alert_policy needs min_hits (integer ≥ 1), window_s (> 0) and suppress_s (≥ 0)",
    );
  }
  return p as AlertPolicy;
}

function parseState(
  raw: unknown,
  fail: (msg: string) => never,
): ExtractorState {
  const st = raw as ExtractorState;
  if (
    typeof st !== "object" || st === null || typeof st.seen !== "object" ||
    typeof st.rarity !== "object"
  ) fail("'state' must hold 'seen' and 'rarity' objects");
  return st;
}

function parseForest(
  raw: unknown,
  spec: FeatureSpec,
  fail: (msg: string) => never,
): IsolationForest {
  if (typeof raw !== "object" || raw === null) return fail("missing 'forest'");
  const f = raw as Record<string, unknown>;
  const dim = spec.features.length;
  if (f.n_features !== dim) {
    fail(
      `forest has ${
        JSON.stringify(f.n_features)
      } features but its feature spec ` +
        `'${spec.id}' v${spec.version} lists ${dim}: the file is inconsistent`,
    );
  }
  const sub = f.subsample, hl = f.height_limit;
  if (!Number.isInteger(sub) || (sub as number) < 1) {
    fail("forest.subsample must be a positive integer");
  }
  if (!Number.isInteger(hl) || (hl as number) < 1) {
    fail("forest.height_limit must be a positive integer");
  }
  const ints = (k: string): Int32Array => {
    const a = f[k];
    if (!Array.isArray(a) || a.length === 0) {
      fail(`forest.${k} must be a non-empty array`);
    }
    const out = new Int32Array((a as unknown[]).length);
    (a as unknown[]).forEach((x, i) => {
      if (!Number.isInteger(x)) {
        fail(`forest.${k}[${i}] must be an integer, got ${JSON.stringify(x)}`);
      }
      out[i] = x as number;
    });
    return out;
  };
  const roots = ints("roots"), feature = ints("feature"), right = ints("right");
  const va = f.value;
  if (!Array.isArray(va)) return fail("forest.value must be an array");
  const value = new Float64Array(va.length);
  va.forEach((x, i) => {
    if (typeof x !== "number" || !Number.isFinite(x)) {
      fail(
        `forest.value[${i}] must be a finite number, got ${JSON.stringify(x)}`,
      );
    }
    value[i] = x;
  });
  const n = feature.length;
  if (value.length !== n || right.length !== n) {
    fail(
      `forest arrays disagree in length (feature ${n}, value ${value.length}, right ${right.length})`,
    );
  }
  // Structural check: every tree is a pre-order binary tree whose walk
  // terminates inside the arrays, so scoring can never loop or read out of bounds.
  for (let t = 0; t < roots.length; t++) {
    const end = t + 1 < roots.length ? roots[t + 1] : n;
    if (
      roots[t] < 0 || roots[t] >= end || (t > 0 && roots[t] <= roots[t - 1])
    ) {
      fail(`forest.roots[${t}] = ${roots[t]} is out of order or out of range`);
    }
    for (let i = roots[t]; i < end; i++) {
      const q = feature[i];
      if (q === -1) {
        if (right[i] < 0 || right[i] > (sub as number)) {
          fail(
            `tree ${t} node ${i}: external node size ${
              right[i]
            } is not in 0..${sub}`,
          );
        }
        continue;
      }
      if (q < 0 || q >= dim) {
        fail(`tree ${t} node ${i}: split feature ${q} is not in 0..${dim - 1}`);
      }
      if (i + 1 >= end || right[i] <= i + 1 || right[i] >= end) {
        fail(
          `tree ${t} node ${i}: child index ${right[i]} is outside the tree`,
        );
      }
    }
  }
  return new IsolationForest({
    nFeatures: dim,
    subsample: sub as number,
    heightLimit: hl as number,
    roots,
    feature,
    value,
    right,
  });
}

/** Writes a model file (atomically, see {@link saveModelSync}). */
export function saveModel(path: string, m: AnomalyModel): Promise<void> {
  return Promise.resolve().then(() => saveModelSync(path, m));
}

/**
 * Writes the model beside `path` and renames it over `path`, so a reader (a
 * detector starting with `--model`) never sees half a file, even while
 * `train` or a running detector's `--model-out` replaces it.
 */
export function saveModelSync(path: string, m: AnomalyModel): void {
  // Unique per writer: detectors in containers sharing a volume all run as
  // PID 1, so the PID alone would let two of them write one temp file.
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    Deno.writeTextFileSync(tmp, serializeModel(m) + "\n");
    Deno.renameSync(tmp, path);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* never written */ }
    throw e;
  }
}

/** Reads and validates a model file; throws {@link ModelError}. */
export async function loadModel(path: string): Promise<AnomalyModel> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new ModelError(
      `${path}: cannot read the model file (${(e as Error).message})`,
    );
  }
  return parseModel(text, path);
}

/**
 * Checks that a loaded model fits the feature set this detector expects,
 * when the caller pins one (e.g. a deployment that requires spec v1).
 */
export function assertSpecMatches(
  m: AnomalyModel,
  expected: FeatureSpec,
  source = "model",
): void {
  const got = m.feature_spec;
  if (got.id !== expected.id || got.version !== expected.version) {
    throw new ModelError(
      `${source}: trained with feature spec '${got.id}' v${got.version}, but this detector ` +
        `expects '${expected.id}' v${expected.version}; retrain with 'sentinel-detector train'`,
    );
  }
  const a = got.features.map((f) => f.name).join(",");
  const b = expected.features.map((f) => f.name).join(",");
  if (a !== b) {
    throw new ModelError(
      `${source}: feature spec '${got.id}' v${got.version} lists different features than this build ` +
        `(${a} vs ${b}); retrain with 'sentinel-detector train'`,
    );
  }
}
