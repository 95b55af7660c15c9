/**
 * systemd journal records as `journalctl -o json` writes them (and the
 * journald sources of Vector, Fluent Bit and Filebeat ship them): before,
 * such a record was generic JSON, `other`/`unclassified` at receipt time,
 * with no host and the sshd message unread, so an SSH brute force logged
 * to the journal raised nothing.
 */
import assert from "node:assert/strict";
import type { EnrichedEvent } from "../../stages/shared/contracts/mod.ts";
import { validateRecord } from "../../stages/shared/contracts/mod.ts";
import {
  linesThroughDetector,
  parseOne,
  pick,
  RECEIVED_AT,
} from "./_helpers.ts";

/** The fields journald adds to every record (values from a real host). */
function journal(
  fields: Record<string, unknown>,
  realtimeUs = "1795514400123456", // 2026-11-24T10:00:00.123456Z
): Record<string, unknown> {
  return {
    __CURSOR:
      "s=6a8d3c3a1e9b4b0c9c3f1d2e4a5b6c7d;i=1f2a;b=0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f;m=2b1f3c4d;t=62f1a2b3c4d5e;x=9a8b7c6d5e4f3a2b",
    __REALTIME_TIMESTAMP: realtimeUs,
    __MONOTONIC_TIMESTAMP: "722263117",
    _BOOT_ID: "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f",
    _MACHINE_ID: "5d4c3b2a19087f6e5d4c3b2a19087f6e",
    _HOSTNAME: "web-01",
    _TRANSPORT: "syslog",
    SYSLOG_FACILITY: "4",
    ...fields,
  };
}

const SSHD = {
  PRIORITY: "6",
  SYSLOG_IDENTIFIER: "sshd",
  SYSLOG_PID: "4242",
  _PID: "4242",
  _UID: "0",
  _GID: "0",
  _COMM: "sshd",
  _EXE: "/usr/sbin/sshd",
  _CMDLINE: "sshd: unknown [priv]",
  _SYSTEMD_UNIT: "ssh.service",
  _SYSTEMD_SLICE: "system.slice",
};

interface Case {
  name: string;
  payload: Record<string, unknown>;
  expect: Record<string, unknown>;
}

