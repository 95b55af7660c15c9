/**
 * The detector stage: the {@link Detector} interface, the stage core and
 * the Sigma engine.
 *
 * @module
 */
export type { AlertSink, Detector } from "./detector.ts";
export { DetectorTransform } from "./transform.ts";
export * as sigma from "./sigma/mod.ts";
