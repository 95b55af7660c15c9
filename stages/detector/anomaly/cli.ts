/**
 * Command-line face of the anomaly detector: the flags `sentinel-detector`
 * adds for it, building the detector from them, and the
 * `sentinel-detector train` subcommand.
 *
 * Defaults: `--anomaly auto` runs the model from `--model` when given;
 * otherwise it trains on the first `--anomaly-warmup` (2000) events of the
 * stream, which it does not score, and scores everything after.
 *
 * @module
 */
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
import { loadModel, ModelError, saveModel } from "./model.ts";
import { DEFAULT_THRESHOLD_RULE, trainFromEvents } from "./train.ts";

/** Default warm-up window (events) when no model file is given. */
export const DEFAULT_WARMUP = 2000;

/** Flags `sentinel-detector` adds for the anomaly model. */
export const anomalyOptions: Record<string, OptionSpec> = {
  model: {
    type: "string",
    valueName: "FILE",
    description: "Anomaly model file written by 'sentinel-detector train'.",
  },
  anomaly: {
    type: "string",
    valueName: "MODE",
    default: "auto",
    description:
      "Anomaly detection: on, off, or auto. auto and on use --model when given, " +
      "else train on the first --anomaly-warmup events (not scored) and score the rest; " +
      "on additionally fails when --model cannot be used.",
  },
  "anomaly-warmup": {
    type: "string",
    valueName: "N",
    default: String(DEFAULT_WARMUP),
    description: "Events to train on before scoring when no --model is given.",
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
    default: "600",
    description:
      "Raise at most one anomaly alert per entity per this many seconds of event time.",
  },
};

/**
 * Builds the anomaly detector from parsed flags; null when `--anomaly off`.
 * Throws UsageError for bad values or an unusable `--model` (exit 2).
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
  const threshold = numberOption(v, "anomaly-threshold", { min: 0, max: 1 });
  const refitEvery = intOption(v, "anomaly-refit", { min: 0 }) ?? 0;
  const suppressS = numberOption(v, "anomaly-suppress", { min: 0 }) ?? 600;
  const path = stringOption(v, "model");
  const log = logger.child({ detector: "anomaly" });
  let model;
  if (path) {
    try {
      model = await loadModel(path);
    } catch (e) {
      if (e instanceof ModelError) throw new UsageError(`--model ${e.message}`);
      throw e;
    }
    log.info("anomaly model loaded", {
      model: path,
      model_version: model.model_version,
      threshold: threshold ?? model.threshold,
      features: model.feature_spec.features.length,
      trees: model.forest.trees,
    });
  } else {
    log.info(
      "no --model: the anomaly model trains on a warm-up window, then scores",
      {
        warmup_events: warmup,
      },
    );
  }
  return new AnomalyDetector({
    model,
    modelSource: path,
    warmup,
    threshold,
    refitEvery,
    suppressMs: suppressS * 1000,
    logger: log,
  });
}

const TRAIN_SPEC: CommandSpec = {
  name: "sentinel-detector train",
  summary:
    "train the anomaly model (Isolation Forest) on a history of enriched events",
  usage: ["sentinel-detector train --in FILE --model FILE [options]"],
  options: {
    in: {
      type: "string",
      valueName: "URI",
      default: "-",
      description: "NDJSON history: a path, file:PATH, or - for stdin. " +
        "Only enriched_event records are used; other lines are counted and skipped.",
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
    contamination: {
      type: "string",
      valueName: "P",
      default: String(DEFAULT_THRESHOLD_RULE.contamination),
      description:
        "Share of training events expected to be anomalous; the threshold is the " +
        `(1 − P) quantile of training scores, never below ${DEFAULT_THRESHOLD_RULE.floor}.`,
    },
    threshold: {
      type: "string",
      valueName: "S",
      description: "Fixed alert threshold (0..1) instead of --contamination.",
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
    "sentinel-generator --dry-run --rate 500 --duration 60 | sentinel-parser | sentinel-detector train --model model.json",
    "sentinel-detector --rules ./sigma --model model.json < events.ndjson",
  ],
  notes: [
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
  const seed = intOption(values, "seed", { min: 0, max: 0xffffffff })!;
  const trees = intOption(values, "trees", { min: 1, max: 10_000 })!;
  const subsample = intOption(values, "subsample", { min: 2, max: 1 << 20 })!;
  const contamination = numberOption(values, "contamination", {
    min: 0,
    max: 0.5,
  })!;
  const fixed = numberOption(values, "threshold", { min: 0, max: 1 });
  const maxRows = intOption(values, "max-rows", { min: 2 })!;
  const maxLineBytes = intOption(values, "max-line-bytes", { min: 64 })!;
  let uri = stringOption(values, "in") ?? "-";
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
  const skipped = { not_json: 0, other_records: 0, oversize: 0 };
  async function* events(): AsyncIterable<EnrichedEvent> {
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
  }
  const t0 = performance.now();
  let model;
  try {
    model = await trainFromEvents(events(), {
      params: { seed, trees, subsample },
      threshold: { contamination },
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
    await source.close();
  }
  await saveModel(out, model);
  logger.info("anomaly model written", {
    model: out,
    model_version: model.model_version,
    events: model.training.events,
    rows: model.training.rows,
    threshold: model.threshold,
    score_p99: model.training.score_quantiles.p99,
    skipped,
    ms: Math.round(performance.now() - t0),
  });
  return 0;
}
