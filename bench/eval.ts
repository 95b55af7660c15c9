/**
 * `deno task eval [--quick] [--json] [--seed S]`: detection quality per
 * attack scenario. For every scenario the generator's traffic (baseline
 * plus that one scenario in its natural timing) runs in-process through the
 * parser and the detectors; alerts are scored against the generator's
 * ground truth, which only this evaluation reads:
 *
 * - precision: alerts whose evidence holds an event of the scenario, over
 *   all alerts of the run (baseline alerts are false positives);
 * - recall: scenario events that appear in some alert's evidence, over all
 *   scenario events (and whether the scenario was detected at all);
 * - time to detect: event time of the first true alert minus the time of
 *   the scenario's first event.
 *
 * Sigma (rules + correlations from `sigma/`, built by createSigmaDetector
 * with sentinel-detector's defaults, suppression included) and the anomaly
 * detector (Isolation Forest trained on attack-free generated history) are
 * scored separately.
 */
import { parseArgs } from "node:util";
import type { Alert, EnrichedEvent } from "../stages/shared/contracts/mod.ts";
import type { Detector } from "../stages/detector/detector.ts";
import { newState, parseRawEvent } from "../stages/parser/mod.ts";
import {
  createSigmaDetector,
  loadRuleSet,
} from "../stages/detector/sigma/mod.ts";
import {
  parseInject,
  SCENARIO_NAMES,
  SCENARIOS,
  TrafficGenerator,
} from "../stages/generator/mod.ts";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    seed: { type: "string", default: "eval" },
  },
});
const quick = values.quick!;
const seed = values.seed!;
const START = Date.parse("2026-11-24T10:00:00Z");
/** Virtual events per second of the evaluation traffic. */
const RATE = quick ? 20 : 50;
/** Seconds of baseline before each attack starts, and after it ends. */
const LEAD_S = 30, TAIL_S = quick ? 60 : 120;

/** Generated, parsed traffic of one run with its labels. */
interface Run {
  events: EnrichedEvent[];
  /** event id → scenario of labelled events. */
  labels: Map<string, string>;
  /** Event time of the scenario's first event. */
  firstMs: number;
  count: number;
}

function traffic(
  injects: string[],
  seconds: number,
  runSeed: string,
): Run {
  const count = Math.round(seconds * RATE);
  const gen = new TrafficGenerator({
    seed: runSeed,
    startMs: START,
    virtualRate: RATE,
    injects: injects.map((s) => parseInject(s)),
    plannedCount: count,
  });
  const st = newState();
  const events: EnrichedEvent[] = [];
  const labels = new Map<string, string>();
  let firstMs = Infinity;
  for (let i = 0; i < count; i++) {
    const raw = gen.next();
    const e = parseRawEvent(raw, st);
    if (e.record !== "enriched_event") continue;
    events.push(e);
    if (raw.ground_truth) {
      labels.set(raw.event_id, raw.ground_truth.scenario);
      firstMs = Math.min(firstMs, Date.parse(e.ts));
    }
  }
  return { events, labels, firstMs, count };
}

function detect(detector: Detector, events: EnrichedEvent[]): Alert[] {
  const alerts: Alert[] = [];
  const raise = (a: Alert) => alerts.push(a);
  for (const e of events) detector.observe(e, raise);
  detector.end?.(raise);
  return alerts;
}

/** Scores of one detector on one scenario run. */
interface Score {
  alerts: number;
  true_alerts: number;
  precision: number | null;
  recall: number;
  detected: boolean;
  ttd_s: number | null;
  rules: string[];
}

function score(run: Run, scenario: string, alerts: Alert[]): Score {
  const covered = new Set<string>();
  let tp = 0;
  let first = Infinity;
  const rules = new Set<string>();
  for (const a of alerts) {
    let hit = false;
    for (const id of a.evidence.event_ids) {
      if (run.labels.get(id) === scenario) {
        covered.add(id);
        hit = true;
      }
    }
    if (hit) {
      tp++;
      rules.add(a.rule.title);
      first = Math.min(first, Date.parse(a.ts));
    }
  }
  const labelled = [...run.labels.values()].filter((s) => s === scenario)
    .length;
  return {
    alerts: alerts.length,
    true_alerts: tp,
    precision: alerts.length ? tp / alerts.length : null,
    recall: labelled ? covered.size / labelled : 0,
    detected: tp > 0,
    ttd_s: tp > 0 ? Math.max(0, (first - run.firstMs) / 1000) : null,
    rules: [...rules],
  };
}

