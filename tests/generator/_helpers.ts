/**
 * Test helpers: a generator run in-process, and a small independent reading
 * of the payloads (syslog, CEF, ECS JSON) so tests check what a parser would
 * see rather than the generator's own internals.
 */
import type { RawEvent } from "../../stages/shared/contracts/mod.ts";
import {
  type InjectSpec,
  parseInject,
  TrafficGenerator,
} from "../../stages/generator/mod.ts";

/** Fixed virtual start of every test run. */
export const START = Date.parse("2026-11-24T10:00:00Z");

/** Generates `count` events at virtual `rate` with the given injects. */
export function generate(
  injects: string[],
  count: number,
  rate = 100,
  seed = "test-seed",
): RawEvent[] {
  const specs: InjectSpec[] = injects.map((s) => parseInject(s));
  const g = new TrafficGenerator({
    seed,
    startMs: START,
    virtualRate: rate,
    injects: specs,
    plannedCount: count,
  });
  return g.nextBatch(count);
}

/** What the tests read out of one payload. */
export interface Seen {
  timeMs: number;
  kind: string;
  outcome?: "success" | "failure";
  sourceIp?: string;
  destinationIp?: string;
  destinationPort?: number;
  user?: string;
  targetUser?: string;
  group?: string;
  command?: string;
  sourceBytes?: number;
  country?: string;
  dnsName?: string;
  dnsType?: string;
  action?: string;
}

const SSHD =
  /sshd\[\d+\]: (Failed|Accepted) (password|publickey) for (invalid user )?(\S+) from (\S+) port (\d+)/;
const SUDO = /sudo: (\S+) : .*USER=(\S+) ; COMMAND=(.+)$/;
const USERADD = /useradd\[\d+\]: new user: name=([^,]+),/;
const USERMOD = /usermod\[\d+\]: add '([^']+)' to group '([^']+)'/;
const CEF_EXT = /(\w+)=((?:[^=\\ ]|\\.)+(?: (?!\w+=)(?:[^=\\ ]|\\.)+)*)/g;

/** Reads the facts a test needs out of a RawEvent payload. */
export function read(ev: RawEvent): Seen {
  const p = ev.payload;
  if (typeof p === "object") {
    // deno-lint-ignore no-explicit-any
    const o = p as Record<string, any>;
    return {
      timeMs: Date.parse(o["@timestamp"]),
      kind: o.event?.action,
      action: o.event?.action,
      outcome: o.event?.outcome,
      sourceIp: o.source?.ip,
      destinationIp: o.destination?.ip,
      destinationPort: o.destination?.port,
      user: o.user?.name,
      sourceBytes: o.source?.bytes,
      country: o.source?.geo?.country_iso_code,
      dnsName: o.dns?.question?.name,
      dnsType: o.dns?.question?.type,
    };
  }
  const time = Date.parse(`2026 ${p.slice(0, 15)} UTC`);
  let m = SSHD.exec(p);
  if (m) {
    return {
      timeMs: time,
      kind: "ssh_login",
      outcome: m[1] === "Failed" ? "failure" : "success",
      user: m[4],
      sourceIp: m[5],
    };
  }
  m = SUDO.exec(p);
  if (m) {
    return {
      timeMs: time,
      kind: "sudo",
      user: m[1],
      targetUser: m[2],
      command: m[3],
    };
  }
  m = USERADD.exec(p);
  if (m) return { timeMs: time, kind: "user_created", targetUser: m[1] };
  m = USERMOD.exec(p);
  if (m) {
    return {
      timeMs: time,
      kind: "user_modified",
      targetUser: m[1],
      group: m[2],
    };
  }
  const cef = p.indexOf("CEF:0|");
  if (cef >= 0) {
    const parts = p.slice(cef).split("|");
    const ext: Record<string, string> = {};
    for (const x of parts.slice(7).join("|").matchAll(CEF_EXT)) {
      ext[x[1]] = x[2];
    }
    return {
      timeMs: Number(ext.rt),
      kind: "connection",
      outcome: ext.act === "allow" ? "success" : "failure",
      sourceIp: ext.src,
      destinationIp: ext.dst,
      destinationPort: Number(ext.dpt),
      action: ext.act,
    };
  }
  return { timeMs: time, kind: "other" };
}

/** True for RFC 1918 addresses. */
export function isPrivate(ip: string): boolean {
  return /^10\./.test(ip) || /^192\.168\./.test(ip) ||
    /^172\.(1[6-9]|2\d|3[01])\./.test(ip);
}

/** The labelled events of `scenario`, read. */
export function labelled(events: RawEvent[], scenario: string): {
  ev: RawEvent;
  seen: Seen;
}[] {
  return events.filter((e) => e.ground_truth?.scenario === scenario).map((
    ev,
  ) => ({ ev, seen: read(ev) }));
}

/** Largest minus smallest of `xs`. */
export function spanOf(xs: number[]): number {
  return Math.max(...xs) - Math.min(...xs);
}
