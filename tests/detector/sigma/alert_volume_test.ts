/**
 * How many alerts an incident raises: single-event suppression per entity
 * and host, correlation alerts once per ongoing incident, the window an
 * alert reports, and the pack telling spraying from brute force.
 */
import assert from "node:assert/strict";
import { at, event, rulesFrom, runAll } from "./_helpers.ts";

const USER_CREATED = `title: New Local User Created
id: 1a54bc09-4a54-4d8a-9579-8734aa8878c9
logsource: {}
detection:
  selection:
    action: user_created
  condition: selection
level: medium
`;

function userCreated(s: number, host: string, target: string) {
  return event({
    ts: at(s),
    category: "iam",
    action: "user_created",
    outcome: "success",
    host: { name: host },
    user: { target: { name: target } },
  });
}

Deno.test("single-event suppression: the same account created on two hosts 3 s apart raises one alert per host", () => {
  const set = rulesFrom(USER_CREATED);
  assert.deepEqual(set.errors, []);
  const { alerts } = runAll(set, [
    userCreated(28, "db-01", "svc-backup"),
    userCreated(31, "web-02", "svc-backup"),
    // The same host again within the window stays suppressed.
    userCreated(40, "db-01", "svc-backup"),
  ], { singleSuppressMs: 60_000 });
  assert.equal(alerts.length, 2, alerts.map((a) => a.message).join("; "));
  // The entity stays the account; the host is named in the message.
  for (const a of alerts) {
    assert.deepEqual(a.entity, {
      type: "user.target.name",
      value: "svc-backup",
    });
  }
  assert.match(alerts[0].message, /svc-backup on db-01/);
  assert.match(alerts[1].message, /svc-backup on web-02/);
  assert.notEqual(alerts[0].alert_id, alerts[1].alert_id);
});

const PORT_SCAN = `title: Connection
id: 22222222-2222-4222-8222-222222222222
name: connection
logsource: {}
detection:
  selection:
    action: connection
  condition: selection
level: informational
---
title: Port Scan
id: 9da380b9-6c08-48a5-ad48-da9af3c5801c
correlation:
  type: value_count
  rules:
    - connection
  group-by:
    - source.ip
  timespan: 1m
  condition:
    field: destination.port
    gte: 20
level: medium
`;

/** One probe a second from `src` for `seconds`, each to a new port. */
function scan(src: string, fromS: number, seconds: number) {
  return Array.from({ length: seconds }, (_, i) =>
    event({
      ts: at(fromS + i),
      // Received as it happens (a later ts would be clamped to it + 15 min).
      received_at: at(fromS + i),
      category: "network",
      action: "connection",
      source: { ip: src },
      destination: { ip: "10.0.0.5", port: 1000 + i },
    }));
}

/** The CLI's defaults for correlation alerting (10 min quiet, 1 h re-alert). */
const CLI_ALERTING = { suppressMs: 600_000, realertMs: 3_600_000 };

Deno.test("correlation: a 20-minute port scan raises one alert, not one per timespan", () => {
  const set = rulesFrom(PORT_SCAN);
  assert.deepEqual(set.errors, []);
  const { alerts, detector } = runAll(set, scan("45.155.205.44", 0, 1200), {
    ...CLI_ALERTING,
  });
  assert.equal(alerts.length, 1, alerts.map((a) => a.message).join("; "));
  assert.equal(alerts[0].entity.value, "45.155.205.44");
  const corr = detector.stats().correlation as Record<string, number>;
  assert.ok(corr.suppressed > 1000, JSON.stringify(corr));
});

Deno.test("correlation: two port scans an hour apart are two incidents, two alerts", () => {
  const set = rulesFrom(PORT_SCAN);
  const { alerts } = runAll(set, [
    ...scan("45.155.205.44", 0, 300),
    ...scan("45.155.205.44", 3900, 300),
  ], CLI_ALERTING);
  assert.equal(alerts.length, 2, alerts.map((a) => a.window!.start).join("; "));
  assert.ok(alerts[1].window!.start >= at(3900), alerts[1].window!.start);
});

Deno.test("correlation: a scan still going after --realert-interval is raised again with the updated count", () => {
  const set = rulesFrom(PORT_SCAN);
  const { alerts } = runAll(set, scan("45.155.205.44", 0, 1200), {
    suppressMs: 600_000,
    realertMs: 600_000,
  });
  // 10:00:19 (20 ports), then 10 min later, then 10 min after that.
  assert.equal(alerts.length, 2, alerts.map((a) => a.window!.end).join("; "));
  assert.equal(alerts[0].window!.end, at(19));
  assert.equal(alerts[1].window!.end, at(619));
  // The later alert counts the full one-minute window of the ongoing scan.
  assert.equal(alerts[0].evidence.count, 20);
  assert.equal(alerts[1].evidence.count, 61);
  // ... and says it is the same incident: since when, and how often the
  // condition held while silenced (every port probed from 10:00:20 to
  // 10:10:18, one per second: 599 times).
  assert.doesNotMatch(alerts[0].message, /ongoing/);
  assert.match(
    alerts[1].message,
    new RegExp(
      `; ongoing since ${
        at(0).replace(/[.]/g, "\\.")
      }, the condition held 599 more times since the last alert$`,
    ),
  );
});