const CASES: Case[] = [
  {
    name: "sshd failed password for an invalid user",
    payload: journal({
      ...SSHD,
      MESSAGE:
        "Failed password for invalid user admin from 203.0.113.7 port 52144 ssh2",
    }),
    expect: {
      format: "journald",
      ts: "2026-11-24T10:00:00.123Z",
      ts_source: "event",
      category: "auth",
      action: "ssh_login",
      outcome: "failure",
      host: { name: "web-01" },
      user: { name: "admin" },
      source: { ip: "203.0.113.7", port: 52144, ip_class: "public" },
      process: {
        name: "sshd",
        pid: 4242,
        executable: "/usr/sbin/sshd",
        command_line: "sshd: unknown [priv]",
      },
      fields: {
        _SYSTEMD_UNIT: "ssh.service",
        _UID: "0",
        MESSAGE:
          "Failed password for invalid user admin from 203.0.113.7 port 52144 ssh2",
        "ssh.invalid_user": "true",
      },
    },
  },
  {
    name: "sshd accepted publickey over IPv6",
    payload: journal({
      ...SSHD,
      MESSAGE:
        "Accepted publickey for deploy from 2001:db8::42 port 50522 ssh2: ED25519 SHA256:Qm9vZ0JhcmJhei4uLg",
    }),
    expect: {
      action: "ssh_login",
      outcome: "success",
      user: { name: "deploy" },
      source: { ip: "2001:db8::42", port: 50522 },
      fields: { "ssh.method": "publickey" },
    },
  },
  {
    name: "pam_unix authentication failure (rhost, user), PRIORITY 5",
    payload: journal({
      ...SSHD,
      PRIORITY: "5",
      SYSLOG_FACILITY: "10",
      MESSAGE:
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.23  user=root",
    }),
    expect: {
      category: "auth",
      outcome: "failure",
      user: { name: "root" },
      source: { ip: "198.51.100.23" },
    },
  },
  {
    name:
      "sudo to root, origin time from _SOURCE_REALTIME_TIMESTAMP, PRIORITY 3",
    payload: journal({
      PRIORITY: "3",
      SYSLOG_IDENTIFIER: "sudo",
      _COMM: "sudo",
      _PID: "7001",
      _SOURCE_REALTIME_TIMESTAMP: "1795514399000001",
      MESSAGE:
        "farah : TTY=pts/2 ; PWD=/home/farah ; USER=root ; COMMAND=/usr/bin/id",
    }),
    expect: {
      ts: "2026-11-24T09:59:59.000Z",
      category: "auth",
      action: "sudo",
      outcome: "success",
      severity: "high",
      user: { name: "farah", target: { name: "root" } },
      process: { name: "sudo", pid: 7001, command_line: "/usr/bin/id" },
    },
  },
  {
    name:
      "a message that is not UTF-8 (journalctl's byte array) is decoded and classified",
    payload: journal({
      ...SSHD,
      MESSAGE: [
        ...new TextEncoder().encode(
          "Failed password for ro",
        ),
        0xff,
        ...new TextEncoder().encode(
          "t from 192.0.2.200 port 4000 ssh2",
        ),
      ],
    }),
    expect: {
      action: "ssh_login",
      outcome: "failure",
      user: { name: "ro\ufffdt" },
      source: { ip: "192.0.2.200", port: 4000 },
      fields: {
        MESSAGE:
          "Failed password for ro\ufffdt from 192.0.2.200 port 4000 ssh2",
      },
    },
  },
  {
    name:
      "a unit's own output (no SYSLOG_IDENTIFIER): _COMM names the process; unclassified",
    payload: journal({
      PRIORITY: "4",
      _TRANSPORT: "stdout",
      _COMM: "node",
      _PID: "812",
      _SYSTEMD_UNIT: "api.service",
      MESSAGE: "warning: pool exhausted, 12 requests queued",
    }),
    expect: {
      format: "journald",
      category: "other",
      severity: "medium",
      process: { name: "node", pid: 812 },
      fields: { _SYSTEMD_UNIT: "api.service", _TRANSPORT: "stdout" },
    },
  },
];

for (const c of CASES) {
  Deno.test(`journald: ${c.name}`, () => {
    const r = parseOne(c.payload);
    assert.equal(validateRecord(r), null, JSON.stringify(r));
    assert.equal(r.record, "enriched_event", JSON.stringify(r));
    assert.deepEqual(pick(r, c.expect), c.expect);
    assert.deepEqual(
      (r as EnrichedEvent).payload,
      c.payload,
      "the record kept whole",
    );
  });
}

Deno.test("journald: a time journald did not write (not digits, out of range) falls back to received_at, flagged", () => {
  for (const t of ["2026-11-24", "1795514400123456789", "-1", ""]) {
    const e = parseOne(
      journal({ ...SSHD, MESSAGE: "Connection closed" }, t),
    ) as EnrichedEvent;
    assert.equal(e.format, "journald");
    assert.equal(e.ts_source, "received_at", t);
    assert.equal(e.ts, RECEIVED_AT);
  }
});

Deno.test("journald: Vector's journald source (message, host, timestamp renamed; source_type journald) is read the same", () => {
  const e = parseOne({
    source_type: "journald",
    timestamp: "2026-11-24T10:00:00.123456Z",
    host: "web-02",
    message: "Failed password for root from 203.0.113.9 port 41000 ssh2",
    SYSLOG_IDENTIFIER: "sshd",
    _PID: "4242",
    _SYSTEMD_UNIT: "ssh.service",
  }) as EnrichedEvent;
  const want = {
    format: "journald",
    ts: "2026-11-24T10:00:00.123Z",
    ts_source: "event",
    action: "ssh_login",
    outcome: "failure",
    host: { name: "web-02" },
    user: { name: "root" },
    source: { ip: "203.0.113.9" },
    process: { name: "sshd", pid: 4242 },
  };
  assert.deepEqual(pick(e, want), want);
});

