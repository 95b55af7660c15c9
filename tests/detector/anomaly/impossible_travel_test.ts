/**
 * Impossible travel: a user logs in from home, then minutes later from a
 * country far away. Users of different tenants share names (every tenant
 * has a `bob`); the detector must tell them apart, and the second login
 * alone must be enough for an alert on the user.
 */
import assert from "node:assert/strict";
import { AnomalyDetector } from "../../../stages/detector/anomaly/detector.ts";
import {
  DEFAULT_FEATURE_SPEC,
  type FeatureSpec,
} from "../../../stages/detector/anomaly/features.ts";
import { trainFromEvents } from "../../../stages/detector/anomaly/train.ts";
import type {
  Alert,
  EnrichedEvent,
} from "../../../stages/shared/contracts/mod.ts";
import { validateRecord } from "../../../stages/shared/contracts/mod.ts";
import { seededRandom } from "../../../stages/detector/anomaly/rng.ts";
import { at, baseline, event } from "./_events.ts";

const T0 = "2026-11-24T08:00:00.000Z";
const USERS = ["alice", "bob", "carol", "dave", "erin", "frank"];
/** Two tenants, same user names, different home countries. */
const TENANTS = [
  { name: "acme", cc: "US", net: "73.162" },
  { name: "initech", cc: "GB", net: "92.40" },
];

function webLogin(
  ts: string,
  tenant: string,
  user: string,
  ip: string,
  cc: string,
): EnrichedEvent {
  return event(ts, {
    tenant,
    category: "auth",
    action: "web_login",
    outcome: "success",
    user: { name: user },
    source: { ip, ip_class: "public", geo: { country_iso_code: cc } },
    host: { name: "portal-01" },
  });
}

/** Baseline plus remote logins of every user of both tenants from home. */
function traffic(n: number, start: string, seed: number): EnrichedEvent[] {
  const r = seededRandom(seed);
  const out = baseline(n, start, seed);
  for (let i = 0; i < n / 10; i++) {
    const t = TENANTS[r.int(TENANTS.length)];
    const u = r.int(USERS.length);
    out.push(
      webLogin(
        at(start, r.next() * n * 0.5),
        t.name,
        USERS[u],
        `${t.net}.7.${10 + u}`,
        t.cc,
      ),
    );
  }
  return out.sort((a, b) => a.ts.localeCompare(b.ts));
}

async function alertsFor(
  spec: FeatureSpec,
  travel = true,
): Promise<Alert[]> {
  const history = traffic(8000, T0, 3);
  const model = await trainFromEvents(history, { spec, params: { seed: 2 } });
  const tLive = at(T0, 4000);
  const live = traffic(2000, tLive, 4);
  // acme's bob: home, then Shanghai five minutes later. initech's bob
  // logs in from home in between (another person with the same name).
  live.push(webLogin(at(tLive, 300), "acme", "bob", "73.162.7.11", "US"));
  live.push(webLogin(at(tLive, 400), "initech", "bob", "92.40.7.11", "GB"));
  if (travel) {
    live.push(webLogin(at(tLive, 600), "acme", "bob", "222.186.49.151", "CN"));
  }
  live.sort((a, b) => a.ts.localeCompare(b.ts));
  const d = new AnomalyDetector({ model, now: () => new Date(tLive) });
  const alerts: Alert[] = [];
  for (const e of live) d.observe(e, (a) => alerts.push(a));
  return alerts;
}

Deno.test("impossible travel: the second login, from another country within the hour, alerts on that tenant's user", async () => {
  const alerts = await alertsFor(DEFAULT_FEATURE_SPEC);
  const onBob = alerts.filter((a) => a.entity.value === "bob");
  assert.equal(onBob.length, 1, JSON.stringify(alerts.map((a) => a.message)));
  const a = onBob[0];
  assert.equal(validateRecord(a), null);
  assert.equal(a.tenant, "acme");
  assert.equal(a.entity.type, "user.name");
  assert.equal(a.evidence.count, 1);
  assert.equal(a.contributions![0].feature, "user_distinct_countries_1h");
  assert.equal(a.contributions![0].value, 2);
  assert.match(
    a.message,
    /^user\.name bob: countries this user logged in from successfully in the last hour: 2 \(.*max 1\), beyond the training range/,
  );
  // Baseline alone stays quiet.
  assert.ok(alerts.length - onBob.length <= 2, `${alerts.length} alerts`);
});

Deno.test("control: the same traffic without the foreign login raises nothing about bob", async () => {
  const alerts = await alertsFor(DEFAULT_FEATURE_SPEC, false);
  assert.equal(alerts.filter((a) => a.entity.value === "bob").length, 0);
});
