/**
 * Table-driven: one real-looking sample per format and edge case, with the
 * fields a user would look for. Every output must validate against its
 * schema; unreadable input must become a dead letter with a precise reason.
 */
import assert from "node:assert/strict";
import type {
  DeadLetter,
  EnrichedEvent,
} from "../../stages/shared/contracts/mod.ts";
import { validateRecord } from "../../stages/shared/contracts/mod.ts";
import type { RawEvent } from "../../stages/shared/contracts/mod.ts";
import { parseOne, pick } from "./_helpers.ts";

/** The value at a dotted path of `o` (fields keys may themselves hold dots). */
function at(o: EnrichedEvent, path: string): unknown {
  if (path.startsWith("fields.")) return o.fields[path.slice(7)];
  let v: unknown = o;
  for (const k of path.split(".")) {
    v = (v as Record<string, unknown> | undefined)?.[k];
  }
  return v;
}

interface Case {
  name: string;
  payload: string | Record<string, unknown>;
  format?: string;
  /** received_at of the RawEvent (default RECEIVED_AT, 2026-12-01). */
  receivedAt?: string;
  expect: Record<string, unknown>;
  /** Dotted paths that must be absent from the event (a wrong value is worse than none). */
  absent?: string[];
}

const CASES: Case[] = [
  {
    name: "rfc3164 sshd failed password, invalid user (generator line)",
    payload:
      "Nov 24 10:00:00 web-01 sshd[1234]: Failed password for invalid user admin from 203.0.113.9 port 52311 ssh2",
    expect: {
      format: "rfc3164",
      ts: "2026-11-24T10:00:00.000Z",
      category: "auth",
      action: "ssh_login",
      outcome: "failure",
      user: { name: "admin" },
      source: { ip: "203.0.113.9", port: 52311, ip_class: "public" },
      host: { name: "web-01" },
      network: { protocol: "ssh" },
      fields: { "ssh.invalid_user": "true", "ssh.method": "password" },
    },
  },
  {
    name: "rfc3164 with PRI: accepted publickey from IPv6, severity from PRI",
    payload:
      "<38>Dec 20 08:15:30 bastion sshd[77]: Accepted publickey for alice from 2001:DB8:0:0::A port 50022 ssh2: ED25519 SHA256:x",
    expect: {
      ts: "2025-12-20T08:15:30.000Z", // over a week after received_at (2026-12-01): last year
      action: "ssh_login",
      outcome: "success",
      severity: "informational",
      user: { name: "alice" },
      source: { ip: "2001:db8::a", ip_class: "public", port: 50022 },
      fields: { "syslog.facility": "auth", "ssh.method": "publickey" },
    },
  },
  {
    name: "sshd POSSIBLE BREAK-IN ATTEMPT",
    payload:
      "Nov 24 10:00:01 web-01 sshd[99]: reverse mapping checking getaddrinfo for 9.113.0.203.example [203.0.113.9] failed - POSSIBLE BREAK-IN ATTEMPT!",
    expect: {
      action: "ssh_break_in_attempt",
      outcome: "failure",
      severity: "medium",
      source: { ip: "203.0.113.9" },
    },
  },
  {
    name: "sshd disconnect preauth",
    payload:
      "Nov 24 10:00:02 web-01 sshd[99]: Connection closed by authenticating user root 198.51.100.7 port 40000 [preauth]",
    expect: {
      action: "ssh_disconnect",
      user: { name: "root" },
      source: { ip: "198.51.100.7", port: 40000 },
    },
  },
  {
    name: "pam_unix(sshd:auth) modern form with rhost and user",
    payload:
      "Nov 24 10:00:03 web-01 sshd[5]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.44  user=oracle",
    expect: {
      action: "pam_auth",
      outcome: "failure",
      user: { name: "oracle" },
      source: { ip: "192.0.2.44" },
      fields: { "pam.service": "sshd", "pam.type": "auth" },
    },
  },
  {
    name: "sudo shell as root (privilege_escalation line)",
    payload:
      "Nov 24 10:05:00 web-01 sudo: alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash",
    expect: {
      category: "auth",
      action: "sudo",
      outcome: "success",
      user: { name: "alice", target: { name: "root" } },
      process: { name: "sudo", command_line: "/bin/bash" },
    },
  },
  {
    name: "sudo refused: user NOT in sudoers",
    payload:
      "Nov 24 10:05:01 web-01 sudo:      bob : user NOT in sudoers ; TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/bin/id",
    expect: {
      action: "sudo",
      outcome: "failure",
      user: { name: "bob" },
      fields: { "sudo.reason": "user NOT in sudoers" },
    },
  },
  {
    name: "su Debian form",
    payload: "Nov 24 10:05:02 web-01 su[300]: (to root) alice on pts/0",
    expect: {
      action: "su",
      outcome: "success",
      user: { name: "alice", target: { name: "root" } },
    },
  },
  {
    name: "useradd new user",
    payload:
      "Nov 24 10:06:00 web-01 useradd[400]: new user: name=backdoor, UID=1002, GID=1002, home=/home/backdoor, shell=/bin/bash, from=/dev/pts/0",
    expect: {
      action: "user_created",
      outcome: "success",
      user: { target: { name: "backdoor" } },
      host: { name: "web-01" },
      fields: { "account.shell": "/bin/bash" },
    },
  },
  {
    name: "usermod added to sudo group",
    payload:
      "Nov 24 10:06:01 web-01 usermod[401]: add 'backdoor' to group 'sudo'",
    expect: {
      action: "user_modified",
      user: { target: { name: "backdoor" } },
      fields: { group: "sudo" },
    },
  },
  {
    name: "cron command",
    payload:
      "Nov 24 10:07:00 web-01 CRON[500]: (root) CMD (cd / && run-parts --report /etc/cron.hourly)",
    expect: {
      category: "process",
      action: "process_start",
      user: { name: "root" },
      process: {
        command_line: "cd / && run-parts --report /etc/cron.hourly",
        pid: 500,
      },
    },
  },
  {
    name: "ISO-stamped syslog with an odd zone (+05:45)",
    payload:
      "2026-11-24T15:45:00.250+05:45 kathmandu-01 sshd[1]: Failed password for root from 10.1.2.3 port 22 ssh2",
    expect: {
      ts: "2026-11-24T10:00:00.250Z",
      ts_source: "event",
      source: { ip_class: "private" },
    },
  },
  {
    name: "rfc5424 with structured data, zone -03:30, BOM message",
    payload:
      '<165>1 2026-11-24T06:30:00.003-03:30 mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="App\\"lication"] \uFEFFAn application event',
    expect: {
      format: "rfc5424",
      ts: "2026-11-24T10:00:00.003Z",
      severity: "low",
      host: { name: "mymachine.example.com" },
      process: { name: "evntslog" },
      fields: {
        "sd.exampleSDID@32473.iut": "3",
        "sd.exampleSDID@32473.eventSource": 'App"lication',
        "syslog.msgid": "ID47",
      },
    },
  },
  {
    name: "CEF firewall deny behind a syslog header",
    payload:
      "<134>Nov 24 10:00:00 fw-edge-01 CEF:0|Acme|NGFW|9.1|100|traffic deny|7|rt=1795514400000 src=203.0.113.9 spt=51234 dst=10.0.0.5 dpt=22 proto=TCP act=deny in=120 msg=blocked by policy \\= ssh",
    expect: {
      format: "cef",
      ts: "2026-11-24T10:00:00.000Z",
      category: "network",
      action: "connection",
      outcome: "failure",
      severity: "high",
      source: { ip: "203.0.113.9", port: 51234, bytes: 120 },
      destination: { ip: "10.0.0.5", port: 22, ip_class: "private" },
      network: { transport: "tcp" },
      fields: {
        act: "deny",
        msg: "blocked by policy = ssh",
        "cef.device_vendor": "Acme",
      },
    },
  },
  {
    name: "CEF from FortiGate: out is the source's sent bytes",
    payload:
      "Nov 24 10:00:00 fw-edge-01 CEF:0|Fortinet|FortiGate|7.2.5|13|traffic:forward allow|3|act=allow src=10.10.20.16 spt=60206 dst=104.16.23.35 dpt=443 proto=TCP out=2272 in=7105",
    expect: {
      outcome: "success",
      source: { ip: "10.10.20.16", bytes: 2272 },
      destination: { ip: "104.16.23.35", bytes: 7105 },
    },
  },
  {
    name: "LEEF 2.0 with caret delimiter",
    payload:
      "LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^dstPort=445^sev=9^usrName=svc",
    expect: {
      format: "leef",
      category: "network",
      severity: "critical",
      user: { name: "svc" },
      destination: { ip: "10.0.0.5", port: 445 },
    },
  },
  {
    name: "key=value FortiGate-style with date/time/tz",
    payload:
      'date=2026-11-24 time=11:00:00 tz="+0100" devname="fw01" srcip=10.0.0.9 srcport=5555 dstip=8.8.8.8 dstport=53 proto=17 action=deny sentbyte=100 rcvdbyte=0 msg="dns blocked"',
    expect: {
      format: "kv",
      ts: "2026-11-24T10:00:00.000Z",
      category: "network",
      outcome: "failure",
      host: { name: "fw01" },
      source: { ip: "10.0.0.9", port: 5555, bytes: 100 },
      destination: { ip: "8.8.8.8", port: 53 },
      network: { transport: "udp" },
      fields: { msg: "dns blocked" },
    },
  },
  {
    name: "Apache combined access: web login failure",
    payload:
      '198.51.100.23 - - [24/Nov/2026:11:00:00 +0100] "POST /wp-login.php HTTP/1.1" 401 512 "https://shop.example/" "curl/8.0"',
    expect: {
      format: "apache_access",
      ts: "2026-11-24T10:00:00.000Z",
      category: "auth",
      action: "web_login",
      outcome: "failure",
      source: { ip: "198.51.100.23" },
      url: { original: "/wp-login.php" },
      http: {
        request: { method: "POST" },
        response: { status_code: 401, bytes: 512 },
        user_agent: "curl/8.0",
      },
    },
  },
  {
    name: "nginx access from an IPv6 client",
    payload:
      '2001:db8::1f - bob [24/Nov/2026:10:00:00 +0000] "GET /api/items?id=7 HTTP/2.0" 200 1024 "-" "Mozilla/5.0"',
    expect: {
      category: "web",
      action: "http_request",
      outcome: "success",
      user: { name: "bob" },
      source: { ip: "2001:db8::1f" },
      url: { path: "/api/items", query: "id=7" },
    },
  },
  {
    name: "nginx error log",
    payload:
      '2026/11/24 10:00:00 [crit] 1234#0: *9 SSL_do_handshake() failed, client: 203.0.113.50, server: 0.0.0.0:443, request: "GET / HTTP/1.1"',
    expect: {
      format: "nginx_error",
      severity: "critical",
      source: { ip: "203.0.113.50" },
      process: { pid: 1234 },
    },
  },
  {
    name: "ECS JSON from the generator, geo and ground truth",
    payload: {
      "@timestamp": "2026-11-24T10:00:00.123Z",
      event: {
        category: "authentication",
        action: "ssh_login",
        outcome: "success",
      },
      source: { ip: "198.51.100.77", geo: { country_iso_code: "br" } },
      user: { name: "carol" },
      host: { name: "web-01" },
      labels: { team: "red" },
    },
    expect: {
      format: "ecs",
      ts: "2026-11-24T10:00:00.123Z",
      category: "auth",
      action: "ssh_login",
      outcome: "success",
      user: { name: "carol" },
      source: { ip: "198.51.100.77", geo: { country_iso_code: "BR" } },
      fields: { "labels.team": "red" },
    },
  },
  {
    name: "flat JSON line with epoch seconds",
    payload:
      '{"time":1795514400,"src_ip":"10.0.0.1","dst_ip":"10.0.0.2","dst_port":3389,"action":"allow","app":"rdp"}',
    expect: {
      format: "json",
      ts: "2026-11-24T10:00:00.000Z",
      category: "network",
      outcome: "success",
      destination: { ip: "10.0.0.2", port: 3389 },
    },
  },
  {
    name: "Zeek dns JSON, NXDOMAIN",
    payload: {
      ts: 1795514400.5,
      uid: "CHhAvVGS1DHFjwGM9",
      "id.orig_h": "10.0.0.8",
      "id.orig_p": 53211,
      "id.resp_h": "10.0.0.2",
      "id.resp_p": 53,
      proto: "udp",
      query: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.tunnel.example.",
      qtype_name: "TXT",
      rcode_name: "NXDOMAIN",
    },
    expect: {
      format: "zeek_dns",
      ts: "2026-11-24T10:00:00.500Z",
      category: "dns",
      action: "dns_query",
      outcome: "failure",
      dns: {
        question: {
          name: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.tunnel.example",
          type: "TXT",
        },
        response_code: "NXDOMAIN",
      },
      source: { ip: "10.0.0.8", port: 53211 },
      fields: { uid: "CHhAvVGS1DHFjwGM9" },
    },
  },
  {
    name: "Zeek conn JSON, bytes both ways",
    payload: {
      ts: "2026-11-24T10:00:00Z",
      uid: "C1",
      id: {
        orig_h: "10.0.0.9",
        orig_p: 40000,
        resp_h: "198.51.100.200",
        resp_p: 443,
      },
      proto: "tcp",
      service: "ssl",
      orig_bytes: 250000000,
      resp_bytes: 1000,
      conn_state: "SF",
    },
    expect: {
      format: "zeek_conn",
      outcome: "success",
      source: { bytes: 250000000 },
      destination: { ip: "198.51.100.200", port: 443, bytes: 1000 },
      network: { transport: "tcp", protocol: "ssl", bytes: 250001000 },
    },
  },
  {
    name: "Windows Security 4625 (evtx_dump layout)",
    payload: {
      Event: {
        System: {
          Provider: {
            "#attributes": { Name: "Microsoft-Windows-Security-Auditing" },
          },
          EventID: 4625,
          Level: 0,
          Keywords: "0x8010000000000000",
          TimeCreated: {
            "#attributes": { SystemTime: "2026-11-24T10:00:00.987654Z" },
          },
          Channel: "Security",
          Computer: "DC01.corp.local",
        },
        EventData: {
          TargetUserName: "administrator",
          TargetDomainName: "CORP",
          LogonType: 10,
          IpAddress: "203.0.113.9",
          IpPort: "51234",
        },
      },
    },
    expect: {
      format: "windows_evtx",
      ts: "2026-11-24T10:00:00.987Z",
      category: "auth",
      action: "logon",
      outcome: "failure",
      user: { name: "administrator", domain: "CORP" },
      source: { ip: "203.0.113.9", port: 51234 },
      host: { name: "DC01.corp.local" },
      network: { protocol: "rdp" },
      fields: {
        EventID: "4625",
        Channel: "Security",
        TargetUserName: "administrator",
      },
    },
  },
  {
    name: "Windows Sysmon 1 (xmltodict layout) with hashes",
    payload: {
      Event: {
        System: {
          Provider: { "@Name": "Microsoft-Windows-Sysmon" },
          EventID: { "#text": "1" },
          Level: "4",
          TimeCreated: { "@SystemTime": "2026-11-24 10:00:00.000" },
          Channel: "Microsoft-Windows-Sysmon/Operational",
          Computer: "WS7",
        },
        EventData: {
          Data: [
            { "@Name": "Image", "#text": "C:\\Windows\\System32\\cmd.exe" },
            { "@Name": "CommandLine", "#text": "cmd.exe /c whoami" },
            { "@Name": "User", "#text": "CORP\\dave" },
            { "@Name": "ProcessId", "#text": "4242" },
            { "@Name": "ParentImage", "#text": "C:\\Windows\\explorer.exe" },
            {
              "@Name": "Hashes",
              "#text": "MD5=0123456789ABCDEF0123456789ABCDEF,SHA256=" +
                "ab".repeat(32),
            },
          ],
        },
      },
    },
    expect: {
      category: "process",
      action: "process_start",
      user: { name: "dave", domain: "CORP" },
      process: {
        name: "cmd.exe",
        pid: 4242,
        command_line: "cmd.exe /c whoami",
        parent: { name: "explorer.exe" },
        hash: {
          md5: "0123456789abcdef0123456789abcdef",
          sha256: "ab".repeat(32),
        },
      },
      fields: { Image: "C:\\Windows\\System32\\cmd.exe" },
    },
  },
  {
    name: "format hint wins over sniffing",
    payload: "src=10.0.0.1 dst=10.0.0.2",
    format: "kv",
    expect: { format: "kv", category: "network" },
  },
  {
    name: "no usable time: falls back to received_at",
    payload: 'user=alice action=login result=success msg="login ok"',
    expect: {
      ts: "2026-12-01T00:00:00.000Z",
      ts_source: "received_at",
      category: "auth",
      outcome: "success",
    },
  },
];

