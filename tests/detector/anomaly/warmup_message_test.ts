/**
 * The end-of-input warm-up warning names every condition still keeping the
 * anomaly model from scoring, with its figures: events seen vs needed and
 * event-time span seen vs needed (the 3600 s default is what a short replay
 * of a large file usually lacks).
 */
import assert from "node:assert/strict";
import type { Logger } from "../../../stages/shared/log.ts";
import { AnomalyDetector } from "../../../stages/detector/anomaly/detector.ts";
import { at, sshLogin } from "./_events.ts";

const T0 = "2026-11-24T10:00:00.000Z";

function warnings(
  warmup: number,
  warmupSpanMs: number,
  events: number,
  spacingS: number,
): { msg: string; fields?: Record<string, unknown> }[] {
  const lines: { msg: string; fields?: Record<string, unknown> }[] = [];
  const noop = () => {};
  const logger: Logger = {
    level: "debug",
    debug: noop,
    info: noop,
    warn: (msg, fields) => void lines.push({ msg, fields }),
    error: noop,
    enabled: () => true,
    child: () => logger,
  };
  const d = new AnomalyDetector({ warmup, warmupSpanMs, logger });
  for (let i = 0; i < events; i++) {
    d.observe(
      sshLogin(at(T0, i * spacingS), "10.0.0.5", "alice", "success"),
      noop,
    );
  }
  d.end(noop);
  assert.equal(d.model, undefined, "still warming up");
  return lines;
}

Deno.test("warm-up warning: enough events but too little event time names the span, seen vs needed", () => {
  // 3000 events one second apart: 2999 s of the 3600 s span.
  const [w, ...rest] = warnings(2000, 3_600_000, 3000, 1);
  assert.equal(rest.length, 0);
  assert.match(w.msg, /event time: 2999 s of the 3600 s needed/);
  assert.doesNotMatch(w.msg, /events: \d+ of/); // the count is met
  assert.match(w.msg, /--anomaly-warmup-span/);
  assert.equal(w.fields?.warmup_span_seen_s, 2999);
  assert.equal(w.fields?.warmup_span_needed_s, 3600);
  assert.equal(w.fields?.warmup_events, 3000);
});

Deno.test("warm-up warning: too few events and too little time names both conditions", () => {
  const [w] = warnings(2000, 3_600_000, 40, 1.5);
  assert.match(w.msg, /events: 40 of the 2000 needed/);
  assert.match(w.msg, /event time: 58.5 s of the 3600 s needed/);
});

Deno.test("warm-up warning: with no span required only the event count is missing", () => {
  const [w] = warnings(50, 0, 10, 1);
  assert.match(w.msg, /events: 10 of the 50 needed/);
  assert.doesNotMatch(w.msg, /event time:/);
});

Deno.test("warm-up: the span counts the newest event time seen, so a late out-of-order event completes the warm-up", () => {
  // 48 events in the first minute, one an hour later, then one delayed
  // event from the first minute: the 50th event's own time is only 60 s
  // after the first, but 3700 s of event time have been seen.
  const warned: string[] = [];
  const noop = () => {};
  const logger: Logger = {
    level: "debug",
    debug: noop,
    info: noop,
    warn: (msg) => void warned.push(msg),
    error: noop,
    enabled: () => true,
    child: () => logger,
  };
  const d = new AnomalyDetector({
    warmup: 50,
    warmupSpanMs: 3_600_000,
    logger,
  });
  const login = (s: number) =>
    d.observe(sshLogin(at(T0, s), "10.0.0.5", "alice", "success"), noop);
  for (let i = 0; i < 48; i++) login(i);
  login(3700);
  assert.equal(d.model, undefined, "49 events: still warming up");
  login(60);
  assert.ok(d.model, "the 50th event completes the warm-up");
  d.end(noop);
  assert.deepEqual(warned.filter((m) => /warming up/.test(m)), []);
});
