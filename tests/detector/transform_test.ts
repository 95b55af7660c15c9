/**
 * The detector stage core: forwards every enriched event, emits the alerts
 * its detectors raise (after the event), keeps going when a detector
 * throws, turns a malformed event into a dead letter, and runs tick/end.
 */
import assert from "node:assert/strict";
import { DetectorTransform } from "../../stages/detector/transform.ts";
import type { Detector } from "../../stages/detector/detector.ts";
import type { AnyRecord } from "../../stages/shared/records.ts";
import type { Alert } from "../../stages/shared/contracts/mod.ts";
import { validateRecord } from "../../stages/shared/contracts/mod.ts";
import { event, rulesFrom, ruleYaml } from "./sigma/_helpers.ts";
import { SigmaDetector } from "../../stages/detector/sigma/engine.ts";

function collector() {
  const out: { kind: "emit" | "forward"; record: AnyRecord }[] = [];
  return {
    out,
    emitter: {
      emit: (r: AnyRecord) => out.push({ kind: "emit", record: r }),
      forward: (r: AnyRecord) => out.push({ kind: "forward", record: r }),
    },
  };
}

const sudoRule = rulesFrom(ruleYaml(`sel:\n  action: sudo\ncondition: sel`));

Deno.test("transform: forwards each event and emits Sigma alerts after it", () => {
  const t = new DetectorTransform([new SigmaDetector(sudoRule)]);
  assert.deepEqual(t.accepts, ["enriched_event"]);
  const { out, emitter } = collector();
  const quiet = event({ action: "dns_query" });
  const loud = event({ action: "sudo", user: { name: "alice" } });
  t.push(quiet, emitter, { line: 1 });
  t.push(loud, emitter, { line: 2 });
  assert.deepEqual(out.map((o) => [o.kind, o.record.record]), [
    ["forward", "enriched_event"],
    ["forward", "enriched_event"],
    ["emit", "alert"],
  ]);
  assert.equal(out[0].record, quiet);
  const alert = out[2].record as Alert;
  assert.equal(validateRecord(alert), null);
  assert.deepEqual(alert.evidence.event_ids, [loud.event_id]);
  const stats = t.stats() as {
    events: number;
    alerts: number;
    sigma: {
      events: number;
      matches: number;
      alerts: number;
      hits_by_rule: Record<string, number>;
    };
  };
  assert.equal(stats.events, 2);
  assert.equal(stats.alerts, 1);
  // The Sigma detector's own figures: both events seen, the sudo one hit.
  assert.equal(stats.sigma.events, 2);
  assert.equal(stats.sigma.matches, 1);
  assert.equal(stats.sigma.alerts, 1);
  assert.deepEqual(stats.sigma.hits_by_rule, { [alert.rule.id]: 1 });
});

Deno.test("transform: a throwing detector does not stop the others", () => {
  const broken: Detector = {
    name: "broken",
    observe() {
      throw new Error("boom");
    },
  };
  const t = new DetectorTransform([broken, new SigmaDetector(sudoRule)]);
  const { out, emitter } = collector();
  t.push(event({ action: "sudo" }), emitter, {});
  assert.deepEqual(out.map((o) => o.kind), ["forward", "emit"]);
  assert.equal((t.stats() as { detector_errors: number }).detector_errors, 1);
});

Deno.test("transform: an event without event_id or tenant becomes a dead letter", () => {
  const t = new DetectorTransform([new SigmaDetector(sudoRule)]);
  const { out, emitter } = collector();
  const bad = {
    ...event({ action: "sudo" }),
    tenant: 5,
  } as unknown as AnyRecord;
  t.push(bad, emitter, { line: 7 });
  assert.equal(out.length, 1);
  const dl = out[0].record;
  assert.equal(dl.record, "dead_letter");
  assert.equal(validateRecord(dl), null);
  if (dl.record === "dead_letter") assert.equal(dl.line, 7);
});

Deno.test("transform: tick and end reach detectors and their alerts are emitted", () => {
  const calls: string[] = [];
  const d: Detector = {
    name: "windowed",
    observe() {},
    tick(now) {
      calls.push(`tick ${now}`);
    },
    end(raise) {
      calls.push("end");
      const a = new SigmaDetector(sudoRule);
      a.observe(event({ action: "sudo" }), raise);
    },
  };
  const t = new DetectorTransform([d]);
  const { out, emitter } = collector();
  t.tick(1000, emitter);
  t.end(emitter);
  assert.deepEqual(calls, ["tick 1000", "end"]);
  assert.deepEqual(out.map((o) => o.record.record), ["alert"]);
});