const ruleSet = await loadRuleSet([
  new URL("../sigma", import.meta.url).pathname,
]);
if (ruleSet.errors.length) {
  console.error("rule errors:", ruleSet.errors);
}

// The anomaly detector is optional: its module may be absent or mid-change.
type AnomalyFactory = () => Detector;
let anomaly: AnomalyFactory | null = null;
let anomalyNote = "";
try {
  const mod = await import("../stages/detector/anomaly/mod.ts");
  const history = traffic([], quick ? 600 : 1800, `${seed}|history`);
  const model = await mod.trainFromEvents(history.events);
  anomaly = () => new mod.AnomalyDetector({ model }) as Detector;
  anomalyNote =
    `Isolation Forest trained on ${history.events.length} attack-free events (${
      quick ? 10 : 30
    } virtual minutes), threshold ${model.threshold.toFixed(3)}`;
} catch (e) {
  anomalyNote = `anomaly detector unavailable: ${(e as Error).message}`;
}

interface Row {
  scenario: string;
  events: number;
  scenario_events: number;
  sigma: Score;
  anomaly: Score | null;
}

const rows: Row[] = [];
for (const name of SCENARIO_NAMES) {
  const span = SCENARIOS[name].naturalSpanS;
  const run = traffic(
    [`${name}:at=${LEAD_S},span=${span}`],
    LEAD_S + span + TAIL_S,
    `${seed}|${name}`,
  );
  const sigma = score(
    run,
    name,
    detect(createSigmaDetector(ruleSet), run.events),
  );
  const an = anomaly ? score(run, name, detect(anomaly(), run.events)) : null;
  rows.push({
    scenario: name,
    events: run.events.length,
    scenario_events: [...run.labels.values()].length,
    sigma,
    anomaly: an,
  });
}

// Baseline only: every alert is a false positive.
const base = traffic([], quick ? 300 : 900, `${seed}|baseline`);
const baseSigma = detect(createSigmaDetector(ruleSet), base.events).length;
const baseAnomaly = anomaly ? detect(anomaly(), base.events).length : null;

if (values.json) {
  console.log(JSON.stringify({
    seed,
    rate: RATE,
    anomaly: anomalyNote,
    scenarios: rows,
    baseline: {
      events: base.events.length,
      sigma_alerts: baseSigma,
      anomaly_alerts: baseAnomaly,
    },
  }));
} else {
  const pct = (x: number | null) =>
    x === null ? "—" : `${(x * 100).toFixed(0)}%`;
  const ttd = (x: number | null) => x === null ? "—" : `${x.toFixed(1)} s`;
  const header = [
    "scenario",
    "events",
    "sigma det",
    "sigma P",
    "sigma R",
    "sigma TTD",
    "anomaly det",
    "anomaly P",
    "anomaly R",
    "anomaly TTD",
  ];
  const table = rows.map((r) => [
    r.scenario,
    `${r.scenario_events}/${r.events}`,
    r.sigma.detected ? "yes" : "NO",
    pct(r.sigma.precision),
    pct(r.sigma.recall),
    ttd(r.sigma.ttd_s),
    r.anomaly ? (r.anomaly.detected ? "yes" : "no") : "n/a",
    r.anomaly ? pct(r.anomaly.precision) : "n/a",
    r.anomaly ? pct(r.anomaly.recall) : "n/a",
    r.anomaly ? ttd(r.anomaly.ttd_s) : "n/a",
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...table.map((row) => row[i].length))
  );
  const line = (cells: string[]) =>
    cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))
      .join("  ");
  console.log(
    `Detection quality per scenario (seed ${seed}, ${RATE} events/s virtual, attack in natural timing)`,
  );
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of table) console.log(line(row));
  console.log("");
  for (const r of rows) {
    console.log(
      `${r.scenario}: sigma rules ${
        r.sigma.rules.join("; ") || "none"
      }; ${r.sigma.true_alerts}/${r.sigma.alerts} alerts true` +
        (r.anomaly
          ? `; anomaly ${r.anomaly.true_alerts}/${r.anomaly.alerts} alerts true`
          : ""),
    );
  }
  console.log(
    `\nbaseline only (${base.events.length} events): sigma ${baseSigma} alerts, anomaly ${
      baseAnomaly ?? "n/a"
    } alerts`,
  );
  console.log(
    "det = at least one true alert, P = precision (true alerts / alerts), R = recall (scenario events in alert evidence / scenario events), TTD = event time from the first attack event to the first true alert.",
  );
  console.log(`anomaly: ${anomalyNote}`);
}
