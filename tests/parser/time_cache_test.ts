/**
 * The per-second caches behind event time: formatting and reading canonical
 * UTC text must agree with Date for interleaved clocks, and invalid calendar
 * dates must not slip through the prefix cache.
 */
import assert from "node:assert/strict";
import {
  canonicalIsoMs,
  isoFromMs,
  parseTimestamp,
} from "../../stages/parser/time.ts";
import { parseOne } from "./_helpers.ts";
import type { EnrichedEvent } from "../../stages/shared/contracts/mod.ts";

Deno.test("isoFromMs matches toISOString across interleaved clocks and second boundaries", () => {
  const clocks = [
    Date.UTC(2026, 10, 24, 10, 0, 0),
    Date.UTC(2005, 11, 4, 4, 47, 44),
    Date.UTC(2026, 11, 31, 23, 59, 59),
  ];
  for (let i = 0; i < 3000; i++) {
    // Steps of 7 ms and 997 ms cross seconds, minutes and a year end, and the
    // clocks collide in the direct-mapped prefix cache.
    const ms = clocks[i % 3] + i * (i % 2 === 0 ? 7 : 997);
    assert.equal(isoFromMs(ms), new Date(ms).toISOString());
  }
});

Deno.test("canonicalIsoMs agrees with Date.parse and rejects impossible dates", () => {
  const texts = [
    "2026-11-24T10:00:00.000Z",
    "2026-11-24T10:00:00.999Z",
    "2026-11-24T10:00:01.000Z",
    "2024-02-29T23:59:59.500Z",
    "2026-11-24T10:00:00.123Z",
  ];
  for (const t of texts) assert.equal(canonicalIsoMs(t), Date.parse(t), t);
  // Same second as a cached one but an impossible date, or not canonical.
  assert.ok(Number.isNaN(canonicalIsoMs("2026-02-30T10:00:00.000Z")));
  assert.ok(Number.isNaN(canonicalIsoMs("2026-11-24T10:00:60.000Z")));
  assert.ok(Number.isNaN(canonicalIsoMs("2026-11-24 10:00:00.000Z")));
  assert.ok(Number.isNaN(canonicalIsoMs("2026-11-24T10:00:00.00Z")));
  // parseTimestamp still reads a leap second the general way.
  assert.equal(
    parseTimestamp("2016-12-31T23:59:60.000Z", NaN),
    Date.UTC(2017, 0, 1),
  );
});

Deno.test("an ECS @timestamp in canonical form becomes ts unchanged; a non-canonical one is normalized", () => {
  const a = parseOne({
    "@timestamp": "2026-11-24T10:00:00.123Z",
    event: { category: "network" },
  }) as EnrichedEvent;
  assert.equal(a.ts, "2026-11-24T10:00:00.123Z");
  assert.equal(a.ts_source, "event");
  const b = parseOne({
    "@timestamp": "2026-11-24T11:00:00.5+01:00",
    event: { category: "network" },
  }) as EnrichedEvent;
  assert.equal(b.ts, "2026-11-24T10:00:00.500Z");
});
