/**
 * SSH brute force seen only through pam_unix lines (hosts that log no
 * "Failed password"), end to end: raw syslog lines through
 * `sentinel-parser --in-format lines | sentinel-detector --rules ./sigma`.
 */
import assert from "node:assert/strict";
import { alertsForLines, isFile, LINUX_2K } from "./_run.ts";

interface AlertOut {
  record: string;
  rule: { id: string; title: string };
  group?: Record<string, string>;
}

const alertsFor = (input: string) => alertsForLines<AlertOut>(input);

function clock(s: number): string {
  const hh = String(10 + Math.floor(s / 3600)).padStart(2, "0");
  const mm = String(Math.floor(s / 60) % 60).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return `Nov 24 ${hh}:${mm}:${ss}`;
}

/** The pam_unix line sshd writes for a connection failing authentication. */
function pamFailure(s: number, pid: number, rhost: string): string {
  return `${clock(s)} web-01 sshd[${pid}]: pam_unix(sshd:auth): ` +
    `authentication failure; logname= uid=0 euid=0 tty=ssh ruser= ` +
    `rhost=${rhost}  user=root`;
}

function failedPassword(s: number, pid: number, rhost: string): string {
  return `${clock(s)} web-01 sshd[${pid}]: Failed password for root from ` +
    `${rhost} port ${40000 + pid} ssh2`;
}

const PAM_TITLE = "SSH Brute Force (pam_unix)";
const PAM_HOST_TITLE = "SSH Brute Force (pam_unix, by host name)";
const ATTEMPTS_TITLE = "SSH Brute Force Attempts";

function bySource(alerts: AlertOut[], ip: string): string[] {
  return alerts.filter((a) => a.group?.["source.ip"] === ip)
    .map((a) => a.rule.title).sort();
}

Deno.test("pam_unix only: a burst of failures from one rhost alerts; a few, or ten from ten rhosts, do not", async () => {
  const lines: string[] = [];
  // 12 failed connections from one rhost within a minute.
  for (let i = 0; i < 12; i++) {
    lines.push(pamFailure(i * 5, 2000 + i, "203.0.113.9"));
  }
  // 3 failed connections from another.
  for (let i = 0; i < 3; i++) {
    lines.push(pamFailure(70 + i * 5, 3000 + i, "198.51.100.20"));
  }
  // 10 failures from 10 sources.
  for (let i = 0; i < 10; i++) {
    lines.push(pamFailure(90 + i, 4000 + i, `198.51.100.${100 + i}`));
  }
  const alerts = await alertsFor(lines.join("\n") + "\n");
  assert.deepEqual(bySource(alerts, "203.0.113.9"), [PAM_TITLE]);
  assert.deepEqual(bySource(alerts, "198.51.100.20"), []);
  assert.equal(
    alerts.filter((a) => a.rule.title === PAM_TITLE).length,
    1,
    JSON.stringify(alerts.map((a) => [a.rule.title, a.group])),
  );
});

Deno.test("pam_unix and Failed password for the same attempts are not summed: 5 connections logging both stay under 10", async () => {
  const lines: string[] = [];
  for (let i = 0; i < 5; i++) {
    lines.push(pamFailure(i * 5, 5000 + i, "198.51.100.30"));
    lines.push(failedPassword(i * 5, 5000 + i, "198.51.100.30"));
  }
  const alerts = await alertsFor(lines.join("\n") + "\n");
  assert.deepEqual(bySource(alerts, "198.51.100.30"), []);
  // Ten such connections reach the threshold of each count on its own.
  const more: string[] = [];
  for (let i = 0; i < 10; i++) {
    more.push(pamFailure(i * 5, 6000 + i, "198.51.100.31"));
    more.push(failedPassword(i * 5, 6000 + i, "198.51.100.31"));
  }
  const both = await alertsFor(more.join("\n") + "\n");
  assert.deepEqual(bySource(both, "198.51.100.31"), [
    PAM_TITLE,
    ATTEMPTS_TITLE,
  ]);
});

Deno.test("pam_unix only, rhost logged as a host name (sshd UseDNS): a burst alerts by source.domain; a few do not", async () => {
  const lines: string[] = [];
  for (let i = 0; i < 11; i++) {
    lines.push(pamFailure(i * 10, 7000 + i, "n219076184117.netvigator.com"));
  }
  for (let i = 0; i < 4; i++) {
    lines.push(pamFailure(120 + i * 5, 7100 + i, "host-4.example.net"));
  }
  const alerts = await alertsFor(lines.join("\n") + "\n");
  const byName = alerts.filter((a) => a.rule.title === PAM_HOST_TITLE);
  assert.deepEqual(
    byName.map((a) => a.group),
    [{ "source.domain": "n219076184117.netvigator.com" }],
  );
  // The address-keyed count never saw these events.
  assert.equal(alerts.filter((a) => a.rule.title === PAM_TITLE).length, 0);
});

const available = isFile(LINUX_2K);

Deno.test({
  name: available
    ? "pam_unix only: Linux_2k.log (no 'Failed password' lines) raises the pam_unix brute force for its busiest rhost"
    : "pam_unix only: IGNORED because ../shared/datasets/logs/Linux_2k.log is not beside the repo",
  ignore: !available,
  async fn() {
    const text = await Deno.readTextFile(LINUX_2K);
    assert.doesNotMatch(text, /Failed password/);
    const alerts = await alertsFor(text);
    const pam = alerts.filter((a) => a.rule.title === PAM_TITLE);
    // 150.183.249.110 fails 80 times within minutes.
    assert.ok(
      pam.some((a) => a.group?.["source.ip"] === "150.183.249.110"),
      JSON.stringify(pam.map((a) => a.group)),
    );
    // 23 failures from one resolved name within five minutes.
    const byName = alerts.filter((a) => a.rule.title === PAM_HOST_TITLE);
    assert.ok(
      byName.some((a) =>
        a.group?.["source.domain"] === "n219076184117.netvigator.com"
      ),
      JSON.stringify(byName.map((a) => a.group)),
    );
  },
});
