import assert from "node:assert/strict";
import {
  ANOMALY_RULE_ID,
  AnomalyDetector,
} from "../../../stages/detector/anomaly/detector.ts";
import { trainFromEvents } from "../../../stages/detector/anomaly/train.ts";
import { validateRecord } from "../../../stages/shared/contracts/mod.ts";
import type {
  Alert,
  EnrichedEvent,
} from "../../../stages/shared/contracts/mod.ts";
import { at, baseline, sshLogin } from "./_events.ts";

const T0 = "2026-11-24T09:00:00.000Z";
const FIXED_NOW = () => new Date("2026-11-24T12:00:00.000Z");

/** Baseline, then a brute force from one public IP amid more baseline. */
function bruteForceDay(): { training: EnrichedEvent[]; live: EnrichedEvent[] } {
  const training = baseline(3000, T0, 1);
  const tLive = at(T0, 1600);
  const live = baseline(1000, tLive, 2);
  const attack: EnrichedEvent[] = [];
  for (let i = 0; i < 14; i++) {
    attack.push(
      sshLogin(at(tLive, 100 + i * 3), "203.0.113.9", "admin", "failure"),
    );
  }
  attack.push(sshLogin(at(tLive, 145), "203.0.113.9", "admin", "success"));
  // Interleave by time.
  const all = [...live, ...attack].sort((a, b) => a.ts.localeCompare(b.ts));
  return { training, live: all };
}

function runDetector(d: AnomalyDetector, events: EnrichedEvent[]): Alert[] {
  const alerts: Alert[] = [];
  for (const e of events) d.observe(e, (a) => alerts.push(a));
  d.end?.((a) => alerts.push(a));
  return alerts;
}

Deno.test("a brute-forcing source raises one schema-valid anomaly alert about that source", async () => {
  const { training, live } = bruteForceDay();
  const model = await trainFromEvents(training, { params: { seed: 1 } });
  const d = new AnomalyDetector({
    model,
    modelSource: "model.json",
    now: FIXED_NOW,
  });
  // The detector must see the history first so its entity state is warm, as in production.
  const alerts = runDetector(d, live);
  const about = alerts.filter((a) => a.entity.value === "203.0.113.9");
  assert.equal(
    about.length,
    1,
    "suppression: one alert for the attacking source",
  );
  const a = about[0];
  assert.deepEqual(validateRecord(a), null);
  assert.equal(a.kind, "anomaly");
  assert.equal(a.rule.id, ANOMALY_RULE_ID);
  assert.equal(a.entity.type, "source.ip");
  assert.ok(a.score! >= a.threshold!);
  assert.equal(a.model_version, model.model_version);
  assert.match(a.alert_id, /^[0-9a-f]{32}$/);
  assert.ok(a.contributions!.length >= 1);
  assert.ok(
    a.contributions!.some((c) =>
      c.feature === "src_failed_logins_5m" || c.feature === "src_first_seen"
    ),
    JSON.stringify(a.contributions),
  );
  assert.match(a.message, /203\.0\.113\.9/);
  const stats = d.stats();
  assert.ok(
    (stats.suppressed as number) > 0,
    "later anomalous events of the source were suppressed",
  );
  // Baseline traffic alone alerts rarely.
  const others = alerts.filter((x) => x.entity.value !== "203.0.113.9");
  assert.ok(others.length <= 5, `${others.length} alerts on baseline entities`);
});

Deno.test("replaying the same input gives the same alerts and ids", async () => {
  const { training, live } = bruteForceDay();
  const model = await trainFromEvents(training, { params: { seed: 1 } });
  const a = runDetector(new AnomalyDetector({ model, now: FIXED_NOW }), live);
  const b = runDetector(new AnomalyDetector({ model, now: FIXED_NOW }), live);
  assert.ok(a.length > 0);
  assert.deepEqual(a, b);
});

Deno.test("without a model: trains on the warm-up window, then scores", () => {
  const { training, live } = bruteForceDay();
  const d = new AnomalyDetector({
    warmup: 3000,
    params: { seed: 1 },
    now: FIXED_NOW,
  });
  const during = runDetector(d, training);
  assert.equal(during.length, 0, "warm-up events are not scored");
  assert.ok(d.model, "a model exists once the warm-up window is full");
  assert.equal(d.stats().warmup_events, 3000);
  const after = runDetector(d, live);
  assert.ok(after.some((a) => a.entity.value === "203.0.113.9"));
  assert.equal(d.stats().scored, live.length);
});

Deno.test("a warm-up also waits for its event-time span before training", () => {
  const { training } = bruteForceDay();
  const first = Date.parse(training[0].ts);
  const span = Date.parse(training[training.length - 1].ts) - first;
  const d = new AnomalyDetector({
    warmup: 100,
    warmupSpanMs: span / 2,
    params: { seed: 1 },
    now: FIXED_NOW,
  });
  let trainedAt = -1;
  training.forEach((e, i) => {
    d.observe(e, () => {});
    if (trainedAt < 0 && d.model) trainedAt = i;
  });
  assert.ok(trainedAt >= 100, "never before the event count is reached");
  assert.ok(
    Date.parse(training[trainedAt].ts) - first >= span / 2,
    "never before the span is covered",
  );
  assert.ok(
    Date.parse(training[trainedAt - 1].ts) - first < span / 2,
    "and right when it is",
  );
});

Deno.test("a short stream never leaves warm-up and raises nothing", () => {
  const d = new AnomalyDetector({ warmup: 5000 });
  assert.equal(runDetector(d, baseline(200, T0)).length, 0);
  assert.equal(d.model, undefined);
  assert.equal(d.stats().scored, 0);
});

Deno.test("a fixed threshold overrides the model's; suppression window reopens", async () => {
  const { training } = bruteForceDay();
  const model = await trainFromEvents(training, { params: { seed: 1 } });
  // Threshold 0 and one hit per alert: every event is anomalous; suppression
  // leaves one alert per entity per window.
  const d = new AnomalyDetector({
    model,
    threshold: 0,
    minHits: 1,
    suppressMs: 60_000,
    now: FIXED_NOW,
  });
  const evs = [
    sshLogin(T0, "10.0.0.1", "alice", "success"),
    sshLogin(at(T0, 30), "10.0.0.1", "alice", "success"),
    sshLogin(at(T0, 61), "10.0.0.1", "alice", "success"),
  ];
  const alerts = runDetector(d, evs);
  assert.equal(d.threshold, 0);
  // Each login acts as its source address and its user, with the same
  // evidence: one incident, one alert on the source naming the user.
  assert.deepEqual(
    alerts.map((a) => [a.entity.type, a.group, a.evidence.event_ids[0]]),
    [evs[0], evs[2]].map((e) => [
      "source.ip",
      { "source.ip": "10.0.0.1", "user.name": "alice" },
      e.event_id,
    ]),
  );
});

Deno.test("periodic re-fit on the reservoir changes the model version", async () => {
  const { training, live } = bruteForceDay();
  const model = await trainFromEvents(training, { params: { seed: 1 } });
  const d = new AnomalyDetector({ model, refitEvery: 400, reservoirSize: 512 });
  runDetector(d, live);
  assert.equal(d.stats().refits, Math.floor(live.length / 400));
  assert.notEqual(d.model!.model_version, model.model_version);
});
