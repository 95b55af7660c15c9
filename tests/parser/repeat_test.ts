/**
 * rsyslog's `message repeated N times: [ … ]` (default on Debian/Ubuntu):
 * the inner message is classified as if it stood alone and the line gives
 * N events with stable derived ids, so a brute force compressed by syslog
 * still raises the brute-force alerts. `last message repeated N times`
 * names no message and stays one unclassified event with the count.
 */
import assert from "node:assert/strict";
import type {
  Alert,
  EnrichedEvent,
} from "../../stages/shared/contracts/mod.ts";
import { validateRecord } from "../../stages/shared/contracts/mod.ts";
import type { AnyRecord } from "../../stages/shared/records.ts";
import { createParser } from "../../stages/parser/mod.ts";
import { isUuid } from "../../stages/parser/envelope.ts";
import { DetectorTransform } from "../../stages/detector/transform.ts";
import { loadRuleSet, SigmaDetector } from "../../stages/detector/sigma/mod.ts";
import { runStage } from "../../scripts/kafka/stage_proc.ts";
import { rawEvent, runParser, runParserCli } from "./_helpers.ts";

const FAILED_40001 =
  "Failed password for root from 198.51.100.7 port 40001 ssh2";
const FAILED_40002 =
  "Failed password for root from 198.51.100.7 port 40002 ssh2";

/** The reviewer's reproducer: 12 failed root passwords, then an Accepted. */
const REVIEWER_LINES = [
  `Nov 20 10:00:01 web1 sshd[5001]: ${FAILED_40001}`,
  `Nov 20 10:00:04 web1 sshd[5001]: message repeated 5 times: [ ${FAILED_40001}]`,
  `Nov 20 10:00:10 web1 sshd[5002]: ${FAILED_40002}`,
  `Nov 20 10:00:14 web1 sshd[5002]: message repeated 5 times: [ ${FAILED_40002}]`,
  "Nov 20 10:01:00 web1 sshd[5003]: Accepted password for root from 198.51.100.7 port 40003 ssh2",
];

function events(out: AnyRecord[]): EnrichedEvent[] {
  for (const r of out) assert.equal(validateRecord(r), null, JSON.stringify(r));
  return out.filter((r) => r.record === "enriched_event") as EnrichedEvent[];
}

/** The event minus what a repeat changes (ids, repeat fields, payload). */
function classified(e: EnrichedEvent): Record<string, unknown> {
  const fields = { ...e.fields };
  for (const k of Object.keys(fields)) {
    if (k.startsWith("syslog.repeat") || k === "parser.repeats_emitted") {
      delete fields[k];
    }
  }
  const { event_id: _id, payload: _p, ...rest } = e;
  return { ...rest, fields };
}

Deno.test("repeat: sshd inner message is classified as if it stood alone, N events", () => {
  const alone = rawEvent(`Nov 20 10:00:04 web1 sshd[5001]: ${FAILED_40001}`);
  const line = rawEvent(
    `Nov 20 10:00:04 web1 sshd[5001]: message repeated 5 times: [ ${FAILED_40001}]`,
  );
  const [single] = events(runParser([alone]));
  const out = events(runParser([line]));
  assert.equal(out.length, 5);
  assert.equal(single.action, "ssh_login");
  assert.equal(single.outcome, "failure");
  for (const [i, e] of out.entries()) {
    assert.deepEqual(classified(e), classified(single), `copy ${i + 1}`);
    assert.equal(e.fields["syslog.repeated"], "5");
    assert.equal(e.fields["syslog.repeat_index"], String(i + 1));
    assert.equal(e.payload, line.payload, "the original line is kept");
  }
  // The first keeps the line's id; the others are distinct UUIDs tied to it.
  assert.equal(out[0].event_id, line.event_id);
  assert.equal(out[0].fields["syslog.repeat_of"], undefined);
  const ids = new Set(out.map((e) => e.event_id));
  assert.equal(ids.size, 5);
  for (const e of out.slice(1)) {
    assert.ok(isUuid(e.event_id), e.event_id);
    assert.equal(e.fields["syslog.repeat_of"], line.event_id);
  }
});

