/**
 * Scenario labels live only in the RawEvent's top-level `ground_truth`;
 * nothing a parser or detector reads (payload, source name, any other
 * field) carries them. Every emitted record validates against the contract.
 */
import assert from "node:assert/strict";
import { generate } from "./_helpers.ts";
import { validateRecord } from "../../stages/shared/contracts/mod.ts";
import { SCENARIO_NAMES } from "../../stages/generator/mod.ts";

const events = generate([...SCENARIO_NAMES], 4000, 200);

Deno.test("every generated record is a valid RawEvent with transport generator and no format hint", () => {
  for (const e of events) {
    assert.equal(validateRecord(e), null, JSON.stringify(e));
    assert.equal(e.transport, "generator");
    assert.equal(e.format, undefined);
  }
});

Deno.test("scenario names and roles never appear outside ground_truth", () => {
  const labels = new Set<string>();
  for (const e of events) {
    if (e.ground_truth) {
      labels.add(e.ground_truth.scenario);
      if (e.ground_truth.role) labels.add(e.ground_truth.role);
    }
  }
  assert.ok(labels.size >= 16, [...labels].join());
  for (const e of events) {
    const { ground_truth: _gt, ...rest } = e;
    const text = JSON.stringify(rest);
    for (const l of labels) {
      assert.ok(!text.includes(l), `label '${l}' leaked into ${text}`);
    }
    assert.ok(!text.includes("ground_truth"));
    assert.ok(!/scenario/i.test(text), text);
  }
});

Deno.test("baseline events carry no ground truth; injected ones carry scenario and role", () => {
  const injected = events.filter((e) => e.ground_truth);
  assert.ok(injected.length > 100);
  for (const e of injected) {
    assert.ok(
      (SCENARIO_NAMES as readonly string[]).includes(e.ground_truth!.scenario),
    );
    assert.ok(e.ground_truth!.role);
  }
  const plain = generate([], 2000, 200);
  assert.ok(plain.every((e) => e.ground_truth === undefined));
});

Deno.test("payloads mix ECS JSON objects with syslog, CEF and Apache lines", () => {
  const kinds = new Set<string>();
  for (const e of events) {
    const p = e.payload;
    if (typeof p === "object") kinds.add("ecs");
    else if (p.includes("CEF:0|")) kinds.add("cef");
    else if (/^\S+ - \S+ \[\d\d\/\w{3}\/\d{4}:/.test(p)) kinds.add("apache");
    else if (
      /^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ (sshd|sudo|useradd|usermod)/.test(p)
    ) {
      kinds.add("syslog");
    }
  }
  assert.deepEqual(kinds, new Set(["ecs", "cef", "apache", "syslog"]));
  assert.ok(new Set(events.map((e) => e.tenant)).size >= 3, "several tenants");
});
