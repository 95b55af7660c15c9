/**
 * A detector that has just started (a model passed with --model, a new
 * process after a restart) has watched less of the stream than its windows
 * span: an ordinary workstation's "distinct DNS names in 5 minutes" is 2 in
 * its first minute, its bytes sent in 10 minutes start at 0. The forest
 * scored those values as anomalous, so every start raised a burst of false
 * alerts about ordinary sources in its first minute (7 on the evaluation's
 * baseline). A partial window's value below the training median is now
 * taken as the median; values above it still count.
 */
import assert from "node:assert/strict";
import {
  attackInstances,
  generatedTraffic,
  scoreAlerts,
} from "../../../bench/anomaly_bench.ts";
import { AnomalyDetector } from "../../../stages/detector/anomaly/detector.ts";
import {
  coldWindowFloors,
  DEFAULT_FEATURE_SPEC,
  raiseColdWindows,
} from "../../../stages/detector/anomaly/features.ts";
import { trainFromEvents } from "../../../stages/detector/anomaly/train.ts";
import type { Alert } from "../../../stages/shared/contracts/mod.ts";

const RATE = 50;
/** 20 virtual minutes of attack-free history to train on. */
const history = generatedTraffic({
  seed: "cold-start|history",
  count: 60_000,
  virtualRate: RATE,
});
const model = await trainFromEvents(history, { params: { seed: 1 } });

function detect(events: ReturnType<typeof generatedTraffic>) {
  const d = new AnomalyDetector({ model });
  const alerts: Alert[] = [];
  for (const e of events) d.observe(e, (a) => alerts.push(a));
  return { alerts, stats: d.stats() };
}

Deno.test("a detector started on ordinary traffic raises no burst of alerts while its windows fill", () => {
  // The first 3 minutes after a start: every window of 5 minutes or more
  // is partial all along, the 1-minute ones for the first third.
  const live = generatedTraffic({
    seed: "cold-start|live",
    count: 3 * 60 * RATE,
    virtualRate: RATE,
  });
  const { alerts, stats } = detect(live);
  assert.ok(
    (stats.cold_windows_raised as number) > live.length / 2,
    `partial windows raised on ${stats.cold_windows_raised} of ${live.length} events`,
  );
  // Events scoring at or above the threshold: no more than the share of
  // training events that did (about 12 here; 19-27 before partial windows
  // were raised).
  const rule = model.threshold_rule as { quantile: number };
  const hits = stats.above_threshold as number;
  assert.ok(
    hits <= (1 - rule.quantile) * live.length,
    `${hits} of ${live.length} events scored ≥ the threshold (training share ${
      (1 - rule.quantile).toFixed(4)
    })`,
  );
  // The calibrated budget is 1 alert per 10k events: 0.9 here.
  assert.ok(
    alerts.length <= 1,
    `${alerts.length} alerts on baseline in the first minutes:\n${
      alerts.map((a) => `${a.ts} ${a.message}`).join("\n")
    }`,
  );
});

Deno.test("an attack in a just-started detector's first minute is still named: values above the median count", () => {
  const live = generatedTraffic({
    seed: "cold-start|scan",
    count: 3 * 60 * RATE,
    virtualRate: RATE,
    injects: ["port_scan:at=20"],
  });
  const { alerts } = detect(live);
  const instances = attackInstances(live);
  assert.equal(instances.length, 1);
  const { detected } = scoreAlerts(alerts, instances);
  assert.ok(
    detected.has(instances[0]),
    `the port scan in the first minute was not alerted on; alerts:\n${
      alerts.map((a) => a.message).join("\n")
    }`,
  );
});

Deno.test("raiseColdWindows: only partial windows, only values below the median", () => {
  const spec = DEFAULT_FEATURE_SPEC;
  const k = (name: string) => spec.features.findIndex((f) => f.name === name);
  const dns = k("src_distinct_dns_names_5m"),
    ports = k("src_distinct_dst_ports_1m");
  const failed = k("src_failed_logins_5m"), size = k("dns_query_length");
  const medians = spec.features.map(() => 0);
  medians[dns] = 11;
  medians[ports] = 1;
  medians[size] = 20; // not windowed: never raised
  const floors = coldWindowFloors(spec, medians);
  // Windowed features with a median of 0 (failed logins) need no floor.
  assert.deepEqual(floors, [ports, 60_000, 1, dns, 300_000, 11]);

  const v = new Float64Array(spec.features.length);
  v[dns] = 2;
  v[ports] = 25; // a scan: above the median, kept
  v[failed] = 0;
  v[size] = 3;
  assert.equal(raiseColdWindows(v, 0, 30_000, floors), true);
  assert.equal(v[dns], 11);
  assert.equal(v[ports], 25);
  assert.equal(v[failed], 0);
  assert.equal(v[size], 3);

  // Two minutes in: the 1-minute window is full, a low value there is real.
  const w = new Float64Array(spec.features.length);
  w[ports] = 0;
  w[dns] = 2;
  assert.equal(raiseColdWindows(w, 0, 120_000, floors), true);
  assert.equal(w[ports], 0);
  assert.equal(w[dns], 11);
  // Once the longest window has been watched, nothing changes.
  const x = new Float64Array(spec.features.length);
  x[dns] = 2;
  assert.equal(raiseColdWindows(x, 0, 300_000, floors), false);
  assert.equal(x[dns], 2);
});