Deno.test("repeat: derived ids are the same on a replay and differ per line", () => {
  const line = rawEvent(
    `Nov 20 10:00:04 web1 sshd[5001]: message repeated 3 times: [ ${FAILED_40001}]`,
  );
  const first = events(runParser([line])).map((e) => e.event_id);
  const replay = events(runParser([structuredClone(line)])).map((e) =>
    e.event_id
  );
  assert.deepEqual(replay, first);
  const other = rawEvent(line.payload);
  const otherIds = events(runParser([other])).map((e) => e.event_id);
  assert.equal(otherIds.filter((id) => first.includes(id)).length, 0);
});

Deno.test("repeat: a pam_unix inner message gives its auth failure and rhost", () => {
  const out = events(runParser([
    rawEvent(
      "Nov 20 10:00:04 web1 sshd[5001]: message repeated 2 times: [ pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.7  user=root]",
    ),
  ]));
  assert.equal(out.length, 2);
  for (const e of out) {
    assert.equal(e.category, "auth");
    assert.equal(e.outcome, "failure");
    assert.equal(e.source?.ip, "198.51.100.7");
    assert.equal(e.user?.name, "root");
    assert.equal(e.fields["pam.service"], "sshd");
  }
});

Deno.test("repeat: any program, and RFC 5424 and <PRI> lines, are unwrapped too", () => {
  const out = events(runParser([
    rawEvent(
      "<86>Nov 20 10:00:04 web1 sudo: message repeated 2 times: [   alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/sh]",
    ),
    rawEvent(
      `<38>1 2026-11-20T10:00:04Z web1 sshd 5001 - - message repeated 3 times: [ ${FAILED_40001}]`,
    ),
  ]));
  assert.equal(out.length, 5);
  for (const e of out.slice(0, 2)) {
    assert.equal(e.process?.name, "sudo");
    assert.equal(e.user?.name, "alice");
    assert.equal(e.outcome, "failure");
  }
  for (const e of out.slice(2)) {
    assert.equal(e.format, "rfc5424");
    assert.equal(e.action, "ssh_login");
    assert.equal(e.source?.port, 40001);
  }
});

Deno.test("repeat: 'last message repeated N times' names no message: one unclassified event with the count", () => {
  const out = events(runParser([
    rawEvent("Nov 20 10:00:04 web1 last message repeated 7 times"),
    rawEvent("Nov 20 10:00:05 web1 sshd[1]: message repeated 4 times: []"),
  ]));
  assert.equal(out.length, 2);
  for (const [e, n] of [[out[0], "7"], [out[1], "4"]] as const) {
    assert.equal(e.category, "other");
    assert.equal(e.action, "unclassified");
    assert.equal(e.fields["syslog.repeated"], n);
    assert.equal(e.fields["syslog.repeat_index"], undefined);
  }
});

Deno.test("repeat: a huge count is capped at 1000 events, the stated count kept", () => {
  const out = events(runParser([
    rawEvent(
      `Nov 20 10:00:04 web1 sshd[5001]: message repeated 5000000 times: [ ${FAILED_40001}]`,
    ),
  ]));
  assert.equal(out.length, 1000);
  assert.equal(new Set(out.map((e) => e.event_id)).size, 1000);
  for (const e of [out[0], out[999]]) {
    assert.equal(e.fields["syslog.repeated"], "5000000");
    assert.equal(e.fields["parser.repeats_emitted"], "1000");
    assert.equal(e.action, "ssh_login");
  }
  assert.equal(out[999].fields["syslog.repeat_index"], "1000");
});