/**
 * Review findings of 2026-11-24 (parser_fixes), one or more cases each,
 * numbered as the review numbered them.
 */
const REVIEW_CASES: Case[] = [
  {
    name: "1: LEEF values keep their backslashes (LEEF defines no escapes)",
    payload:
      "LEEF:1.0|V|P|1.0|41|src=10.0.1.8\tusrName=CORP\\alice\tresource=C:\\temp\\new.txt",
    expect: {
      format: "leef",
      user: { name: "CORP\\alice" },
      source: { ip: "10.0.1.8" },
      fields: { resource: "C:\\temp\\new.txt" },
    },
  },
  {
    name:
      "2: RFC 3164 New Year: a Jan 1 line received Dec 31 (sender ahead) is next year",
    payload: "<13>Jan  1 00:30:00 host app: x",
    receivedAt: "2026-12-31T23:30:00.000Z",
    expect: {
      ts: "2027-01-01T00:30:00.000Z",
      ts_source: "event",
      host: { name: "host" },
    },
  },
  {
    name: "2: RFC 3164 New Year: a Dec 31 line received Jan 1 is last year",
    payload: "<13>Dec 31 23:50:00 host app: x",
    receivedAt: "2027-01-01T00:10:00.000Z",
    expect: { ts: "2026-12-31T23:50:00.000Z", ts_source: "event" },
  },
  {
    name:
      "2: RFC 3164 New Year: a Jan 10 line received Dec 31 is over a day ahead, so this year's",
    payload: "<13>Jan 10 00:30:00 host app: x",
    receivedAt: "2026-12-31T23:30:00.000Z",
    expect: { ts: "2026-01-10T00:30:00.000Z", ts_source: "event" },
  },
  {
    name:
      "3: Apache 2.4 error log, unbracketed IPv6 client: the trailing :port is split off",
    payload:
      "[Wed Oct 11 14:32:52.123456 2026] [core:error] [pid 35708:tid 1] [client 2001:db8::1:5678] AH00124: Request exceeded the limit",
    expect: {
      format: "apache_error",
      ts: "2026-10-11T14:32:52.123Z",
      source: { ip: "2001:db8::1", port: 5678 },
      process: { pid: 35708 },
      fields: { message: "AH00124: Request exceeded the limit" },
    },
  },
  {
    name: "3: Apache 2.4 error log, bracketed IPv6 client with port",
    payload:
      "[Wed Oct 11 14:32:52.123456 2026] [core:error] [pid 35708:tid 1] [client [2001:db8::1]:5678] AH00124: Request exceeded the limit",
    expect: {
      source: { ip: "2001:db8::1", port: 5678 },
      fields: { message: "AH00124: Request exceeded the limit" },
    },
  },
  {
    name: "3: Apache 2.2 error log, IPv6 client without a port stays whole",
    payload:
      "[Sun Dec 04 04:47:44 2005] [error] [client 2001:db8::1:5678] File does not exist: /var/www/x",
    expect: {
      source: { ip: "2001:db8::1:5678" },
      fields: { message: "File does not exist: /var/www/x" },
    },
    absent: ["source.port"],
  },
  {
    name:
      '4: RFC 5424 SD-PARAM: only \\", \\\\ and \\] are escapes, other backslashes are kept',
    payload:
      '<13>1 2026-11-24T10:00:00Z host app - - [x@1 path="C:\\Windows\\temp" q="a\\"b" b="x\\\\y" br="[1\\]"] msg',
    expect: {
      fields: {
        "sd.x@1.path": "C:\\Windows\\temp",
        "sd.x@1.q": 'a"b',
        "sd.x@1.b": "x\\y",
        "sd.x@1.br": "[1]",
      },
    },
  },
  {
    name: "5: CEF rt with a numeric offset",
    payload:
      "CEF:0|Acme|NGFW|9.1|100|deny|5|rt=Nov 24 2026 10:00:00 +0100 src=203.0.113.9",
    expect: { ts: "2026-11-24T09:00:00.000Z", ts_source: "event" },
  },
  {
    name: "5: CEF rt in PST",
    payload:
      "CEF:0|Acme|NGFW|9.1|100|deny|5|rt=Nov 24 2026 02:00:00 PST src=203.0.113.9",
    expect: { ts: "2026-11-24T10:00:00.000Z", ts_source: "event" },
  },
  {
    name: "5: CEF rt in GMT+01:00",
    payload:
      "CEF:0|Acme|NGFW|9.1|100|deny|5|rt=Nov 24 2026 10:00:00 GMT+01:00 src=203.0.113.9",
    expect: { ts: "2026-11-24T09:00:00.000Z", ts_source: "event" },
  },
  {
    name: "5: CEF rt without a year, with a zone",
    payload:
      "CEF:0|Acme|NGFW|9.1|100|deny|5|rt=Nov 24 10:00:00.123 +0100 src=203.0.113.9",
    expect: { ts: "2026-11-24T09:00:00.123Z", ts_source: "event" },
  },
  {
    name: "5: LEEF devTime in IBM's documented MMM dd yyyy HH:mm:ss.SSS z",
    payload:
      "LEEF:1.0|V|P|1.0|41|src=10.0.1.8\tdevTime=Nov 24 2026 02:07:36.300 EST",
    expect: { ts: "2026-11-24T07:07:36.300Z", ts_source: "event" },
  },
  {
    name: "5: RFC 2822 obsolete zone (EDT) in a key=value time",
    payload: 'timestamp="Tue, 24 Jun 2026 06:00:00 EDT" src=10.0.0.1',
    expect: { ts: "2026-06-24T10:00:00.000Z", ts_source: "event" },
  },
  {
    name:
      "5: an unknown zone abbreviation is not read as UTC: received_at, flagged",
    payload:
      "CEF:0|Acme|NGFW|9.1|100|deny|5|rt=Nov 24 2026 10:00:00 IST src=203.0.113.9",
    expect: {
      ts: "2026-12-01T00:00:00.000Z",
      ts_source: "received_at",
      fields: {
        rt: "Nov 24 2026 10:00:00 IST",
        "parser.ts_unreadable": "Nov 24 2026 10:00:00 IST",
      },
    },
  },
  {
    name: "6: CEF value with an unescaped '=' (a URL query) is kept whole",
    payload:
      "CEF:0|Acme|WAF|1.0|200|request|3|src=1.2.3.4 request=https://x.example/a?b=c requestMethod=POST msg=k=v and more cs1=x",
    expect: {
      source: { ip: "1.2.3.4" },
      url: {
        original: "https://x.example/a?b=c",
        domain: "x.example",
        path: "/a",
        query: "b=c",
      },
      http: { request: { method: "POST" } },
      fields: { msg: "k=v and more", cs1: "x" },
    },
    absent: ["fields.ttps://x.example/a?b", "fields.k"],
  },
  {
    name: "7: CEF without rt: start is the event time (start and end kept)",
    payload:
      "CEF:0|Acme|NGFW|9.1|100|conn|3|start=Nov 24 2026 10:00:00 end=Nov 24 2026 10:05:00 src=10.0.0.1",
    expect: {
      ts: "2026-11-24T10:00:00.000Z",
      ts_source: "event",
      fields: { start: "Nov 24 2026 10:00:00", end: "Nov 24 2026 10:05:00" },
    },
  },
  {
    name: "7: CEF without rt or start: end (epoch ms) is the event time",
    payload: "CEF:0|Acme|NGFW|9.1|100|conn|3|end=1795514700000 src=10.0.0.1",
    expect: { ts: "2026-11-24T10:05:00.000Z", ts_source: "event" },
  },
  {
    name: "7: LEEF devTime read with its devTimeFormat",
    payload:
      "LEEF:1.0|V|P|1.0|41|src=10.0.1.8\tdevTimeFormat=dd/MM/yyyy HH:mm:ss\tdevTime=24/11/2026 10:00:00",
    expect: {
      ts: "2026-11-24T10:00:00.000Z",
      ts_source: "event",
      fields: { devTimeFormat: "dd/MM/yyyy HH:mm:ss" },
    },
  },
  {
    name: "7: LEEF devTimeFormat with month names, 12-hour clock and a zone",
    payload:
      "LEEF:2.0|V|P|1.0|41|^|devTimeFormat=EEE, d MMM yyyy hh:mm:ss.SSS a Z^devTime=Tue, 24 Nov 2026 05:00:00.250 PM +0100",
    expect: { ts: "2026-11-24T16:00:00.250Z", ts_source: "event" },
  },
  {
    name: "7: LEEF devTime that does not fit stays in fields as devTime",
    payload:
      "LEEF:1.0|V|P|1.0|41|src=10.0.1.8\tdevTimeFormat=yyyy-MM-dd\tdevTime=sometime",
    expect: {
      ts_source: "received_at",
      fields: { devTime: "sometime", "parser.ts_unreadable": "sometime" },
    },
    absent: ["fields.devtime"],
  },
  {
    name:
      "8: Windows EventData with a single Data object named by a plain Name",
    payload: {
      Event: {
        System: {
          Provider: { Name: "Microsoft-Windows-Security-Auditing" },
          EventID: 4625,
          TimeCreated: { SystemTime: "2026-11-24T10:00:00.000Z" },
          Channel: "Security",
          Computer: "DC01",
        },
        EventData: { Data: { Name: "TargetUserName", "#text": "bob" } },
      },
    },
    expect: {
      format: "windows_evtx",
      action: "logon",
      user: { name: "bob" },
      fields: { TargetUserName: "bob" },
    },
    absent: ["fields.Data"],
  },
  {
    name: "9: access log: Apache's \\\" and \\\\ escapes are undone",
    payload:
      '198.51.100.7 - - [24/Nov/2026:10:00:00 +0000] "GET /a\\"b HTTP/1.1" 404 5 "-" "Mozilla \\"x\\" \\\\y \\x41"',
    expect: {
      url: { original: '/a"b' },
      http: {
        response: { status_code: 404 },
        user_agent: 'Mozilla "x" \\y \\x41',
      },
    },
  },
  {
    name: "9: Debian/Ubuntu vhost_combined access line",
    payload:
      'www.example.com:80 10.0.0.1 - - [24/Nov/2026:10:00:00 +0000] "GET /index.html HTTP/1.1" 200 612 "-" "curl/8.0"',
    expect: {
      format: "apache_access",
      ts: "2026-11-24T10:00:00.000Z",
      source: { ip: "10.0.0.1" },
      destination: { domain: "www.example.com", port: 80 },
      url: { original: "/index.html", domain: "www.example.com" },
      http: { response: { status_code: 200, bytes: 612 } },
    },
  },
  {
    name: "9: vhost_combined with an IP virtual host",
    payload:
      '10.0.0.5:443 203.0.113.9 - - [24/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "curl/8.0"',
    expect: {
      source: { ip: "203.0.113.9" },
      destination: { ip: "10.0.0.5", port: 443 },
    },
  },
  {
    name:
      "10: syslog <PRI> with no timestamp: the rest is CONTENT, received_at stands in",
    payload: "<13>sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2",
    expect: {
      format: "rfc3164",
      ts: "2026-12-01T00:00:00.000Z",
      ts_source: "received_at",
      action: "ssh_login",
      outcome: "failure",
      user: { name: "root" },
      source: { ip: "1.2.3.4", port: 22 },
      process: { name: "sshd", pid: 1 },
    },
    absent: ["host"],
  },
  {
    name:
      "11: RFC 3164 Feb 30 is no date: the line is read, ts falls back, flagged",
    payload:
      "<13>Feb 30 10:00:00 host sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2",
    expect: {
      ts: "2026-12-01T00:00:00.000Z",
      ts_source: "received_at",
      host: { name: "host" },
      user: { name: "root" },
      fields: { "parser.ts_unreadable": "Feb 30 10:00:00" },
    },
  },
  {
    name: "11: ISO 2026-02-30 is no date (not March 2)",
    payload: "ts=2026-02-30T10:00:00Z src=1.2.3.4",
    expect: {
      ts_source: "received_at",
      fields: { "parser.ts_unreadable": "2026-02-30T10:00:00Z" },
    },
  },
  {
    name: "11: ISO-stamped syslog on 2026-02-30 is read, ts falls back",
    payload: "2026-02-30T10:00:00Z host app: x",
    expect: {
      ts_source: "received_at",
      host: { name: "host" },
      fields: { "parser.ts_unreadable": "2026-02-30T10:00:00Z" },
    },
  },
  {
    name:
      "11: year-less Feb 29 received in a common year is the last leap day (not March 1)",
    payload: "<13>Feb 29 10:00:00 host app: x",
    receivedAt: "2027-03-05T00:00:00.000Z",
    expect: { ts: "2024-02-29T10:00:00.000Z", ts_source: "event" },
    absent: ["fields.parser.ts_unreadable"],
  },
  {
    name:
      "11: year-less Feb 29 received early in the next year is the leap day",
    payload: "<13>Feb 29 10:00:00 host app: x",
    receivedAt: "2029-01-02T00:00:00.000Z",
    expect: { ts: "2028-02-29T10:00:00.000Z", ts_source: "event" },
  },
  {
    name: "11: access log size 1e400 is no byte count: kept as written",
    payload:
      '198.51.100.7 - - [24/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1e400 "-" "curl/8.0"',
    expect: {
      http: { response: { status_code: 200 }, user_agent: "curl/8.0" },
      fields: { "http.response.bytes": "1e400" },
    },
    absent: ["http.response.bytes", "fields.http.extra"],
  },
  {
    name: "12: CEF ArcSight long names map like their short keys",
    payload:
      "CEF:0|Acme|NGFW|9.1|100|deny|5|deviceReceiptTime=1795514400000 sourceAddress=203.0.113.9 sourcePort=51234 destinationAddress=10.0.0.5 destinationPort=22 sourceUserName=alice destinationUserName=root transportProtocol=TCP deviceAction=deny bytesIn=120 deviceHostName=fw01 requestUrl=/login sourceHostName=ws1.corp destinationHostName=db1.corp",
    expect: {
      ts: "2026-11-24T10:00:00.000Z",
      outcome: "failure",
      user: { name: "alice", target: { name: "root" } },
      source: {
        ip: "203.0.113.9",
        port: 51234,
        bytes: 120,
        domain: "ws1.corp",
      },
      destination: { ip: "10.0.0.5", port: 22, domain: "db1.corp" },
      network: { transport: "tcp" },
      host: { name: "fw01" },
      url: { original: "/login" },
      fields: { deviceAction: "deny" },
    },
    absent: ["fields.destinationAddress", "fields.sourceUserName"],
  },
  {
    name:
      "12: CEF labels apply to c6a*, cfp3/cfp4, deviceCustomDate* and long-named custom strings",
    payload:
      "CEF:0|Acme|NGFW|9.1|100|x|3|c6a1=2001:db8::5 c6a1Label=Tunnel Peer cfp3=0.75 cfp3Label=Risk cfp4=1.5 cfp4Label=Ratio deviceCustomDate1=Nov 24 2026 10:00:00 deviceCustomDate1Label=First Seen deviceCustomString1=Gold deviceCustomString1Label=Tier",
    expect: {
      fields: {
        "Tunnel Peer": "2001:db8::5",
        Risk: "0.75",
        Ratio: "1.5",
        "First Seen": "Nov 24 2026 10:00:00",
        Tier: "Gold",
      },
    },
  },
  {
    name: "12: key=value single-quoted values lose their quotes",
    payload: "user='bob smith' src=10.0.0.1 msg='it\\'s ok' action=allow",
    expect: {
      user: { name: "bob smith" },
      source: { ip: "10.0.0.1" },
      fields: { msg: "it's ok" },
    },
  },
];

