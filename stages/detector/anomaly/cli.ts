/**
 * Command-line face of the anomaly detector: the flags `sentinel-detector`
 * adds for it, building the detector from them, and the
 * `sentinel-detector train` subcommand.
 *
 * Defaults: `--anomaly auto` runs the model from `--model` when given and
 * usable (`on` exits 2 when it is not; `auto` warns); otherwise it trains on the first `--anomaly-warmup` (2000) events of the
 * stream, which it does not score, and scores everything after.
 *
 * Alerts are about entities, not single events: an event scoring at or
 * above the threshold, or with a windowed value beyond the training range,
 * is a hit against its source address and user (or its host), and an entity
 * alerts once it has `--anomaly-min-hits` (2) hits within 10 min. The threshold is calibrated by replaying the training
 * history through that rule so it raises at most `--max-alerts-per-10k`
 * (1) alerts per 10,000 baseline events.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import {
  type CommandSpec,
  type FlagValues,
  intOption,
  numberOption,
  type OptionSpec,
  parseCommand,
  stringOption,
  UsageError,
} from "../../shared/cli.ts";
import type { EnrichedEvent } from "../../shared/contracts/mod.ts";
import { createLogger, type Logger } from "../../shared/log.ts";
import { openSource } from "../../shared/io/mod.ts";
import type { Detector } from "../detector.ts";
import { AnomalyDetector } from "./detector.ts";
import { DEFAULT_FEATURE_SPEC } from "./features.ts";
import { DEFAULT_FOREST_PARAMS } from "./iforest.ts";
import {
  type AnomalyModel,
  loadModel,
  ModelError,
  saveModel,
  saveModelSync,
} from "./model.ts";
import { DEFAULT_THRESHOLD_RULE, trainFromEvents } from "./train.ts";
import { DEFAULT_ALERT_POLICY } from "./alerting.ts";
import { parseDuration, storeEvents } from "./store.ts";

/** Default warm-up window (events) when no model file is given. */
export const DEFAULT_WARMUP = 2000;
/** Event time a warm-up must cover, in seconds: the longest feature window. */
export const DEFAULT_WARMUP_SPAN_S = 3600;

/** Flags `sentinel-detector` adds for the anomaly model. */
export const anomalyOptions: Record<string, OptionSpec> = {
  model: {
    type: "string",
    valueName: "FILE",
    description:
      "Anomaly model file written by 'sentinel-detector train'. Train it on traffic at the " +
      "event rate it will score: windowed counts (events, failures, bytes per source in 5 or " +
      "10 min) grow with the rate, so a model trained at 10 events/s over-alerts at 50 " +
      "(measured: 36 false alerts per 30,000 events, against about 1 per 10,000 at the " +
      "training rate). The same file as --model-out: used when it exists (a restart), " +
      "else the warm-up trains the model and saves it there.",
  },
  "model-out": {
    type: "string",
    valueName: "FILE",
    description:
      "Save the model this detector trains itself (the warm-up's, and each --anomaly-refit) " +
      "to FILE, replaced atomically, so a restart with --model FILE scores from its first " +
      "event with the same model instead of warming up again (blind for " +
      "--anomaly-warmup-span, and learning whatever runs then, an attack included, as normal).",
  },
  anomaly: {
    type: "string",
    valueName: "MODE",
    default: "auto",
    description:
      "Anomaly detection: on, off, or auto. Both use --model when given, " +
      "else train on the first --anomaly-warmup events (not scored) and score the rest. " +
      "When --model cannot be used (missing, unreadable, invalid), on exits 2; auto " +
      "warns and trains on the warm-up window instead.",
  },
  "anomaly-warmup": {
    type: "string",
    valueName: "N",
    default: String(DEFAULT_WARMUP),
    description:
      "Events to train on before scoring when no (usable) --model is given.",
  },
  "anomaly-warmup-span": {
    type: "string",
    valueName: "SECONDS",
    default: String(DEFAULT_WARMUP_SPAN_S),
    description:
      "Event time the warm-up must also cover before training (the longest feature window), so rolling-window features have filled.",
  },
  "anomaly-threshold": {
    type: "string",
    valueName: "S",
    description:
      "Alert when the anomaly score is at least S (0..1); overrides the model's threshold.",
  },
  "anomaly-refit": {
    type: "string",
    valueName: "N",
    default: "0",
    description:
      "Re-fit the model every N scored events on a 4096-event reservoir sample, " +
      "to follow drift (0 = never).",
  },
  "anomaly-suppress": {
    type: "string",
    valueName: "SECONDS",
    description:
      "Raise at most one anomaly alert per entity per this many seconds of event time " +
      "(default: the model's, 600).",
  },
  "anomaly-min-hits": {
    type: "string",
    valueName: "N",
    description:
      "An entity (source address, user, or host) alerts only after N of its events " +
      "were anomalous within 10 min: scored at or above the threshold, or carried a " +
      "windowed count, byte sum or DNS name shape clearly beyond the training range " +
      "(which the forest cannot score: such an alert says so, and its score may be below " +
      "the threshold). Single odd events (one failed login, one knock on an odd port) " +
      "never alert alone when N ≥ 2, except a login-country count beyond the training " +
      "range, which counts the logins in its hour (a second country within the hour is two). " +
      "Default: the model's, 2 (the threshold was calibrated for it).",
  },
};

