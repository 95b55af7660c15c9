import assert from "node:assert/strict";
import { validateRecord } from "../../stages/shared/contracts/mod.ts";
import { SEED_RULES, seedRecords } from "../../stages/demo_seed/mod.ts";
import { fileURLToPath } from "node:url";
import { loadRuleSet } from "../../stages/detector/sigma/load.ts";
import type { RuleMeta } from "../../stages/detector/sigma/compile.ts";
import { mitreFromTags } from "../../stages/detector/sigma/alert.ts";
import {
  ANOMALY_RULE_ID,
  ANOMALY_RULE_TITLE,
  anomalySeverity,
} from "../../stages/detector/anomaly/detector.ts";
import { queryRows } from "../sink/_run.ts";

/** `sentinel-demo-seed ARGS` as a subprocess with piped output. */
function demoSeedCommand(args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../cli/sentinel-demo-seed.ts", import.meta.url).pathname,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  });
}

/** Runs `sentinel-demo-seed ARGS` to completion. */
function demoSeed(args: string[]): Promise<Deno.CommandOutput> {
  return demoSeedCommand(args).output();
}

Deno.test("demo-seed records validate, use the parser/detector vocabulary and lie within the last hours", () => {
  const end = Date.parse("2026-11-24T12:00:00.000Z");
  const { events, alerts } = seedRecords({
    events: 600,
    alerts: 200,
    hours: 3,
    seed: 7,
    endMs: end,
  });
  assert.equal(events.length, 600);
  assert.equal(alerts.length, 200);
  for (const r of [...events, ...alerts]) {
    assert.equal(validateRecord(r), null, JSON.stringify(r).slice(0, 120));
  }
  const actions = new Set(events.map((e) => `${e.category}/${e.action}`));
  for (
    const a of [
      "auth/ssh_login",
      "network/connection",
      "dns/dns_query",
      "web/http_request",
      "auth/sudo",
    ]
  ) {
    assert.ok(actions.has(a), `missing ${a}`);
  }
  for (const e of events) {
    const t = Date.parse(e.ts);
    assert.ok(t <= end && t >= end - 3 * 3_600_000, e.ts);
  }
  const ids = new Set(events.map((e) => e.event_id));
  for (const a of alerts) {
    for (const id of a.evidence.event_ids) assert.ok(ids.has(id));
  }
  assert.ok(
    new Set(alerts.map((a) => a.rule.id)).size >= SEED_RULES.length - 1,
  );
  // Same seed, same data.
  assert.deepEqual(
    seedRecords({ events: 20, alerts: 5, seed: 7, endMs: end }),
    seedRecords({ events: 20, alerts: 5, seed: 7, endMs: end }),
  );
});