for (const c of [...CASES, ...REVIEW_CASES]) {
  Deno.test(`format: ${c.name}`, () => {
    const extra: Partial<RawEvent> = {};
    if (c.format) extra.format = c.format;
    if (c.receivedAt) extra.received_at = c.receivedAt;
    const r = parseOne(c.payload, extra);
    assert.equal(validateRecord(r), null, JSON.stringify(r));
    assert.equal(r.record, "enriched_event", (r as DeadLetter).reason);
    const e = r as EnrichedEvent;
    assert.deepEqual(pick(e, c.expect), c.expect);
    for (const path of c.absent ?? []) {
      assert.equal(at(e, path), undefined, `${path} must be absent`);
    }
    assert.deepEqual(
      e.payload,
      c.payload,
      "the original payload is kept unchanged",
    );
  });
}

interface BadCase {
  name: string;
  payload: string | Record<string, unknown>;
  format?: string;
  code: DeadLetter["reason_code"];
  reason: RegExp;
}

const BAD: BadCase[] = [
  {
    name: "truncated syslog timestamp",
    payload: "<13>Nov 24 10:0",
    code: "unparseable",
    reason: /rfc3164: unreadable timestamp/,
  },
  {
    name: "syslog cut after the time",
    payload: "Nov 24 10:00:00 ",
    code: "unparseable",
    reason: /truncated/,
  },
  {
    name: "truncated CEF header",
    payload: "CEF:0|Acme|NGFW",
    code: "unparseable",
    reason: /cef: header has 2 of 7/,
  },
  {
    name: "truncated JSON line",
    payload: '{"@timestamp":"2026-11-24T10:',
    code: "unparseable",
    reason: /JSON but does not parse/,
  },
  {
    name: "JSON array payload",
    payload: "[1,2]",
    format: "json",
    code: "unparseable",
    reason: /an array, expected an object/,
  },
  {
    name: "truncated RFC 5424 structured data",
    payload: '<165>1 2026-11-24T10:00:00Z host app - - [sd a="b',
    code: "unparseable",
    reason: /rfc5424: unterminated value of sd.a/,
  },
  {
    name: "unknown text",
    payload: "hello world, nothing to see",
    code: "unknown_format",
    reason: /no known log format/,
  },
  {
    name: "empty payload",
    payload: "   ",
    code: "unparseable",
    reason: /empty payload/,
  },
  {
    name: "bad PRI",
    payload: "<999>Nov 24 10:00:00 h p: m",
    code: "unparseable",
    reason: /PRI must be/,
  },
  {
    name: "truncated access log",
    payload: '1.2.3.4 - - [24/Nov/2026:10:00:00 +0000] "GET /',
    code: "unparseable",
    reason: /access log/,
  },
  {
    name: "windows hint without System",
    payload: { foo: 1 },
    format: "windows_evtx",
    code: "unparseable",
    reason: /no Event.System/,
  },
];

