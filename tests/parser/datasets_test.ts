/**
 * The real sample logs in ../shared/datasets/logs: every line comes out as an
 * enriched event or a dead letter, everything validates, and specific lines
 * carry the expected user, remote host/IP, outcome, category and time.
 */
import assert from "node:assert/strict";
import type { EnrichedEvent } from "../../stages/shared/contracts/mod.ts";
import { validateRecord } from "../../stages/shared/contracts/mod.ts";
import { datasetLines, pick, rawEvent, runParser } from "./_helpers.ts";

const linux = await datasetLines("Linux_2k.log");
const apache = await datasetLines("Apache_2k.log");
const linuxOut = runParser(linux.map((l) => rawEvent(l)));
const apacheOut = runParser(apache.map((l) => rawEvent(l)));

/** The event for 1-based input line `n`. */
function line(out: unknown[], n: number): EnrichedEvent {
  const r = out[n - 1] as EnrichedEvent;
  assert.equal(r.record, "enriched_event", `line ${n}: ${JSON.stringify(r)}`);
  return r;
}

Deno.test("Linux_2k: no line is lost and every output validates", () => {
  assert.equal(linux.length, 2000);
  assert.equal(linuxOut.length, linux.length);
  for (const [i, r] of linuxOut.entries()) {
    assert.equal(validateRecord(r), null, `line ${i + 1}`);
    assert.ok(r.record === "enriched_event" || r.record === "dead_letter");
  }
  // Every line of this real log is readable syslog.
  assert.equal(linuxOut.filter((r) => r.record === "dead_letter").length, 0);
});

Deno.test("Linux_2k: pam_unix authentication failure with an IP rhost (line 1)", () => {
  const e = line(linuxOut, 1);
  assert.deepEqual(
    pick(e, {
      format: 0,
      ts: 0,
      ts_source: 0,
      category: 0,
      outcome: 0,
      severity: 0,
      host: 0,
      process: 0,
      source: 0,
    }),
    {
      format: "rfc3164",
      ts: "2026-06-14T15:16:01.000Z",
      ts_source: "event",
      category: "auth",
      outcome: "failure",
      severity: "low",
      host: { name: "combo" },
      process: { name: "sshd", pid: 19939 },
      source: { ip: "218.188.2.4", ip_class: "public" },
    },
  );
  assert.equal(e.fields["pam.service"], "sshd");
  assert.equal(e.user, undefined, "this line names no user");
});

Deno.test("Linux_2k: rhost host name and user=root (line 4), user=guest (line 91)", () => {
  const e = line(linuxOut, 4);
  assert.equal(e.user?.name, "root");
  assert.equal(e.source?.domain, "220-135-151-1.hinet-ip.hinet.net");
  assert.equal(e.source?.ip, undefined);
  assert.equal(e.ts, "2026-06-15T02:04:59.000Z");
  const g = line(linuxOut, 91);
  assert.equal(g.user?.name, "guest");
  assert.equal(g.source?.ip, "211.46.224.253");
  assert.equal(g.outcome, "failure");
});

Deno.test("Linux_2k: su session for cyrus (line 14), sshd session for test (line 92), ftpd (line 83)", () => {
  const su = line(linuxOut, 14);
  assert.equal(su.action, "su");
  assert.equal(su.category, "auth");
  assert.equal(su.outcome, "success");
  assert.equal(su.user?.target?.name, "cyrus");
  const ssh = line(linuxOut, 92);
  assert.equal(ssh.action, "session_opened");
  assert.equal(ssh.user?.name, "test");
  const ftp = line(linuxOut, 83);
  assert.equal(ftp.process?.name, "ftpd");
  assert.equal(ftp.ts, "2026-06-17T07:07:00.000Z");
});

Deno.test("Linux_2k: ftpd connections (line 83) carry the peer and its name; klogind failures are auth failures with the peer", () => {
  const ftp = line(linuxOut, 83);
  assert.deepEqual(
    pick(ftp, { category: 0, action: 0, outcome: 0, source: 0, network: 0 }),
    {
      category: "network",
      action: "ftp_connection",
      outcome: "success",
      source: {
        ip: "24.54.76.216",
        ip_class: "public",
        domain: "24-54-76-216.bflony.adelphia.net",
      },
      network: { protocol: "ftp" },
    },
  );
  const ftpLines = linux.filter((l) =>
    / ftpd\[\d+\]: connection from /.test(l)
  );
  assert.ok(ftpLines.length > 800);
  assert.equal(
    linuxOut.filter((r) =>
      r.record === "enriched_event" && r.action === "ftp_connection" &&
      r.source?.ip !== undefined
    ).length,
    ftpLines.length,
  );
  // One failed klogin connection: the peer's line counts, the Kerberos
  // line that follows it is its own action.
  const failed =
    linux.filter((l) => / klogind\[\d+\]: Authentication failed from /.test(l))
      .length;
  assert.ok(failed > 10);
  const klogin = linuxOut.filter((r) =>
    r.record === "enriched_event" && r.action === "klogin_login"
  ) as EnrichedEvent[];
  assert.equal(klogin.length, failed);
  for (const k of klogin) {
    assert.equal(k.outcome, "failure");
    assert.match(k.source?.ip ?? "", /^\d+\.\d+\.\d+\.\d+$/);
  }
});

Deno.test("Linux_2k: every 'authentication failure' line is an auth failure", () => {
  const expected =
    linux.filter((l) => l.includes("authentication failure;")).length;
  assert.ok(expected > 400);
  const got =
    linuxOut.filter((r) =>
      r.record === "enriched_event" && r.action === "pam_auth" &&
      r.outcome === "failure"
    ).length;
  assert.equal(got, expected);
});

Deno.test("Apache_2k: no line is lost and every output validates", () => {
  assert.equal(apache.length, 2000);
  assert.equal(apacheOut.length, apache.length);
  for (const [i, r] of apacheOut.entries()) {
    assert.equal(validateRecord(r), null, `line ${i + 1}`);
  }
  assert.equal(apacheOut.filter((r) => r.record === "dead_letter").length, 0);
});

Deno.test("Apache_2k: notice line (line 1) and client denied line (line 132)", () => {
  const n = line(apacheOut, 1);
  assert.deepEqual(
    pick(n, { format: 0, ts: 0, category: 0, severity: 0 }),
    {
      format: "apache_error",
      ts: "2005-12-04T04:47:44.000Z",
      category: "web",
      severity: "low",
    },
  );
  assert.equal(n.fields["log.level"], "notice");
  const c = line(apacheOut, 132);
  assert.deepEqual(
    pick(c, { ts: 0, category: 0, outcome: 0, severity: 0, source: 0 }),
    {
      ts: "2005-12-04T05:15:09.000Z",
      category: "web",
      outcome: "failure",
      severity: "high",
      source: { ip: "222.166.160.184", ip_class: "public" },
    },
  );
  assert.equal(
    c.fields.message,
    "Directory index forbidden by rule: /var/www/html/",
  );
});
