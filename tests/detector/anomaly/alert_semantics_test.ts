/**
 * What an anomaly alert claims must agree with its fields: a dashboard
 * plots `score` against `threshold`, and the analyst reads the message.
 * Hits made by a value beyond the training range (which the forest cannot
 * score) are their own kind of evidence and are worded as such.
 */
import assert from "node:assert/strict";
import { AnomalyDetector } from "../../../stages/detector/anomaly/detector.ts";
import { countAlerts } from "../../../stages/detector/anomaly/alerting.ts";
import { trainFromEvents } from "../../../stages/detector/anomaly/train.ts";
import type {
  Alert,
  EnrichedEvent,
} from "../../../stages/shared/contracts/mod.ts";
import { validateRecord } from "../../../stages/shared/contracts/mod.ts";
import { at, baseline, connection, sshLogin } from "./_events.ts";

const T0 = "2026-11-24T09:00:00.000Z";
const NOW = () => new Date("2026-11-24T12:00:00.000Z");
const ATTACKER = "203.0.113.9";

/** Baseline training; live baseline with 14 failed SSH logins from one source. */
function bruteForce(): { training: EnrichedEvent[]; live: EnrichedEvent[] } {
  const training = baseline(3000, T0, 1);
  const tLive = at(T0, 1600);
  const live = baseline(1000, tLive, 2);
  for (let i = 0; i < 14; i++) {
    live.push(sshLogin(at(tLive, 100 + i * 3), ATTACKER, "admin", "failure"));
  }
  live.sort((a, b) => a.ts.localeCompare(b.ts));
  return { training, live };
}

function run(d: AnomalyDetector, events: EnrichedEvent[]): Alert[] {
  const alerts: Alert[] = [];
  for (const e of events) d.observe(e, (a) => alerts.push(a));
  return alerts;
}

/** The claim every message must back with its fields. */
function assertHonest(a: Alert): void {
  assert.equal(validateRecord(a), null);
  const scoredClaim = /: \d+ events within \d+ s scored ≥ ([0-9.]+)/.exec(
    a.message,
  );
  if (scoredClaim) {
    assert.ok(
      a.score! >= a.threshold!,
      `'${a.message}' but score ${a.score} < threshold ${a.threshold}`,
    );
    assert.equal(Number(scoredClaim[1]), Number(a.threshold!.toFixed(3)));
  }
  if (a.score! < a.threshold!) {
    assert.match(a.message, /beyond the training range/, a.message);
    assert.doesNotMatch(a.message, /(all|events within \d+ s) scored ≥/);
  }
}

Deno.test("hits beyond the training range but below the threshold alert with range wording, not 'scored ≥'", async () => {
  const { training, live } = bruteForce();
  const model = await trainFromEvents(training, { params: { seed: 1 } });
  // A threshold no event reaches: only beyond-range values can make hits.
  const d = new AnomalyDetector({ model, threshold: 0.99, now: NOW });
  const alerts = run(d, live);
  const about = alerts.filter((a) => a.entity.value === ATTACKER);
  assert.equal(about.length, 1, JSON.stringify(alerts.map((a) => a.message)));
  const a = about[0];
  assertHonest(a);
  assert.ok(a.score! < 0.99);
  assert.equal(a.threshold, 0.99);
  assert.equal(a.severity, "medium");
  // Still needs --anomaly-min-hits (2) events.
  assert.equal(a.evidence.count, 2);
  assert.match(
    a.message,
    /^source\.ip 203\.0\.113\.9: failed logins from this source in the last 5 min: \d+ \(training median .*max \d+\), beyond the training range; 2 events within \d+ s; none scored ≥ 0\.990 \(max 0\.\d{3}\)/,
  );
  assert.equal(a.contributions![0].feature, "src_failed_logins_5m");
  const stats = d.stats();
  assert.equal(stats.above_threshold, 0);
  assert.ok((stats.beyond_range_below_threshold as number) >= 2);
});