for (const c of BAD) {
  Deno.test(`dead letter: ${c.name}`, () => {
    const r = parseOne(c.payload, c.format ? { format: c.format } : {});
    assert.equal(validateRecord(r), null, JSON.stringify(r));
    assert.equal(r.record, "dead_letter");
    const d = r as DeadLetter;
    assert.equal(d.stage, "parser");
    assert.equal(d.reason_code, c.code);
    assert.match(d.reason, c.reason);
    assert.equal(d.tenant, "acme");
    assert.ok(d.event_id, "the dead letter names the event");
    assert.ok(d.input.includes("raw_event"), "the offending RawEvent is kept");
  });
}

Deno.test("non-UTF-8 bytes (decoded to U+FFFD) still parse and are flagged", () => {
  const bytes = new Uint8Array([
    ...new TextEncoder().encode(
      "Nov 24 10:00:00 web-01 sshd[1]: Failed password for ",
    ),
    0xff,
    0xfe,
    0x61,
    ...new TextEncoder().encode(" from 203.0.113.9 port 22 ssh2"),
  ]);
  const line = new TextDecoder().decode(bytes); // as the NDJSON framer does
  const r = parseOne(line) as EnrichedEvent;
  assert.equal(validateRecord(r), null);
  assert.equal(r.action, "ssh_login");
  assert.equal(r.user?.name, "\uFFFD\uFFFDa");
  assert.equal(r.source?.ip, "203.0.113.9");
  assert.equal(r.fields["parser.invalid_utf8"], "true");
});

Deno.test("ground_truth is copied to the event and nowhere else", () => {
  const gt = { scenario: "brute_force_ssh", role: "attacker" };
  const r = parseOne(
    "Nov 24 10:00:00 web-01 sshd[1]: Failed password for root from 203.0.113.9 port 22 ssh2",
    { ground_truth: gt },
  ) as EnrichedEvent;
  assert.deepEqual(r.ground_truth, gt);
  const copy = { ...r, ground_truth: undefined };
  assert.ok(!JSON.stringify(copy).includes("brute_force_ssh"));
});

Deno.test("envelope ids, tenant, source and transport are copied from the RawEvent", () => {
  const r = parseOne("src=1.2.3.4", {
    tenant: "t2",
    source_name: "fw",
    transport: "syslog",
  }) as EnrichedEvent;
  assert.equal(r.tenant, "t2");
  assert.equal(r.source_name, "fw");
  assert.equal(r.transport, "syslog");
  assert.equal(r.ingest_node, "test-node");
  assert.match(r.event_id, /^00000000-0000-4000-8000-/);
});