Deno.test("sentinel-demo-seed fills a chDB store that the query command reads", async () => {
  const dir = await Deno.makeTempDir({ prefix: "demo_seed_" });
  try {
    const o = await demoSeed([
      "--out",
      `chdb:${dir}`,
      "--events",
      "300",
      "--alerts",
      "50",
      "--seed",
      "3",
    ]);
    assert.equal(o.code, 0, new TextDecoder().decode(o.stderr));
    const rows = await queryRows(
      `chdb:${dir}`,
      "SELECT (SELECT count() FROM sentinel.events FINAL) AS events, (SELECT count() FROM sentinel.alerts FINAL) AS alerts, (SELECT count() FROM sentinel.events WHERE ts < now64() - INTERVAL 3 HOUR - INTERVAL 1 MINUTE) AS too_old",
    );
    assert.deepEqual(rows, [{ events: 300, alerts: 50, too_old: 0 }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("demo-seed alerts use the rule ids, titles, levels and tags the project's pack and the anomaly detector report", async () => {
  // The detector's own loader over the pack it runs by default.
  const pack = await loadRuleSet([
    fileURLToPath(new URL("../../sigma", import.meta.url)),
  ]);
  assert.deepEqual(pack.errors, []);
  const live = new Map<
    string,
    { meta: RuleMeta; kind: string; groupBy?: string[] }
  >();
  for (const r of pack.rules) {
    if (r.generate) live.set(r.meta.id, { meta: r.meta, kind: "sigma" });
  }
  for (const c of pack.correlations) {
    if (c.generate) {
      live.set(c.meta.id, {
        meta: c.meta,
        kind: "correlation",
        groupBy: c.groupBy,
      });
    }
  }
  for (const rule of SEED_RULES) {
    if (rule.kind === "anomaly") {
      assert.equal(rule.id, ANOMALY_RULE_ID);
      assert.equal(rule.title, ANOMALY_RULE_TITLE);
      assert.deepEqual(rule.tags, []);
      continue;
    }
    const found = live.get(rule.id);
    assert.ok(
      found,
      `${rule.id} "${rule.title}" is no alerting rule of sigma/`,
    );
    assert.equal(rule.title, found.meta.title);
    assert.equal(rule.level, found.meta.level, rule.title);
    assert.deepEqual(rule.tags, found.meta.tags, rule.title);
    assert.equal(rule.kind, found.kind, rule.title);
    assert.ok(found.meta.file.endsWith(`/sigma/${rule.file}`), rule.title);
    if (found.groupBy) assert.deepEqual(rule.groupBy, found.groupBy);
  }
  const { alerts } = seedRecords({ alerts: 300, seed: 11, endMs: 1e12 });
  const anomalyLevels = new Set<string>();
  for (const a of alerts) {
    const rule = SEED_RULES.find((r) => r.id === a.rule.id);
    assert.ok(rule, a.rule.id);
    assert.equal(a.rule.title, rule.title);
    assert.equal(a.kind, rule.kind);
    assert.deepEqual(a.rule.tags, rule.tags);
    // Tactics spelled as the detector spells them (credential-access).
    assert.deepEqual(a.mitre, mitreFromTags(rule.tags));
    assert.equal(a.entity.type, rule.groupBy[0]);
    if (rule.kind === "anomaly") {
      assert.equal(a.severity, anomalySeverity(a.score!, a.threshold!));
      anomalyLevels.add(a.severity);
    } else assert.equal(a.severity, rule.level);
    assert.equal(a.rule.level, a.severity);
  }
  assert.ok(alerts.some((a) => a.mitre.tactics.includes("credential-access")));
  assert.ok(anomalyLevels.size > 0);
});

Deno.test("demo-seed event ids depend on the seed, the tenant and the end time, not on the seed alone", () => {
  const end = Date.parse("2026-11-24T12:00:00.000Z");
  const ids = (o: { tenant?: string; endMs: number }) =>
    seedRecords({ events: 50, alerts: 0, seed: 7, ...o }).events.map((e) =>
      e.event_id
    );
  const first = ids({ endMs: end });
  // The same seeding again: the same ids (the store collapses it).
  assert.deepEqual(ids({ endMs: end }), first);
  // A second tenant or a later run: none of the first run's ids.
  for (
    const other of [
      ids({ tenant: "acme", endMs: end }),
      ids({ endMs: end + 60_000 }),
    ]
  ) {
    assert.equal(other.filter((id) => first.includes(id)).length, 0);
  }
  assert.equal(new Set(first).size, first.length);
});

Deno.test("sentinel-demo-seed for a second tenant or another time adds distinct events; repeating a seeding with the same --end replaces it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "demo_seed_tenants_" });
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const seed = async (tenant: string, endMs: number) => {
    const o = await demoSeed([
      "--out",
      `chdb:${dir}`,
      "--events",
      "100",
      "--alerts",
      "10",
      "--tenant",
      tenant,
      "--end",
      new Date(endMs).toISOString(),
    ]);
    assert.equal(o.code, 0, new TextDecoder().decode(o.stderr));
  };
  try {
    await seed("default", now);
    await seed("acme", now);
    await seed("default", now); // the same seeding again
    await seed("default", now - 3_600_000); // an hour earlier
    // What the dashboards' "Events" stat counts: distinct event ids.
    const rows = await queryRows(
      `chdb:${dir}`,
      "SELECT (SELECT count() FROM sentinel.events FINAL) AS rows, (SELECT uniqExact(event_id) FROM sentinel.events) AS ids, (SELECT uniqMerge(events) FROM sentinel.events_per_minute) AS events_stat",
    );
    assert.deepEqual(rows, [{ rows: 300, ids: 300, events_stat: 300 }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sentinel-demo-seed --out - | head: a closed pipe stops it at once (exit 1, the reason), with no retries", async () => {
  const child = demoSeedCommand(["--out", "-"]).spawn();
  const stderr = new Response(child.stderr).text();
  // Like `head -n 1`: one line, then the pipe closes.
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let got = "";
  while (!got.includes("\n")) got += (await reader.read()).value ?? "";
  await reader.cancel();
  // Before the fix it backed off 9 times (~25 s) before giving up.
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  const { code, signal } = await child.status;
  clearTimeout(timer);
  const log = await stderr;
  assert.equal(signal, null, `still retrying after 15 s:\n${log}`);
  assert.equal(code, 1, log);
  assert.match(log, /the reader closed the pipe/);
  assert.doesNotMatch(log, /retrying/);
});
