/**
 * Correlation rules over event time: thresholds within sliding windows,
 * out-of-order events within the lateness allowance, late events beyond it,
 * eviction under the memory cap, every correlation type, aliases,
 * chaining, generate, suppression, filters, and schema-valid alerts.
 */
import assert from "node:assert/strict";
import { validatorFor } from "../../../stages/shared/contracts/mod.ts";
import type { EnrichedEvent } from "../../../stages/shared/contracts/mod.ts";
import { at, event, rulesFrom, runAll } from "./_helpers.ts";

const BASE = `title: Failed Login
id: 10000000-0000-4000-8000-000000000001
name: failed_login
logsource: {}
detection:
  sel:
    action: ssh_login
    outcome: failure
  condition: sel
level: low
`;

const SUCCESS = `title: Login Success
id: 10000000-0000-4000-8000-000000000002
name: login_success
logsource: {}
detection:
  sel:
    action: ssh_login
    outcome: success
  condition: sel
level: low
`;

function corr(body: string, extra = ""): string {
  return `title: Correlation
id: 20000000-0000-4000-8000-000000000001
name: corr
tags: [attack.credential-access, attack.t1110.001]
correlation:
${body.split("\n").map((l) => "  " + l).join("\n")}
${extra}level: high
`;
}

const EVENT_COUNT = corr(`type: event_count
rules: [failed_login]
group-by: [source.ip]
timespan: 5m
condition:
  gte: 10`);

function fail(
  sec: number,
  ip = "203.0.113.9",
  extra: Record<string, unknown> = {},
): EnrichedEvent {
  return event({
    ts: at(sec),
    action: "ssh_login",
    outcome: "failure",
    source: { ip },
    user: { name: "admin" },
    ...extra,
  });
}

function ok(sec: number, ip = "203.0.113.9"): EnrichedEvent {
  return event({
    ts: at(sec),
    action: "ssh_login",
    outcome: "success",
    source: { ip },
  });
}

const range = (n: number, f: (i: number) => EnrichedEvent) =>
  Array.from({ length: n }, (_, i) => f(i));

Deno.test("event_count: 10 failures in 5 minutes raise one schema-valid alert", () => {
  const set = rulesFrom(BASE + "---\n" + EVENT_COUNT);
  assert.deepEqual(set.errors, []);
  const events = range(10, (i) => fail(i * 5));
  const { alerts } = runAll(set, events);
  assert.equal(alerts.length, 1);
  const a = alerts[0];
  assert.equal(validatorFor("alert")(a), null);
  assert.equal(a.kind, "correlation");
  assert.equal(a.rule.id, "20000000-0000-4000-8000-000000000001");
  assert.deepEqual(a.group, { "source.ip": "203.0.113.9" });
  assert.deepEqual(a.entity, { type: "source.ip", value: "203.0.113.9" });
  assert.equal(a.evidence.count, 10);
  assert.deepEqual(a.evidence.event_ids, events.map((e) => e.event_id));
  assert.deepEqual(a.window, { start: at(0), end: at(45) });
  assert.deepEqual(a.mitre, {
    tactics: ["credential-access"],
    techniques: ["T1110.001"],
  });
  // Replaying the same input gives the same alert id.
  const again = runAll(set, events).alerts;
  assert.equal(again[0].alert_id, a.alert_id);
});

Deno.test("event_count: nine failures, or ten spread beyond the timespan, raise nothing", () => {
  const set = rulesFrom(BASE + "---\n" + EVENT_COUNT);
  assert.equal(runAll(set, range(9, (i) => fail(i))).alerts.length, 0);
  assert.equal(runAll(set, range(10, (i) => fail(i * 40))).alerts.length, 0);
  // Ten failures split over two sources.
  assert.equal(
    runAll(
      set,
      range(10, (i) => fail(i, i % 2 ? "198.51.100.1" : "198.51.100.2")),
    ).alerts.length,
    0,
  );
});

Deno.test("event_count: groups are per tenant", () => {
  const set = rulesFrom(BASE + "---\n" + EVENT_COUNT);
  const events = range(
    10,
    (i) => fail(i, "203.0.113.9", { tenant: i % 2 ? "acme" : "globex" }),
  );
  assert.equal(runAll(set, events).alerts.length, 0);
});

Deno.test("out-of-order events within the lateness allowance count as if in order", () => {
  const set = rulesFrom(BASE + "---\n" + EVENT_COUNT);
  const ordered = range(10, (i) => fail(i * 3));
  const shuffled = [
    ordered[9],
    ordered[3],
    ordered[0],
    ordered[7],
    ordered[1],
    ordered[8],
    ordered[2],
    ordered[6],
    ordered[4],
    ordered[5],
  ];
  const { alerts, detector } = runAll(set, shuffled, { latenessMs: 60_000 });
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].evidence.count, 10);
  assert.deepEqual(alerts[0].window, { start: at(0), end: at(27) });
  const st = detector.stats() as { correlation: { late_dropped: number } };
  assert.equal(st.correlation.late_dropped, 0);
});

