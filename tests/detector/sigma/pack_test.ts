/**
 * The project's rule pack (sigma/): every rule compiles and has samples,
 * all samples pass, each generator attack scenario (generator → parser →
 * detector, in process) raises its alert, and baseline traffic raises none.
 */
import assert from "node:assert/strict";
import { loadRuleSet } from "../../../stages/detector/sigma/load.ts";
import { runSamples } from "../../../stages/detector/sigma/samples.ts";
import { SigmaDetector } from "../../../stages/detector/sigma/engine.ts";
import { buildRuleSet } from "../../../stages/detector/sigma/compile.ts";
import { parseRuleText } from "../../../stages/detector/sigma/load.ts";
import { newState, parseRawEvent } from "../../../stages/parser/mod.ts";
import {
  parseInject,
  TrafficGenerator,
} from "../../../stages/generator/mod.ts";
import { validatorFor } from "../../../stages/shared/contracts/mod.ts";
import type { Alert } from "../../../stages/shared/contracts/mod.ts";

const PACK = new URL("../../../sigma/", import.meta.url).pathname;
const set = await loadRuleSet([PACK]);

Deno.test("pack: every rule compiles and every rule has samples", () => {
  assert.deepEqual(set.errors, []);
  assert.ok(set.rules.length >= 10);
  assert.ok(set.correlations.length >= 7);
  const report = runSamples(set);
  assert.deepEqual(report.rulesWithoutSamples, []);
});

Deno.test("pack: all match and no_match samples pass", () => {
  const report = runSamples(set);
  const failures = report.results.filter((r) => !r.ok);
  assert.deepEqual(failures, []);
  assert.ok(report.passed >= 40, `only ${report.passed} samples`);
});

Deno.test("samples: a wrong expectation is reported as a failure", () => {
  const errors: { file: string; reason: string }[] = [];
  const docs = parseRuleText(
    "t.yml",
    `title: Sudo
id: 40000000-0000-4000-8000-000000000001
logsource: {}
detection:
  sel: { action: sudo }
  condition: sel
---
rule: 40000000-0000-4000-8000-000000000001
samples:
  match:
    - { action: su }
  no_match:
    - { action: sudo }
`,
    errors,
  );
  const report = runSamples(buildRuleSet(docs));
  assert.equal(report.failed, 2);
  assert.deepEqual(report.results.map((r) => r.reason), [
    "match sample 1 did not fire",
    "no_match sample 1 fired",
  ]);
});

/** Generates, parses and detects; returns alerts by rule title. */
function pipe(
  inject: string | null,
  count: number,
  seed = "pack-test",
): Map<string, Alert[]> {
  const gen = new TrafficGenerator({
    seed,
    startMs: Date.parse("2026-11-24T10:00:00Z"),
    virtualRate: 50,
    injects: inject ? [parseInject(inject)] : [],
    plannedCount: count,
  });
  const st = newState();
  const det = new SigmaDetector(set, { singleSuppressMs: 60_000 });
  const out = new Map<string, Alert[]>();
  const raise = (a: Alert) =>
    out.set(a.rule.title, [...(out.get(a.rule.title) ?? []), a]);
  let n = 0;
  while (n < count || gen.pendingScenarioEvents > 0) {
    const ev = parseRawEvent(gen.next(), st);
    n++;
    if (ev.record === "enriched_event") det.observe(ev, raise);
  }
  return out;
}

const SCENARIOS: [string, string[]][] = [
  ["brute_force_ssh", [
    "SSH Brute Force Attempts",
    "SSH Brute Force Followed By Successful Login",
  ]],
  ["password_spray", ["Password Spraying"]],
  ["dns_tunneling", [
    "DNS Query With Very Long Label",
    "DNS Tunnelling Volume",
  ]],
  ["data_exfiltration", ["Large Data Transfer To Public Address"]],
  ["privilege_escalation", [
    "Sudo Root Shell",
    "New Local User Created",
    "User Added To Privileged Group",
  ]],
  ["lateral_movement", ["Lateral Movement Over Admin Protocols"]],
  ["impossible_travel", ["Impossible Travel"]],
  ["port_scan", ["Port Scan"]],
];

for (const [scenario, titles] of SCENARIOS) {
  Deno.test(`pack: generator scenario ${scenario} raises ${titles.join(", ")}`, () => {
    const alerts = pipe(scenario, 2000);
    for (const t of titles) {
      assert.ok(
        alerts.has(t),
        `${t} missing; got ${[...alerts.keys()].join(", ") || "nothing"}`,
      );
    }
    for (const list of alerts.values()) {
      for (const a of list) assert.equal(validatorFor("alert")(a), null);
    }
  });
}

Deno.test("pack: baseline traffic raises no alert", () => {
  const alerts = pipe(null, 30_000, "baseline-seed");
  assert.deepEqual([...alerts.keys()], []);
});