Deno.test("a value far beyond the training range is high severity even when the forest scores it low; just beyond stays medium", async () => {
  const training = baseline(3000, T0, 1);
  const tLive = at(T0, 1600);
  const live = baseline(1000, tLive, 2);
  // Two uploads of 500 MB from one host: its 10-minute byte sum is about a
  // thousand times the largest of training.
  const EXFIL = "10.0.7.7";
  for (let i = 0; i < 2; i++) {
    live.push(
      connection(at(tLive, 100 + i * 5), EXFIL, "198.51.100.20", 443, {
        bytes: 500_000_000,
      }),
    );
  }
  live.sort((a, b) => a.ts.localeCompare(b.ts));
  const model = await trainFromEvents(training, { params: { seed: 1 } });
  const alerts = run(
    new AnomalyDetector({ model, threshold: 0.99, now: NOW }),
    live,
  );
  const exfil = alerts.filter((a) => a.entity.value === EXFIL);
  assert.equal(exfil.length, 1, JSON.stringify(alerts.map((a) => a.message)));
  assertHonest(exfil[0]);
  assert.ok(exfil[0].score! < 0.99);
  assert.match(exfil[0].message, /bytes this source sent/);
  assert.equal(exfil[0].severity, "high");
  // The brute force of the test above, just past the training maximum.
  const bf = bruteForce();
  const modelBf = await trainFromEvents(bf.training, { params: { seed: 1 } });
  const [a] = run(
    new AnomalyDetector({ model: modelBf, threshold: 0.99, now: NOW }),
    bf.live,
  ).filter((x) => x.entity.value === ATTACKER);
  assert.equal(a.severity, "medium", a.message);
});

Deno.test("with the model's own threshold every alert's message agrees with its score and threshold", async () => {
  const { training, live } = bruteForce();
  const model = await trainFromEvents(training, { params: { seed: 1 } });
  for (const threshold of [undefined, 0.7, 0.8, 0.9]) {
    const alerts = run(
      new AnomalyDetector({ model, threshold, now: NOW }),
      live,
    );
    assert.ok(
      alerts.some((a) => a.entity.value === ATTACKER),
      `threshold ${threshold}: the attacker alerts`,
    );
    alerts.forEach(assertHonest);
  }
});

Deno.test("hits of one source guessing one account are one alert, on the source, naming the account in group and message", async () => {
  const { training } = bruteForce();
  const model = await trainFromEvents(training, { params: { seed: 1 } });
  // Every event is a hit (threshold 0); two hits make an alert, so the
  // second guess completes the source and the account with the same events.
  const d = new AnomalyDetector({ model, threshold: 0, minHits: 2, now: NOW });
  const evs = [0, 3, 6, 9].map((s) =>
    sshLogin(at(T0, s), ATTACKER, "erin", "failure")
  );
  const alerts = run(d, evs);
  assert.equal(alerts.length, 1, JSON.stringify(alerts.map((a) => a.message)));
  const a = alerts[0];
  assert.deepEqual(a.entity, { type: "source.ip", value: ATTACKER });
  assert.deepEqual(a.group, { "source.ip": ATTACKER, "user.name": "erin" });
  assert.deepEqual(a.evidence.event_ids, [evs[0].event_id, evs[1].event_id]);
  assert.match(
    a.message,
    /^source\.ip 203\.0\.113\.9 \(with user\.name erin, same events\): 2 events within 3 s scored ≥ 0\.000/,
  );
  assert.equal(validateRecord(a), null);
  assert.equal(d.stats().merged_alerts, 1);
  // Both stay quiet afterwards: the later guesses raise nothing on erin.
  assert.equal(alerts.filter((x) => x.entity.value === "erin").length, 0);
});

Deno.test("alerts completed by one event on its source and its user with different evidence stay two", async () => {
  const { training } = bruteForce();
  const model = await trainFromEvents(training, { params: { seed: 1 } });
  // Every event is a hit; two hits make an alert.
  const d = new AnomalyDetector({ model, threshold: 0, minHits: 2, now: NOW });
  const evs = [
    sshLogin(T0, "10.0.0.1", "bob", "success"),
    sshLogin(at(T0, 10), "10.0.0.2", "alice", "success"),
    // Completes 10.0.0.1 (with bob's login) and alice (with 10.0.0.2's).
    sshLogin(at(T0, 20), "10.0.0.1", "alice", "success"),
  ];
  const alerts = run(d, evs);
  assert.deepEqual(
    alerts.map((a) => [a.entity.value, a.evidence.event_ids]),
    [
      ["10.0.0.1", [evs[0].event_id, evs[2].event_id]],
      ["alice", [evs[1].event_id, evs[2].event_id]],
    ],
  );
  assert.equal(d.stats().merged_alerts, 0);
});

Deno.test("calibration counts one incident once, as the detector raises it", () => {
  const policy = { min_hits: 2, window_s: 600, suppress_s: 600 };
  const both = [
    "t\u0000source.ip\u0000203.0.113.9",
    "t\u0000user.name\u0000admin",
  ];
  // Two events, both acted by the same source and user: one alert.
  assert.equal(
    countAlerts(0.5, [0.9, 0.9], [0, 1000], [both, both], policy),
    1,
  );
  // Different users with the second: the source alerts, alice does not.
  assert.equal(
    countAlerts(0.5, [0.9, 0.9], [0, 1000], [[
      both[0],
      "t\u0000user.name\u0000bob",
    ], both], policy),
    1,
  );
});