/**
 * Builds the anomaly detector from parsed flags; null when `--anomaly off`.
 * Throws UsageError for bad values, or an unusable `--model` with
 * `--anomaly on` (exit 2); `auto` then warns and warms up on live events.
 */
export async function anomalyDetectorFromFlags(
  values: Record<string, unknown>,
  logger: Logger,
): Promise<Detector | null> {
  const v = values as FlagValues;
  const mode = stringOption(v, "anomaly") ?? "auto";
  if (!["on", "off", "auto"].includes(mode)) {
    throw new UsageError(`--anomaly: expected on, off or auto, got '${mode}'`);
  }
  if (mode === "off") return null;
  const warmup = intOption(v, "anomaly-warmup", { min: 2, max: 10_000_000 }) ??
    DEFAULT_WARMUP;
  const warmupSpanS = numberOption(v, "anomaly-warmup-span", { min: 0 }) ??
    DEFAULT_WARMUP_SPAN_S;
  const threshold = numberOption(v, "anomaly-threshold", { min: 0, max: 1 });
  const refitEvery = intOption(v, "anomaly-refit", { min: 0 }) ?? 0;
  const suppressS = numberOption(v, "anomaly-suppress", { min: 0 });
  const minHits = intOption(v, "anomaly-min-hits", { min: 1, max: 1000 });
  let path = stringOption(v, "model");
  const out = stringOption(v, "model-out");
  if (out !== undefined) checkModelPath(out, "--model-out");
  const log = logger.child({ detector: "anomaly" });
  let model;
  if (path && out !== undefined && samePath(path, out) && !exists(path)) {
    // The first start of a detector that keeps its model: nothing saved yet.
    log.info(
      `no saved anomaly model at ${path} yet: the warm-up trains one and saves it there`,
      { model: path },
    );
    path = undefined;
  }
  if (path) {
    try {
      model = await loadModel(path);
    } catch (e) {
      if (!(e instanceof ModelError)) throw e;
      // on: the operator asked for this model, so a bad one is an error;
      // auto: anomaly detection is best effort, so keep the stage running.
      if (mode === "on") throw new UsageError(`--model ${e.message}`);
      log.warn(
        `--model ${e.message}; --anomaly auto continues without it ` +
          "(--anomaly on would exit 2)",
        { model: path },
      );
      path = undefined;
    }
  }
  if (model) {
    log.info("anomaly model loaded", {
      model: path,
      model_version: model.model_version,
      threshold: threshold ?? model.threshold,
      features: model.feature_spec.features.length,
      trees: model.forest.trees,
    });
    const spec = model.feature_spec, current = DEFAULT_FEATURE_SPEC;
    if (spec.id === current.id && spec.version !== current.version) {
      // The model still works exactly as trained (it carries its spec);
      // what it lacks is what later versions fixed.
      log.warn(
        `anomaly model was trained with feature spec v${spec.version}; this build's ` +
          `is v${current.version} (v3: user and host state per tenant, so impossible ` +
          "travel is seen). It is used as trained; retrain with 'sentinel-detector train'",
        { model: path, model_spec: spec.version, build_spec: current.version },
      );
    }
  } else {
    // Loud on purpose (review A9): whatever happens in the warm-up window,
    // an attack included, becomes the baseline and is never scored.
    log.warn(
      "no usable --model: the anomaly model trains on the first live events, which " +
        "are not scored; an attack during warm-up becomes baseline. Train " +
        "offline ('sentinel-detector train') and pass --model, or --anomaly off",
      {
        warmup_events: warmup,
        warmup_span_s: warmupSpanS,
      },
    );
  }
  if (model && out !== undefined && refitEvery === 0 && !samePath(path!, out)) {
    log.info(
      "--model-out: nothing will be saved (the model comes from --model and " +
        "--anomaly-refit is 0)",
      { model_out: out },
    );
  }
  return new AnomalyDetector({
    model,
    modelSource: path,
    onModel: out === undefined ? undefined : (m, cause) => {
      saveTrainedModel(out, m, cause, log);
    },
    warmup,
    warmupSpanMs: warmupSpanS * 1000,
    threshold,
    refitEvery,
    suppressMs: suppressS === undefined ? undefined : suppressS * 1000,
    minHits,
    logger: log,
  });
}