Deno.test("journald and syslog: OpenSSH 9.8+ logs as sshd-session (10.0: sshd-auth); its messages are sshd's", () => {
  for (const id of ["sshd-session", "sshd-auth"]) {
    const msg = "Failed password for root from 203.0.113.9 port 41000 ssh2";
    for (
      const payload of [
        journal({ ...SSHD, SYSLOG_IDENTIFIER: id, MESSAGE: msg }),
        `Nov 24 10:00:00 web-01 ${id}[4242]: ${msg}`,
      ]
    ) {
      const e = parseOne(payload) as EnrichedEvent;
      assert.equal(e.action, "ssh_login", id);
      assert.equal(e.outcome, "failure", id);
      assert.equal(e.process?.name, id);
    }
  }
});

Deno.test("journald: an audit record the journal holds itself (_TRANSPORT=audit, no auditd) is read as the audit.log line would be", () => {
  const e = parseOne(journal({
    _TRANSPORT: "audit",
    _AUDIT_TYPE: "1112",
    _AUDIT_TYPE_NAME: "USER_LOGIN",
    _AUDIT_ID: "4567",
    _SOURCE_REALTIME_TIMESTAMP: "1795514400123000",
    _PID: "2451",
    SYSLOG_FACILITY: "4",
    MESSAGE:
      'USER_LOGIN pid=2451 uid=0 auid=4294967295 ses=4294967295 msg=\'op=login acct="root" exe="/usr/sbin/sshd" hostname=? addr=203.0.113.5 terminal=sshd res=failed\'',
  })) as EnrichedEvent;
  assert.equal(validateRecord(e), null, JSON.stringify(e));
  const want = {
    format: "auditd",
    ts: "2026-11-24T10:00:00.123Z",
    action: "ssh_login",
    outcome: "failure",
    host: { name: "web-01" },
    user: { name: "root" },
    source: { ip: "203.0.113.5" },
    fields: {
      type: "USER_LOGIN",
      "auditd.serial": "4567",
      _TRANSPORT: "audit",
      res: "failed",
    },
  };
  assert.deepEqual(pick(e, want), want);
});

Deno.test("journald: systemd before 229 (RHEL/CentOS 7) gives the audit type by number and writes MESSAGE as <audit-NNNN>: read the same", () => {
  const e = parseOne(journal({
    _TRANSPORT: "audit",
    _AUDIT_TYPE: "1112",
    _AUDIT_ID: "4567",
    _SOURCE_REALTIME_TIMESTAMP: "1795514400123000",
    MESSAGE:
      '<audit-1112> pid=2451 uid=0 auid=4294967295 ses=4294967295 msg=\'op=login acct="root" exe="/usr/sbin/sshd" hostname=? addr=203.0.113.50 terminal=sshd res=failed\'',
  })) as EnrichedEvent;
  const want = {
    format: "auditd",
    action: "ssh_login",
    outcome: "failure",
    user: { name: "root" },
    source: { ip: "203.0.113.50" },
    fields: { type: "USER_LOGIN" },
  };
  assert.deepEqual(pick(e, want), want);
});

Deno.test("journald: an object with MESSAGE but none of journald's own fields stays generic JSON", () => {
  const r = parseOne({ MESSAGE: "hello", level: "info" }) as EnrichedEvent;
  assert.equal(r.format, "json");
});

Deno.test("journalctl -o json | sentinel-parser --in-format lines | sentinel-detector: an SSH brute force in the journal raises the pack's alert", async () => {
  const lines: string[] = [];
  for (let i = 0; i < 12; i++) {
    lines.push(JSON.stringify(journal({
      ...SSHD,
      SYSLOG_PID: String(5000 + i),
      _PID: String(5000 + i),
      MESSAGE: `Failed password for root from 203.0.113.50 port ${
        41000 + i
      } ssh2`,
    }, String(1795514400000000 + i * 5_000_000))));
  }
  const { out, alerts } = await linesThroughDetector(
    lines,
    ["--rules", "./sigma"],
  );
  const brute = alerts.filter((a) =>
    a.rule.title === "SSH Brute Force Attempts"
  );
  assert.equal(
    brute.length,
    1,
    JSON.stringify(alerts.map((a) => a.rule.title)),
  );
  assert.equal(
    out.filter((r) => r.record === "enriched_event" && r.format === "journald")
      .length,
    12,
  );
});
