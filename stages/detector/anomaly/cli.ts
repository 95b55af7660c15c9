/**
 * Command-line face of the anomaly detector: the flags the detector binary
 * adds, building the detector from them, and the `train` subcommand.
 * (Early stub with the final signatures; the model lands next.)
 */
import type { FlagValues, OptionSpec } from "../../shared/cli.ts";
import type { Logger } from "../../shared/log.ts";
import type { Detector } from "../detector.ts";

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
      "Anomaly detection: on, off, or auto (use --model when given, else train on the first --anomaly-warmup events, then score).",
  },
  "anomaly-warmup": {
    type: "string",
    valueName: "N",
    default: "2000",
    description: "Events to train on before scoring when no --model is given.",
  },
  "anomaly-threshold": {
    type: "string",
    valueName: "S",
    description:
      "Alert when the anomaly score is at least S (0..1); overrides the model's threshold.",
  },
};

/** Builds the anomaly detector from parsed flags; null when turned off. */
export function anomalyDetectorFromFlags(
  _values: Record<string, unknown> | FlagValues,
  _logger: Logger,
): Promise<Detector | null> {
  return Promise.resolve(null);
}

/** `sentinel-detector train --in FILE --model FILE`; returns the exit code. */
export function trainMain(_args: string[]): Promise<number> {
  console.error("sentinel-detector train: not implemented yet");
  return Promise.resolve(2);
}
