import assert from "node:assert/strict";
import {
  actorKey,
  EntityAlerter,
  type Hit,
} from "../../../stages/detector/anomaly/alerting.ts";

const POLICY = { min_hits: 2, window_s: 60, suppress_s: 300 };
/** enter + record: a hit on an actor, as the detector makes one. */
function hitActor(
  a: EntityAlerter,
  tenant: string,
  type: string,
  value: string,
  t: number,
  eventId: string,
  ts: string,
  score: number,
): Hit[] | null {
  const s = a.enter(tenant, type, value, t);
  return s === null ? null : a.record(s, { t, eventId, ts, score });
}

const hit = (t: number): Hit => ({ t, eventId: `e${t}`, ts: "", score: 0.7 });

Deno.test("an entity alerts on its second hit within the window, then stays quiet", () => {
  const a = new EntityAlerter(POLICY);
  assert.equal(
    hitActor(a, "acme", "source.ip", "203.0.113.9", 0, "e0", "", 0.7),
    null,
  );
  const hits = hitActor(
    a,
    "acme",
    "source.ip",
    "203.0.113.9",
    10_000,
    "e1",
    "",
    0.8,
  );
  assert.deepEqual(hits?.map((h) => h.eventId), ["e0", "e1"]);
  // Quiet for suppress_s after the alert.
  assert.equal(
    hitActor(a, "acme", "source.ip", "203.0.113.9", 20_000, "e2", "", 0.9),
    null,
  );
  assert.equal(
    hitActor(a, "acme", "source.ip", "203.0.113.9", 30_000, "e3", "", 0.9),
    null,
  );
  assert.equal(a.suppressed, 2);
  // Another tenant's same address is another entity.
  assert.equal(
    hitActor(a, "globex", "source.ip", "203.0.113.9", 30_000, "g0", "", 0.9),
    null,
  );
  // Hits further apart than the window never pair up.
  const b = new EntityAlerter(POLICY);
  assert.equal(b.hit("k", hit(0)), null);
  assert.equal(b.hit("k", hit(61_000)), null);
  assert.notEqual(b.hit("k", hit(62_000)), null);
});

Deno.test("at the entity cap the least recently hit entity is forgotten", () => {
  for (const viaActor of [false, true]) {
    const a = new EntityAlerter(POLICY, 2);
    const h = (ip: string, t: number) =>
      viaActor
        ? hitActor(a, "acme", "source.ip", ip, t, `e${t}`, "", 0.7)
        : a.hit(actorKey("acme", { type: "source.ip", value: ip }), hit(t));
    assert.equal(h("10.0.0.1", 0), null);
    assert.equal(h("10.0.0.2", 1), null);
    assert.equal(h("10.0.0.3", 2), null); // evicts 10.0.0.1
    assert.equal(a.size, 2);
    assert.equal(h("10.0.0.1", 3), null, "forgotten: its first hit again"); // evicts .2
    assert.notEqual(h("10.0.0.3", 4), null, "still held: second hit alerts");
    assert.equal(h("10.0.0.2", 5), null, "evicted by the re-seen .1");
    assert.equal(a.size, 2);
  }
});

Deno.test("a hit standing for several events (weight) alerts alone; weights add up with plain hits", () => {
  const a = new EntityAlerter(POLICY);
  const heavy = a.hit("k1", { ...hit(0), weight: 2 });
  assert.ok(heavy, "weight 2 meets min_hits 2 on its own");
  assert.deepEqual(heavy.map((h) => h.eventId), ["e0"]);
  // Weight 1 (the default) is a plain hit: still two needed.
  assert.equal(a.hit("k2", { ...hit(0), weight: 1 }), null);
  assert.ok(a.hit("k2", hit(5_000)));
  // With min_hits 3, a weight-2 hit after a plain one makes an alert; the
  // alert keeps only the latest hits that are enough on their own.
  const b = new EntityAlerter({ ...POLICY, min_hits: 3 });
  assert.equal(b.hit("k", hit(0)), null);
  assert.equal(b.hit("k", hit(100)), null);
  const got = b.hit("k", { ...hit(200), weight: 2 });
  assert.deepEqual(got?.map((h) => h.eventId), ["e100", "e200"]);
});