/**
 * `--model-out` (and `train --model`) must name a file in an existing
 * directory: exit 2 at start, not at the first save (after a warm-up or a
 * whole training run).
 */
function checkModelPath(out: string, flag: "--model-out" | "--model"): void {
  const dir = dirname(resolve(out));
  let isDir = false;
  try {
    isDir = Deno.statSync(dir).isDirectory;
  } catch { /* missing */ }
  if (!isDir) {
    throw new UsageError(`${flag} ${out}: directory ${dir} does not exist`);
  }
  try {
    if (Deno.statSync(out).isDirectory) {
      throw new UsageError(`${flag} ${out}: is a directory, not a file`);
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
  }
}

function samePath(a: string, b: string): boolean {
  return resolve(a) === resolve(b);
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * `--model-out`: saves a model the detector trained itself (atomically, see
 * {@link saveModelSync}). A failure is logged: detection goes on.
 */
function saveTrainedModel(
  out: string,
  m: AnomalyModel,
  cause: "warm-up" | "re-fit",
  log: Logger,
): void {
  try {
    saveModelSync(out, m);
    log.info("anomaly model saved", {
      model_out: out,
      model_version: m.model_version,
      cause,
    });
  } catch (e) {
    log.warn(
      `--model-out ${out}: could not save the anomaly model (${
        (e as Error)?.message ?? e
      }); detection goes on, but a restart will warm up again`,
      { model_out: out, cause },
    );
  }
}

const TRAIN_SPEC: CommandSpec = {
  name: "sentinel-detector train",
  summary:
    "train the anomaly model (Isolation Forest) on a history of enriched events",
  usage: [
    "sentinel-detector train --in FILE --model FILE [options]",
    "sentinel-detector train --from-store chdb:DIR [--since 24h] --model FILE [options]",
  ],
  options: {
    in: {
      type: "string",
      valueName: "URI",
      default: "-",
      description: "NDJSON history: a path, file:PATH, or - for stdin. " +
        "Only enriched_event records are used; other lines are counted and skipped.",
    },
    "from-store": {
      type: "string",
      valueName: "chdb:DIR",
      description:
        "Train on the enriched events the sink stored in an embedded chDB data directory " +
        "(table sentinel.events), oldest first, instead of --in.",
    },
    since: {
      type: "string",
      valueName: "DURATION",
      description:
        "With --from-store: only events of the last DURATION (e.g. 90m, 24h, 7d) before the newest stored event.",
    },
    tenant: {
      type: "string",
      valueName: "NAME",
      description: "With --from-store: only this tenant's events.",
    },
    model: {
      type: "string",
      valueName: "FILE",
      description: "Model file to write (JSON).",
    },
    seed: {
      type: "string",
      valueName: "N",
      default: String(DEFAULT_FOREST_PARAMS.seed),
      description:
        "Random seed: the same history and seed give the same model.",
    },
    trees: {
      type: "string",
      valueName: "N",
      default: String(DEFAULT_FOREST_PARAMS.trees),
      description: "Number of isolation trees.",
    },
    subsample: {
      type: "string",
      valueName: "N",
      default: String(DEFAULT_FOREST_PARAMS.subsample),
      description: "Subsample size per tree (ψ).",
    },
    "max-alerts-per-10k": {
      type: "string",
      valueName: "R",
      default: String(DEFAULT_THRESHOLD_RULE.alerts_per_10k),
      description:
        "False-alert budget: the threshold is the lowest training score at which replaying " +
        "the history (assumed attack-free) through the entity rule raises at most R alerts " +
        `per 10,000 events; never below ${DEFAULT_THRESHOLD_RULE.floor}.`,
    },
    "min-hits": {
      type: "string",
      valueName: "N",
      default: String(DEFAULT_ALERT_POLICY.min_hits),
      description:
        "Anomalous events of one entity (scoring ≥ threshold, or beyond the training range) " +
        "within --hit-window before it alerts; stored in the model.",
    },
    "hit-window": {
      type: "string",
      valueName: "SECONDS",
      default: String(DEFAULT_ALERT_POLICY.window_s),
      description:
        "Window of those hits; also the per-entity alert suppression.",
    },
    threshold: {
      type: "string",
      valueName: "S",
      description:
        "Fixed score threshold (0..1) instead of calibrating with --max-alerts-per-10k.",
    },
    "max-rows": {
      type: "string",
      valueName: "N",
      default: "200000",
      description:
        "Most events kept (uniform sample) for training and statistics.",
    },
    "max-line-bytes": {
      type: "string",
      valueName: "N",
      default: String(1 << 20),
      description: "Longest accepted input line.",
    },
  },
  examples: [
    "sentinel-detector train --in history.ndjson --model model.json",
    "sentinel-detector train --from-store chdb:./sentinel-data --since 24h --model model.json",
    "sentinel-generator --dry-run --rate 500 --duration 60 | sentinel-parser | sentinel-detector train --model model.json",
    "sentinel-detector --rules ./sigma --model model.json < events.ndjson",
  ],
  notes: [
    "Train on a history at the event rate the detector will see: windowed counts " +
    "(events, failures, bytes per source in 5 or 10 min) grow with the rate, so a model " +
    "trained at 10 events/s and run at 50 raised 36 false alerts per 30,000 events " +
    "instead of about 1 per 10,000. Retrain when the rate changes several-fold.",
    `Features: '${DEFAULT_FEATURE_SPEC.id}' v${DEFAULT_FEATURE_SPEC.version} (${DEFAULT_FEATURE_SPEC.features.length} features; ` +
    "the spec is stored in the model file). Rolling-window features are computed in input order, as the detector would.",
  ],
};

/** `sentinel-detector train --in FILE --model FILE`; returns the exit code. */
export async function trainMain(args: string[]): Promise<number> {
  const { values, logLevel } = parseCommand(TRAIN_SPEC, args);
  const logger = createLogger("detector", logLevel).child({ command: "train" });
  const out = stringOption(values, "model");
  if (!out) {
    throw new UsageError("--model FILE is required: where to write the model");
  }
  // Before reading any input: training can take minutes, then fail to save.
  checkModelPath(out, "--model");
  const seed = intOption(values, "seed", { min: 0, max: 0xffffffff })!;
  const trees = intOption(values, "trees", { min: 1, max: 10_000 })!;
  const subsample = intOption(values, "subsample", { min: 2, max: 1 << 20 })!;
  const alertsPer10k = numberOption(values, "max-alerts-per-10k", {
    min: 0,
    max: 10_000,
  })!;
  const minHits = intOption(values, "min-hits", { min: 1, max: 1000 })!;
  const hitWindow = numberOption(values, "hit-window", {
    min: 1,
    max: 86_400,
  })!;
  const fixed = numberOption(values, "threshold", { min: 0, max: 1 });
  const maxRows = intOption(values, "max-rows", { min: 2 })!;
  const maxLineBytes = intOption(values, "max-line-bytes", { min: 64 })!;
  const fromStore = stringOption(values, "from-store");
  const sinceText = stringOption(values, "since");
  const tenant = stringOption(values, "tenant");
  if (!fromStore && (sinceText || tenant)) {
    throw new UsageError("--since and --tenant only apply with --from-store");
  }
  const sinceMs = sinceText ? parseDuration(sinceText) : undefined;
  const skipped = { not_json: 0, other_records: 0, oversize: 0 };
  let uri = stringOption(values, "in") ?? "-";
  let events: AsyncIterable<EnrichedEvent>;
  let close = async () => {};
  if (fromStore) {
    uri = fromStore;
    events = storeEvents(fromStore, { sinceMs, tenant });
  } else {
    if (uri !== "-" && !/^[a-z]+:/.test(uri)) uri = `file:${uri}`;
    if (uri.startsWith("file:")) {
      try {
        await Deno.stat(uri.slice(5));
      } catch (e) {
        throw new UsageError(`--in ${uri.slice(5)}: ${(e as Error).message}`);
      }
    }
    const source = await openSource(uri, {
      stage: "detector",
      logger,
      maxLineBytes,
    });
    close = () => source.close();
    events = (async function* (): AsyncIterable<EnrichedEvent> {
      for await (const batch of source.batches()) {
        skipped.oversize += batch.oversize?.length ?? 0;
        for (const line of batch.lines) {
          let rec: unknown;
          try {
            rec = JSON.parse(line);
          } catch {
            skipped.not_json++;
            continue;
          }
          if (
            typeof rec === "object" && rec !== null &&
            (rec as { record?: unknown }).record === "enriched_event" &&
            typeof (rec as { ts?: unknown }).ts === "string"
          ) yield rec as EnrichedEvent;
          else skipped.other_records++;
        }
        await batch.commit();
      }
    })();
  }
  const t0 = performance.now();
  let model;
  try {
    model = await trainFromEvents(events, {
      params: { seed, trees, subsample },
      threshold: { alerts_per_10k: alertsPer10k },
      policy: {
        min_hits: minHits,
        window_s: hitWindow,
        suppress_s: hitWindow,
      },
      fixedThreshold: fixed,
      maxRows,
    });
  } catch (e) {
    if (e instanceof RangeError) {
      logger.error("nothing to train on", {
        in: uri,
        reason: e.message,
        skipped,
      });
      return 2;
    }
    throw e;
  } finally {
    await close();
  }
  await saveModel(out, model);
  logger.info("anomaly model written", {
    model: out,
    model_version: model.model_version,
    events: model.training.events,
    rows: model.training.rows,
    threshold: model.threshold,
    threshold_rule: model.threshold_rule,
    alert_policy: model.alert_policy,
    score_p99: model.training.score_quantiles.p99,
    skipped,
    ms: Math.round(performance.now() - t0),
  });
  return 0;
}