Deno.test("repeat: lines that only look like repeats stay one plain event", () => {
  for (
    const msg of [
      "message repeated many times: [ x]",
      "message repeated 0 times: [ Failed password for root from 1.2.3.4 port 1 ssh2]",
      "message repeated 12345678901234567 times: [ x]",
      "message repeated soon",
    ]
  ) {
    const out = events(runParser([
      rawEvent(`Nov 20 10:00:04 web1 sshd[1]: ${msg}`),
    ]));
    assert.equal(out.length, 1, msg);
    assert.equal(out[0].action, "unclassified", msg);
    assert.equal(out[0].fields["syslog.repeated"], undefined, msg);
  }
});

Deno.test("repeat: summary counts input lines, copies apart; dead letters unchanged", () => {
  const parser = createParser();
  const out: AnyRecord[] = [];
  const emitter = {
    emit: (r: AnyRecord) => out.push(r),
    forward: (r: AnyRecord) => out.push(r),
  };
  const raws = [...REVIEWER_LINES, "not a log line at all"].map((l) =>
    rawEvent(l)
  );
  raws.forEach((r, i) => parser.push(r, emitter, { line: i + 1 }));
  const stats = parser.stats();
  assert.equal(stats.enriched, 5);
  assert.equal(stats.dead_letters, 1);
  assert.equal(stats.repeat_lines, 2);
  assert.equal(stats.repeat_copies, 8);
  assert.equal(
    out.filter((r) => r.record === "enriched_event").length,
    13,
    "12 failed passwords and one accepted",
  );
  const dead = out.filter((r) => r.record === "dead_letter");
  assert.equal(dead.length, 1);
  assert.equal(dead[0].reason_code, "unknown_format");
  assert.equal(dead[0].input, JSON.stringify(raws[5]));
});

Deno.test("repeat: the reviewer's compressed brute force raises both SSH alerts (parser + detector cores)", async () => {
  const ruleSet = await loadRuleSet([
    new URL("../../sigma", import.meta.url).pathname,
  ]);
  const detector = new DetectorTransform([new SigmaDetector(ruleSet)]);
  const alerts: Alert[] = [];
  const toAlerts = {
    emit: (r: AnyRecord) => {
      if (r.record === "alert") alerts.push(r);
    },
    forward: () => {},
  };
  const parsed = runParser(REVIEWER_LINES.map((l) => rawEvent(l)));
  for (const r of parsed) detector.push(r, toAlerts, {});
  detector.end(toAlerts);
  const titles = alerts.map((a) => `${a.rule.title} (${a.severity})`).sort();
  assert.ok(
    titles.includes("SSH Brute Force Attempts (high)"),
    titles.join("; "),
  );
  assert.ok(
    titles.includes(
      "SSH Brute Force Followed By Successful Login (critical)",
    ),
    titles.join("; "),
  );
});

Deno.test("repeat: the reviewer's lines through the sentinel-parser and sentinel-detector CLIs raise both alerts", async () => {
  const parsed = await runParserCli(
    ["--in-format", "lines"],
    REVIEWER_LINES.join("\n") + "\n",
  );
  assert.equal(parsed.code, 0, parsed.stderr);
  assert.equal(parsed.records.length, 13);
  const r = await runStage(
    "sentinel-detector",
    ["--rules", "./sigma", "--anomaly", "off", "--log-level", "warn"],
    {
      stdin: new TextEncoder().encode(
        parsed.records.map((x) => JSON.stringify(x)).join("\n") + "\n",
      ),
    },
  );
  assert.equal(r.code, 0, r.stderr);
  const alerts = new TextDecoder().decode(r.stdout).split("\n")
    .filter((l) => l.includes('"record":"alert"'))
    .map((l) => JSON.parse(l) as Alert);
  const titles = alerts.map((a) => a.rule.title);
  assert.ok(titles.includes("SSH Brute Force Attempts"), titles.join("; "));
  assert.ok(
    titles.includes("SSH Brute Force Followed By Successful Login"),
    titles.join("; "),
  );
});