Deno.test("correlation: after a quiet spell the next scan is a new incident, not 'ongoing'", () => {
  const set = rulesFrom(PORT_SCAN);
  const { alerts } = runAll(set, [
    ...scan("45.155.205.44", 0, 120),
    ...scan("45.155.205.44", 3900, 120),
  ], { suppressMs: 600_000, realertMs: 600_000 });
  assert.equal(alerts.length, 2);
  for (const a of alerts) assert.doesNotMatch(a.message, /ongoing/);
});

const LONG_LABEL = `title: DNS Query With Very Long Label
id: 33333333-3333-4333-8333-333333333333
logsource: {}
detection:
  selection:
    dns.question.name|re: '(?:^|\\.)[A-Za-z0-9_-]{40,}(?:\\.|$)'
  condition: selection
level: medium
`;

function tunnelQuery(s: number, src: string) {
  return event({
    ts: at(s),
    received_at: at(s),
    category: "dns",
    action: "dns_query",
    host: { name: "dns-01" },
    source: { ip: src },
    dns: { question: { name: `${"a".repeat(50)}${s}.exfil.example` } },
  });
}

Deno.test("single-event: a DNS tunnel querying every 20 s for 20 minutes raises one alert; after a quiet hour, another", () => {
  const set = rulesFrom(LONG_LABEL);
  assert.deepEqual(set.errors, []);
  const events = [];
  for (let s = 0; s < 1200; s += 20) events.push(tunnelQuery(s, "10.10.20.23"));
  for (let s = 4800; s < 4900; s += 20) {
    events.push(tunnelQuery(s, "10.10.20.23"));
  }
  const { alerts } = runAll(set, events, {
    singleSuppressMs: 60_000,
    ...CLI_ALERTING,
  });
  assert.equal(alerts.length, 2, alerts.map((a) => a.ts).join("; "));
  assert.equal(alerts[0].ts, at(0));
  assert.equal(alerts[1].ts, at(4800));
});

Deno.test("single-event: re-raised after --realert-interval, the alert counts the matches since the last one", () => {
  const set = rulesFrom(LONG_LABEL);
  const events = [];
  for (let s = 0; s < 1200; s += 20) events.push(tunnelQuery(s, "10.10.20.23"));
  const { alerts } = runAll(set, events, {
    singleSuppressMs: 60_000,
    realertMs: 600_000,
  });
  assert.deepEqual(alerts.map((a) => a.ts), [at(0), at(600)]);
  // 29 silenced matches (20 s … 580 s) plus the one re-raised.
  assert.equal(alerts[1].evidence.count, 30);
  assert.equal(alerts[1].window!.start, at(0));
  assert.equal(alerts[1].window!.end, at(600));
});

const BRUTE_THEN_LOGIN = `title: Failed
id: 44444444-4444-4444-8444-444444444441
name: failed
logsource: {}
detection:
  selection:
    action: ssh_login
    outcome: failure
  condition: selection
level: low
---
title: Accepted
id: 44444444-4444-4444-8444-444444444442
name: accepted
logsource: {}
detection:
  selection:
    action: ssh_login
    outcome: success
  condition: selection
level: low
---
title: Brute Force Stage
id: 44444444-4444-4444-8444-444444444443
name: stage
correlation:
  type: event_count
  rules:
    - failed
  group-by:
    - source.ip
  timespan: 5m
  condition:
    gte: 10
level: high
---
title: SSH Brute Force Followed By Successful Login
id: 44444444-4444-4444-8444-444444444444
correlation:
  type: temporal_ordered
  rules:
    - stage
    - accepted
  group-by:
    - source.ip
  timespan: 10m
level: critical
`;

function sshLogin(s: number, outcome: string) {
  return event({
    ts: at(s),
    received_at: at(s),
    category: "auth",
    action: "ssh_login",
    outcome,
    source: { ip: "103.99.0.206" },
    user: { name: "root" },
  });
}

Deno.test("temporal_ordered: the alert window spans its evidence, the brute force included, not just from the stage's alert on", () => {
  const set = rulesFrom(BRUTE_THEN_LOGIN);
  assert.deepEqual(set.errors, []);
  const events = [];
  for (let s = 12; s < 50; s += 4) events.push(sshLogin(s, "failure"));
  events.push(sshLogin(72, "success"));
  const { alerts } = runAll(set, events);
  const chain = alerts.filter((a) =>
    a.rule.title === "SSH Brute Force Followed By Successful Login"
  );
  assert.equal(chain.length, 1, alerts.map((a) => a.rule.title).join("; "));
  // Ten failures from 10:00:12 to 10:00:48, the login at 10:01:12.
  assert.equal(chain[0].evidence.count, 11);
  assert.deepEqual(chain[0].window, { start: at(12), end: at(72) });
});
