/**
 * The detector's cached event-time parser must agree with Date.parse on
 * every input, canonical or not, and never throw: a record that reached the
 * detector without validation may lack its times.
 */
import assert from "node:assert/strict";
import { IsoTimeParser } from "../../stages/detector/iso_time.ts";
import { rulesFrom, runAll } from "./sigma/_helpers.ts";
import { event } from "./sigma/_helpers.ts";

Deno.test("IsoTimeParser: same result as Date.parse, across second boundaries and odd forms", () => {
  const p = new IsoTimeParser();
  const inputs: unknown[] = [];
  const t0 = Date.parse("2026-11-24T23:59:58.000Z");
  for (let i = 0; i < 5000; i += 7) inputs.push(new Date(t0 + i).toISOString());
  inputs.push(
    "2026-11-24T10:00:00Z",
    "2026-11-24T10:00:00.5Z",
    "2026-11-24T10:00:00.123+02:00",
    "2026-11-24T10:00:60.000Z",
    "2026-13-24T10:00:00.000Z",
    "2026-11-24T10:00:00.1a3Z",
    "2026-11-24 10:00:00.123Z",
    "",
    "not a time",
    undefined,
    null,
    1732442400000,
  );
  for (const ts of inputs) {
    const want = Date.parse(ts as string);
    const got = p.parse(ts as string);
    assert.ok(
      Object.is(got, want),
      `${JSON.stringify(ts)}: got ${got}, Date.parse ${want}`,
    );
  }
});

Deno.test("an event without received_at still counts towards a correlation", () => {
  const set = rulesFrom(`title: Failed Login
id: 70000000-0000-4000-8000-000000000001
name: failed
logsource: {}
detection:
  sel: { outcome: failure }
  condition: sel
level: low
---
title: Two Failures
id: 70000000-0000-4000-8000-000000000002
correlation:
  type: event_count
  rules: [failed]
  group-by: [source.ip]
  timespan: 1m
  condition: { gte: 2 }
level: high
`);
  const evs = [0, 1].map((i) => {
    const e = event({
      ts: `2026-11-24T10:00:0${i}.000Z`,
      outcome: "failure",
      source: { ip: "203.0.113.5" },
    }) as unknown as Record<string, unknown>;
    delete e.received_at;
    return e;
  });
  const { alerts, detector } = runAll(set, evs as never);
  assert.equal(alerts.length, 1);
  assert.equal((detector.stats() as { errors: number }).errors, 0);
});
