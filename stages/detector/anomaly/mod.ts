/**
 * Anomaly detection: an Isolation Forest over declarative, versioned
 * event and entity features, with training, model files and the detector.
 *
 * @module
 */
export {
  ANOMALY_RULE_ID,
  AnomalyDetector,
  type AnomalyDetectorOptions,
  primaryEntity,
} from "./detector.ts";
export {
  DEFAULT_FEATURE_SPEC,
  FEATURE_SPEC_FORMAT,
  type FeatureDef,
  FeatureExtractor,
  type FeatureSpec,
  FeatureSpecError,
  longestLabelEntropy,
  validateSpec,
} from "./features.ts";
export {
  averagePathLength,
  DEFAULT_FOREST_PARAMS,
  fitIsolationForest,
  type ForestParams,
  IsolationForest,
} from "./iforest.ts";
export {
  type AnomalyModel,
  assertSpecMatches,
  type FeatureStats,
  loadModel,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  ModelError,
  parseModel,
  saveModel,
  saveModelSync,
  serializeModel,
} from "./model.ts";
export {
  DEFAULT_THRESHOLD_RULE,
  quantile,
  Reservoir,
  type ThresholdRule,
  trainFromEvents,
  trainModel,
} from "./train.ts";
export { seededRandom } from "./rng.ts";
export {
  anomalyDetectorFromFlags,
  anomalyOptions,
  DEFAULT_WARMUP,
  trainMain,
} from "./cli.ts";
