/** Small builders of schema-valid enriched events for the anomaly tests. */
import type { EnrichedEvent } from "../../../stages/shared/contracts/mod.ts";
import { uuidFromRandom } from "../../../stages/shared/ids.ts";
import { seededRandom } from "../../../stages/detector/anomaly/rng.ts";

const ids = seededRandom(42);

/** An enriched event at `ts` with the given parts merged over a neutral base. */
export function event(
  ts: string,
  parts: Partial<EnrichedEvent> = {},
): EnrichedEvent {
  return {
    record: "enriched_event",
    event_id: uuidFromRandom(ids.uint32),
    received_at: ts,
    tenant: "default",
    source_name: "test",
    transport: "generator",
    ingest_node: "test-node",
    format: "json",
    ts,
    ts_source: "event",
    category: "other",
    action: "noop",
    outcome: "success",
    severity: "informational",
    fields: {},
    payload: {},
    ...parts,
  };
}

/** `base` plus `s` seconds, as an ISO timestamp. */
export function at(base: string, s: number): string {
  return new Date(Date.parse(base) + s * 1000).toISOString();
}

/** A failed (or successful) SSH login. */
export function sshLogin(
  ts: string,
  ip: string,
  user: string,
  outcome: "success" | "failure",
): EnrichedEvent {
  return event(ts, {
    category: "auth",
    action: "ssh_login",
    outcome,
    source: {
      ip,
      port: 50000,
      ip_class: ip.startsWith("10.") ? "private" : "public",
    },
    user: { name: user },
    host: { name: "web-01" },
    network: { protocol: "ssh" },
  });
}

/** A firewall connection from `ip` to `dst:port`. */
export function connection(
  ts: string,
  ip: string,
  dst: string,
  port: number,
  opts: { bytes?: number; outcome?: "success" | "failure" } = {},
): EnrichedEvent {
  return event(ts, {
    category: "network",
    action: "connection",
    outcome: opts.outcome ?? "success",
    source: {
      ip,
      port: 40000,
      ...(opts.bytes !== undefined ? { bytes: opts.bytes } : {}),
    },
    destination: { ip: dst, port },
    network: { transport: "tcp" },
  });
}

/** A DNS query from `ip` for `name`. */
export function dnsQuery(
  ts: string,
  ip: string,
  name: string,
  type = "A",
): EnrichedEvent {
  return event(ts, {
    category: "dns",
    action: "dns_query",
    source: { ip },
    dns: { question: { name, type }, response_code: "NOERROR" },
  });
}

/**
 * Ordinary traffic: internal clients logging in, browsing on common ports,
 * resolving common names, with the odd failed login. Deterministic.
 */
export function baseline(n: number, start: string, seed = 7): EnrichedEvent[] {
  const r = seededRandom(seed);
  const out: EnrichedEvent[] = [];
  const names = [
    "www.example.com",
    "mail.example.com",
    "api.github.com",
    "cdn.jsdelivr.net",
    "ntp.ubuntu.com",
  ];
  const users = ["alice", "bob", "carol", "dave", "erin", "frank"];
  const ports = [443, 443, 443, 80, 53, 22, 8080];
  for (let i = 0; i < n; i++) {
    const ts = at(start, i * 0.5);
    const client = `10.0.${r.int(3)}.${10 + r.int(40)}`;
    const k = r.next();
    if (k < 0.15) {
      out.push(
        sshLogin(
          ts,
          client,
          users[r.int(users.length)],
          r.next() < 0.03 ? "failure" : "success",
        ),
      );
    } else if (k < 0.6) {
      out.push(
        connection(
          ts,
          client,
          `10.0.9.${1 + r.int(5)}`,
          ports[r.int(ports.length)],
          { bytes: 200 + r.int(50_000) },
        ),
      );
    } else {
      out.push(dnsQuery(ts, client, names[r.int(names.length)]));
    }
  }
  return out;
}
