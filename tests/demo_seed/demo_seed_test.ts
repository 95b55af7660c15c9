import assert from "node:assert/strict";
import { validateRecord } from "../../stages/shared/contracts/mod.ts";
import { SEED_RULES, seedRecords } from "../../stages/demo_seed/mod.ts";
import { queryRows } from "../sink/_run.ts";

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
    const o = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../../cli/sentinel-demo-seed.ts", import.meta.url).pathname,
        "--out",
        `chdb:${dir}`,
        "--events",
        "300",
        "--alerts",
        "50",
        "--seed",
        "3",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
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
