/**
 * End to end in-process: generator → parser transform → detector transform
 * with the project's rule pack (`sigma/`). Every injected scenario raises
 * at least one alert whose evidence is that scenario's events, and the
 * baseline alone raises none. Detectors never see `ground_truth` as a
 * field: evidence is matched to labels by event id here, in the test.
 */
import assert from "node:assert/strict";
import type { Alert } from "../../stages/shared/contracts/mod.ts";
import type { AnyRecord } from "../../stages/shared/records.ts";
import type { Emitter, Transform } from "../../stages/shared/stage.ts";
import { createParser } from "../../stages/parser/mod.ts";
import { DetectorTransform } from "../../stages/detector/transform.ts";
import { loadRuleSet, SigmaDetector } from "../../stages/detector/sigma/mod.ts";
import {
  parseInject,
  SCENARIO_NAMES,
  TrafficGenerator,
} from "../../stages/generator/mod.ts";

const RULES = new URL("../../sigma", import.meta.url).pathname;
const ruleSet = await loadRuleSet([RULES]);

/** Runs `count` generated events through parser and detector. */
function pipeline(injects: string[], count: number, seed = "detect") {
  const gen = new TrafficGenerator({
    seed,
    startMs: Date.parse("2026-11-24T10:00:00Z"),
    virtualRate: 100,
    injects: injects.map((s) => parseInject(s)),
    plannedCount: count,
  });
  const parser: Transform = createParser();
  const detector = new DetectorTransform([new SigmaDetector(ruleSet)]);
  const alerts: Alert[] = [];
  const labels = new Map<string, string>();
  let enriched = 0, dead = 0;
  const afterDetector: Emitter = {
    emit: (r: AnyRecord) => {
      if (r.record === "alert") alerts.push(r);
    },
    forward: () => {},
  };
  const afterParser: Emitter = {
    emit: (r: AnyRecord) => {
      if (r.record === "enriched_event") {
        enriched++;
        assert.equal(
          JSON.stringify(r.fields).includes("ground_truth"),
          false,
        );
        detector.push(r, afterDetector, {});
      } else dead++;
    },
    forward: () => {},
  };
  for (let i = 0; i < count; i++) {
    const raw = gen.next();
    if (raw.ground_truth) labels.set(raw.event_id, raw.ground_truth.scenario);
    parser.push(raw, afterParser, { line: i + 1 });
  }
  detector.end(afterDetector);
  return { alerts, labels, enriched, dead };
}

Deno.test("the rule pack loads without errors", () => {
  assert.deepEqual(ruleSet.errors, []);
});

for (const name of SCENARIO_NAMES) {
  Deno.test(`${name} is detected by the rule pack, with no alert on baseline events`, () => {
    const { alerts, labels, enriched, dead } = pipeline([name], 6000);
    assert.equal(dead, 0);
    assert.equal(enriched, 6000);
    const hits = alerts.filter((a) =>
      a.evidence.event_ids.some((id) => labels.get(id) === name)
    );
    assert.ok(
      hits.length > 0,
      `no alert for ${name}; alerts: ${alerts.map((a) => a.rule.title)}`,
    );
    const stray = alerts.filter((a) =>
      !a.evidence.event_ids.some((id) => labels.has(id))
    );
    assert.deepEqual(stray.map((a) => a.rule.title), []);
  });
}

Deno.test("baseline traffic alone raises no alert", () => {
  const { alerts, labels } = pipeline([], 20_000, "baseline-only");
  assert.equal(labels.size, 0);
  assert.deepEqual(alerts.map((a) => `${a.rule.title} ${a.entity?.value}`), []);
});