Deno.test("a late event completes an earlier window when within the allowance", () => {
  const set = rulesFrom(BASE + "---\n" + EVENT_COUNT);
  const events = [...range(9, (i) => fail(i)), fail(200), fail(4)];
  assert.equal(runAll(set, events, { latenessMs: 600_000 }).alerts.length, 1);
});

Deno.test("events later than the allowance are dropped and counted", () => {
  const set = rulesFrom(BASE + "---\n" + EVENT_COUNT);
  const events = [...range(9, (i) => fail(600 + i)), fail(0)];
  const { alerts, detector } = runAll(set, events, { latenessMs: 60_000 });
  assert.equal(alerts.length, 0);
  const st = detector.stats() as { correlation: { late_dropped: number } };
  assert.equal(st.correlation.late_dropped, 1);
});

Deno.test("state stays under the memory cap by evicting least-recently-touched groups", () => {
  const set = rulesFrom(BASE + "---\n" + EVENT_COUNT);
  const cap = 64 * 1024;
  const events = range(
    5000,
    (i) => fail(i * 0.01, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`),
  );
  const { detector } = runAll(set, events, { memoryCapBytes: cap });
  const st = detector.stats() as {
    correlation: {
      groups: number;
      evicted_groups: number;
      state_bytes_estimate: number;
    };
  };
  assert.ok(
    st.correlation.evicted_groups > 4000,
    `evicted ${st.correlation.evicted_groups}`,
  );
  assert.ok(st.correlation.state_bytes_estimate <= cap);
  assert.ok(st.correlation.groups < 400);
  // A group still held keeps counting after the churn.
  const hot = range(10, (i) => fail(60 + i, "203.0.113.77"));
  const after = runAll(set, [...events, ...hot], { memoryCapBytes: cap });
  assert.equal(after.alerts.length, 1);
});

Deno.test("suppression: one alert per rule and group per timespan", () => {
  const set = rulesFrom(BASE + "---\n" + EVENT_COUNT);
  const first = range(30, (i) => fail(i));
  assert.equal(runAll(set, first).alerts.length, 1);
  // After the window plus suppression passed, an ongoing attack alerts again.
  const later = range(10, (i) => fail(700 + i));
  const { alerts } = runAll(set, [...first, ...later], { latenessMs: 1000 });
  assert.equal(alerts.length, 2);
  assert.notEqual(alerts[0].alert_id, alerts[1].alert_id);
});

Deno.test("value_count: distinct values of a field", () => {
  const set = rulesFrom(
    BASE + "---\n" + corr(`type: value_count
rules: [failed_login]
group-by: [source.ip]
timespan: 10m
condition:
  field: user.name
  gte: 5`),
  );
  assert.deepEqual(set.errors, []);
  const users = (names: string[]) =>
    names.map((u, i) => fail(i, "203.0.113.5", { user: { name: u } }));
  assert.equal(runAll(set, users(["a", "b", "c", "d", "e"])).alerts.length, 1);
  assert.equal(
    runAll(set, users(["a", "A", "b", "c", "d", "d"])).alerts.length,
    0,
    "case-insensitive distinct",
  );
});

Deno.test("value_sum, value_avg and value_percentile", () => {
  const flows = (bytes: number[]) =>
    bytes.map((b, i) =>
      event({
        ts: at(i),
        action: "connection",
        source: { ip: "10.0.0.1", bytes: b },
      })
    );
  const base = `title: Flow
id: 10000000-0000-4000-8000-000000000009
name: flow
logsource: {}
detection:
  sel:
    action: connection
  condition: sel
`;
  const mk = (type: string, cond: string) =>
    rulesFrom(
      base + "---\n" + corr(`type: ${type}
rules: [flow]
group-by: [source.ip]
timespan: 10m
condition:
${cond.split("\n").map((l) => "  " + l).join("\n")}`),
    );
  const sum = mk("value_sum", "field: source.bytes\ngte: 1000");
  assert.equal(runAll(sum, flows([400, 400, 300])).alerts.length, 1);
  assert.equal(runAll(sum, flows([400, 400])).alerts.length, 0);
  const avg = mk("value_avg", "field: source.bytes\ngt: 500");
  assert.equal(runAll(avg, flows([100, 100])).alerts.length, 0);
  assert.equal(runAll(avg, flows([100, 1000, 1000])).alerts.length, 1);
  // Nearest rank: p95 of ten values is the largest, p50 the fifth.
  const p95 = mk(
    "value_percentile",
    "field: source.bytes\npercentile: 95\ngte: 900",
  );
  assert.equal(
    runAll(p95, flows([1, 2, 3, 4, 5, 6, 7, 8, 9, 950])).alerts.length,
    1,
  );
  const p50 = mk(
    "value_percentile",
    "field: source.bytes\npercentile: 50\ngte: 900",
  );
  assert.equal(
    runAll(p50, flows([1, 2, 3, 4, 5, 6, 7, 8, 9, 950])).alerts.length,
    0,
  );
  const range2 = mk("value_sum", "field: source.bytes\ngte: 100\nlt: 200");
  assert.equal(
    runAll(range2, flows([50, 60])).alerts.length,
    1,
    "range condition",
  );
});

Deno.test("temporal needs every rule in the window; temporal_ordered also their order", () => {
  const temporal = rulesFrom(
    BASE + "---\n" + SUCCESS + "---\n" + corr(`type: temporal
rules: [failed_login, login_success]
group-by: [source.ip]
timespan: 1m`),
  );
  const ordered = rulesFrom(
    BASE + "---\n" + SUCCESS + "---\n" + corr(`type: temporal_ordered
rules: [failed_login, login_success]
group-by: [source.ip]
timespan: 1m`),
  );
  assert.deepEqual(ordered.errors, []);
  assert.equal(runAll(temporal, [ok(0), fail(10)]).alerts.length, 1);
  assert.equal(runAll(ordered, [ok(0), fail(10)]).alerts.length, 0);
  assert.equal(runAll(ordered, [fail(0), ok(10)]).alerts.length, 1);
  assert.equal(
    runAll(ordered, [fail(0), ok(120)]).alerts.length,
    0,
    "outside the timespan",
  );
});

Deno.test("aliases map one group name onto different fields per rule", () => {
  const set = rulesFrom(
    BASE + "---\n" + SUCCESS + "---\n" + corr(`type: temporal_ordered
rules: [failed_login, login_success]
group-by: [ip]
timespan: 1m
aliases:
  ip:
    failed_login: source.ip
    login_success: destination.ip`),
  );
  assert.deepEqual(set.errors, []);
  const success = event({
    ts: at(5),
    action: "ssh_login",
    outcome: "success",
    destination: { ip: "203.0.113.9" },
  });
  const { alerts } = runAll(set, [fail(0), success]);
  assert.equal(alerts.length, 1);
  assert.deepEqual(alerts[0].group, { ip: "203.0.113.9" });
});

Deno.test("aliases are keyed by rule name also when rules: lists ids", () => {
  const set = rulesFrom(
    BASE + "---\n" + SUCCESS + "---\n" + corr(`type: temporal_ordered
rules:
  - 10000000-0000-4000-8000-000000000001
  - 10000000-0000-4000-8000-000000000002
group-by: [ip]
timespan: 1m
aliases:
  ip:
    failed_login: source.ip
    login_success: destination.ip`),
  );
  assert.deepEqual(set.errors, []);
  const success = event({
    ts: at(5),
    action: "ssh_login",
    outcome: "success",
    destination: { ip: "203.0.113.9" },
  });
  const { alerts } = runAll(set, [fail(0), success]);
  assert.equal(alerts.length, 1);
  assert.deepEqual(alerts[0].group, { ip: "203.0.113.9" });
  // A rule the alias does not name is still an error, with its name.
  const missing = rulesFrom(
    BASE + "---\n" + SUCCESS + "---\n" + corr(`type: temporal
rules: [10000000-0000-4000-8000-000000000001, login_success]
group-by: [ip]
timespan: 1m
aliases:
  ip:
    login_success: destination.ip`),
  );
  assert.equal(missing.correlations.length, 0);
  assert.match(
    missing.errors[0].reason,
    /alias ip has no field for rule '10000000-0000-4000-8000-000000000001' \(nor for 'failed_login'/,
  );
});

Deno.test("chaining: a correlation can feed another correlation", () => {
  const chain = BASE + "---\n" + SUCCESS + "---\n" + EVENT_COUNT + "---\n" +
    `title: Brute Force Then Success
id: 20000000-0000-4000-8000-000000000002
correlation:
  type: temporal_ordered
  rules: [corr, login_success]
  group-by: [source.ip]
  timespan: 10m
level: critical
`;
  const set = rulesFrom(chain);
  assert.deepEqual(set.errors, []);
  const { alerts } = runAll(set, [...range(12, (i) => fail(i)), ok(30)]);
  // Sigma correlation spec: a referenced (inner) correlation produces no
  // output of its own unless the referencing one says generate: true.
  assert.deepEqual(alerts.map((a) => a.rule.title), [
    "Brute Force Then Success",
  ]);
  const final = alerts[0];
  assert.equal(
    final.evidence.count,
    11,
    "ten failures from the first stage plus the success",
  );
  assert.equal(
    runAll(set, [...range(5, (i) => fail(i)), ok(30)]).alerts.length,
    0,
  );
});

Deno.test("chaining: generate: true on the outer correlation lets the inner one alert too", () => {
  const outer = (generate: string) =>
    `title: Brute Force Then Success
id: 20000000-0000-4000-8000-000000000002
correlation:
  type: temporal_ordered
  rules: [corr, login_success]
  group-by: [source.ip]
  timespan: 10m
${generate}level: critical
`;
  const chain = (generate: string) =>
    rulesFrom(
      BASE + "---\n" + SUCCESS + "---\n" + EVENT_COUNT + "---\n" +
        outer(generate),
    );
  const events = [...range(12, (i) => fail(i)), ok(30)];
  const loud = chain("  generate: true\n");
  assert.deepEqual(loud.errors, []);
  const { alerts } = runAll(loud, events);
  assert.deepEqual(
    alerts.filter((a) => a.kind === "correlation").map((a) => a.rule.title),
    ["Correlation", "Brute Force Then Success"],
  );
  // The inner correlation alone (nothing references it) always alerts.
  const alone = rulesFrom(BASE + "---\n" + EVENT_COUNT);
  assert.equal(runAll(alone, events.slice(0, 12)).alerts.length, 1);
});

Deno.test("generate: referenced rules alert on their own only with generate: true", () => {
  const quiet = rulesFrom(BASE + "---\n" + EVENT_COUNT);
  assert.equal(runAll(quiet, [fail(0)]).alerts.length, 0);
  const loud = rulesFrom(
    BASE + "---\n" +
      EVENT_COUNT.replace("  gte: 10", "  gte: 10\n  generate: true"),
  );
  assert.deepEqual(loud.errors, []);
  const { alerts } = runAll(loud, [fail(0)]);
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].kind, "sigma");
});

Deno.test("generate: also read at the top level of the correlation document (schema placement)", () => {
  const top = rulesFrom(
    BASE + "---\n" +
      EVENT_COUNT.replace("level: high", "generate: true\nlevel: high"),
  );
  assert.deepEqual(top.errors, []);
  const { alerts } = runAll(top, [fail(0)]);
  assert.deepEqual(alerts.map((a) => a.kind), ["sigma"]);
});

Deno.test("correlation errors are reported with file, id and reason", () => {
  const set = rulesFrom(
    BASE + "---\n" + corr(`type: event_count
rules: [no_such_rule]
group-by: [source.ip]
timespan: 5m
condition:
  gte: 10`) + "---\n" + corr(`type: event_count
rules: [failed_login]
timespan: 5 minutes
condition:
  gte: 1`).replace(
      "20000000-0000-4000-8000-000000000001",
      "20000000-0000-4000-8000-00000000000f",
    ),
    "c.yml",
  );
  assert.equal(set.correlations.length, 0);
  assert.deepEqual(set.errors.map((e) => [e.file, e.ruleId]), [
    ["c.yml", "20000000-0000-4000-8000-000000000001"],
    ["c.yml", "20000000-0000-4000-8000-00000000000f"],
  ]);
  assert.match(set.errors[0].reason, /unknown rule 'no_such_rule'/);
  assert.match(set.errors[1].reason, /timespan/);
});

Deno.test("Sigma filters suppress matches of the rules they name", () => {
  const filter = `title: Ignore the scanner
id: 30000000-0000-4000-8000-000000000001
logsource: {}
filter:
  rules: [failed_login]
  scanner:
    source.ip: 10.9.9.9
  condition: not scanner
`;
  const set = rulesFrom(
    BASE.replace("level: low", "level: low\n") + "---\n" + filter,
  );
  assert.deepEqual(set.errors, []);
  assert.equal(set.filters, 1);
  assert.equal(runAll(set, [fail(0, "10.9.9.9")]).alerts.length, 0);
  assert.equal(runAll(set, [fail(0, "10.9.9.8")]).alerts.length, 1);
});

Deno.test("single-event suppression per rule and entity within a window", () => {
  const set = rulesFrom(BASE);
  const events = [fail(0), fail(10), fail(20, "198.51.100.3"), fail(100)];
  assert.equal(runAll(set, events).alerts.length, 4);
  const { alerts } = runAll(set, events, { singleSuppressMs: 60_000 });
  assert.deepEqual(alerts.map((a) => a.entity.value), [
    "203.0.113.9",
    "198.51.100.3",
    "203.0.113.9",
  ]);
  for (const a of alerts) assert.equal(validatorFor("alert")(a), null);
});
