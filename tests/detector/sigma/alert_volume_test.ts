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
