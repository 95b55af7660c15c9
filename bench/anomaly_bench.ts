/**
 * Anomaly benchmark: scoring throughput (prepared vectors, and the full path
 * with feature extraction), training time, and precision/recall per attack
 * scenario.
 *
 * Traffic: synthetic enriched events built here, shaped after
 * /work/brief SCENARIOS.md (baseline of internal clients plus each attack),
 * because the generator and parser were not committed when this was
 * written. Ground truth is read only by this scorer, never by the detector.
 *
 * Run alone: `deno run -A bench/anomaly_bench.ts [--quick]`.
 */
import type { BenchOptions, BenchResult } from "./types.ts";
import type { Alert, EnrichedEvent } from "../stages/shared/contracts/mod.ts";
import { uuidFromRandom } from "../stages/shared/ids.ts";
import { AnomalyDetector } from "../stages/detector/anomaly/detector.ts";
import { FeatureExtractor } from "../stages/detector/anomaly/features.ts";
import { fitIsolationForest } from "../stages/detector/anomaly/iforest.ts";
import { type Random, seededRandom } from "../stages/detector/anomaly/rng.ts";
import { trainFromEvents } from "../stages/detector/anomaly/train.ts";

const SCENARIOS = [
  "brute_force_ssh",
  "port_scan",
  "password_spray",
  "dns_tunneling",
  "data_exfiltration",
  "privilege_escalation",
  "lateral_movement",
  "impossible_travel",
] as const;
type Scenario = typeof SCENARIOS[number];

/** Synthetic SOC traffic: baseline and injected attacks, as enriched events. */
class Traffic {
  readonly r: Random;
  readonly #ids: Random;
  constructor(seed: number) {
    this.r = seededRandom(seed);
    this.#ids = seededRandom(seed ^ 0xabcdef);
  }

  event(t: number, p: Partial<EnrichedEvent>): EnrichedEvent {
    const ts = new Date(t).toISOString();
    return {
      record: "enriched_event",
      event_id: uuidFromRandom(this.#ids.uint32),
      received_at: ts,
      tenant: "default",
      source_name: "bench",
      transport: "generator",
      ingest_node: "bench",
      format: "json",
      ts,
      ts_source: "event",
      category: "other",
      action: "noop",
      outcome: "success",
      severity: "informational",
      fields: {},
      payload: {},
      ...p,
    };
  }

  /** `n` baseline events from `t0`, `gapMs` apart. */
  baseline(n: number, t0: number, gapMs: number): EnrichedEvent[] {
    const r = this.r, out: EnrichedEvent[] = [];
    const users = [
      "alice",
      "bob",
      "carol",
      "dave",
      "erin",
      "frank",
      "grace",
      "heidi",
    ];
    const names = [
      "www.example.com",
      "mail.example.com",
      "api.github.com",
      "login.microsoftonline.com",
      "cdn.jsdelivr.net",
      "ntp.ubuntu.com",
      "updates.example.org",
    ];
    const servers = [
      "93.184.216.34",
      "140.82.112.3",
      "151.101.1.69",
      "10.0.9.1",
      "10.0.9.2",
      "10.0.9.3",
    ];
    const ports = [443, 443, 443, 443, 80, 53, 22, 8080, 993];
    for (let i = 0; i < n; i++) {
      const t = t0 + i * gapMs;
      const client = `10.0.${r.int(4)}.${10 + r.int(60)}`;
      const user = users[r.int(users.length)];
      const k = r.next();
      if (k < 0.1) {
        out.push(this.event(t, {
          category: "auth",
          action: "ssh_login",
          outcome: r.next() < 0.04 ? "failure" : "success",
          source: {
            ip: client,
            port: 40000 + r.int(20000),
            ip_class: "private",
          },
          user: { name: user },
          host: { name: "srv-01" },
          network: { protocol: "ssh" },
        }));
      } else if (k < 0.55) {
        const dst = servers[r.int(servers.length)];
        out.push(this.event(t, {
          category: "network",
          action: "connection",
          outcome: r.next() < 0.02 ? "failure" : "success",
          source: {
            ip: client,
            port: 40000 + r.int(20000),
            bytes: 300 + r.int(200_000),
            ip_class: "private",
          },
          destination: {
            ip: dst,
            port: ports[r.int(ports.length)],
            ip_class: dst.startsWith("10.") ? "private" : "public",
          },
          network: { transport: "tcp" },
        }));
      } else if (k < 0.85) {
        out.push(this.event(t, {
          category: "dns",
          action: "dns_query",
          source: { ip: client, ip_class: "private" },
          dns: {
            question: { name: names[r.int(names.length)], type: "A" },
            response_code: "NOERROR",
          },
        }));
      } else if (k < 0.98) {
        out.push(this.event(t, {
          category: "web",
          action: "http_request",
          outcome: r.next() < 0.05 ? "failure" : "success",
          source: { ip: client, ip_class: "private" },
          url: { original: `/app/${r.int(20)}` },
          http: {
            request: { method: "GET" },
            response: { status_code: 200, bytes: 500 + r.int(20_000) },
          },
        }));
      } else {
        const admin = r.next() < 0.5 ? "opsadmin" : "root-ops";
        out.push(this.event(t, {
          category: "auth",
          action: "sudo",
          user: { name: admin, target: { name: "root" } },
          host: { name: "srv-01" },
          process: { command_line: "/usr/bin/systemctl restart nginx" },
        }));
      }
    }
    return out;
  }

  /** One instance of `s` starting at `t`; returns its events and the attacker entity. */
  attack(s: Scenario, t: number, k: number): EnrichedEvent[] {
    const r = this.r, gt = { scenario: s, role: "attacker" };
    const pub = `203.0.${113 + k}.${10 + r.int(200)}`;
    const internal = `10.0.${r.int(4)}.${10 + r.int(60)}`;
    const out: EnrichedEvent[] = [];
    const add = (dt: number, p: Partial<EnrichedEvent>) =>
      out.push(this.event(t + dt, { ...p, ground_truth: gt }));
    switch (s) {
      case "brute_force_ssh":
        for (let i = 0; i < 14; i++) {
          add(i * 4000, {
            category: "auth",
            action: "ssh_login",
            outcome: "failure",
            source: { ip: pub, port: 50000 + i, ip_class: "public" },
            user: { name: "admin" },
            network: { protocol: "ssh" },
          });
        }
        add(60_000, {
          category: "auth",
          action: "ssh_login",
          source: { ip: pub, ip_class: "public" },
          user: { name: "admin" },
        });
        break;
      case "port_scan":
        for (let i = 0; i < 30; i++) {
          add(i * 1000, {
            category: "network",
            action: "connection",
            outcome: r.next() < 0.9 ? "failure" : "success",
            source: { ip: pub, port: 60000, bytes: 60, ip_class: "public" },
            destination: {
              ip: "10.0.9.1",
              port: 1 + r.int(10000),
              ip_class: "private",
            },
            network: { transport: "tcp" },
          });
        }
        break;
      case "password_spray":
        for (let i = 0; i < 16; i++) {
          add(i * 7000, {
            category: "auth",
            action: "ssh_login",
            outcome: "failure",
            source: { ip: pub, ip_class: "public" },
            user: { name: `user${i}` },
          });
        }
        break;
      case "dns_tunneling":
        for (let i = 0; i < 45; i++) {
          let label = "";
          for (let j = 0; j < 48; j++) {
            label += "abcdefghijklmnopqrstuvwxyz0123456789"[r.int(36)];
          }
          add(i * 2000, {
            category: "dns",
            action: "dns_query",
            source: { ip: internal, ip_class: "private" },
            dns: {
              question: { name: `${label}.t.evil-tunnel.net`, type: "TXT" },
              response_code: "NOERROR",
            },
          });
        }
        break;
      case "data_exfiltration":
        for (let i = 0; i < 5; i++) {
          add(i * 50_000, {
            category: "network",
            action: "connection",
            source: {
              ip: internal,
              bytes: 110_000_000 + r.int(20_000_000),
              ip_class: "private",
            },
            destination: {
              ip: "198.51.100.200",
              port: 443,
              ip_class: "public",
            },
            network: { transport: "tcp" },
          });
        }
        break;
      case "privilege_escalation": {
        const u = `intern${k}`;
        add(0, {
          category: "auth",
          action: "sudo",
          user: { name: u, target: { name: "root" } },
          process: { command_line: "/bin/bash" },
          host: { name: "srv-01" },
        });
        add(20_000, {
          category: "auth",
          action: "user_created",
          user: { name: u, target: { name: "backdoor" } },
        });
        add(40_000, {
          category: "auth",
          action: "user_modified",
          user: { name: u, target: { name: "backdoor" } },
        });
        break;
      }
      case "lateral_movement":
        for (let i = 0; i < 10; i++) {
          add(i * 10_000, {
            category: "network",
            action: "connection",
            source: { ip: internal, bytes: 2000, ip_class: "private" },
            destination: {
              ip: `10.0.20.${i + 1}`,
              port: [22, 445, 3389, 5985][i % 4],
              ip_class: "private",
            },
            network: { transport: "tcp" },
          });
        }
        break;
      case "impossible_travel": {
        const u = ["alice", "bob", "carol"][k % 3];
        add(0, {
          category: "auth",
          action: "web_login",
          user: { name: u },
          source: {
            ip: `198.51.100.${k + 1}`,
            geo: { country_iso_code: "DE" },
          },
        });
        add(300_000, {
          category: "auth",
          action: "web_login",
          user: { name: u },
          source: {
            ip: `203.0.113.${k + 50}`,
            geo: { country_iso_code: "BR" },
          },
        });
        break;
      }
    }
    return out;
  }
}

const T0 = Date.parse("2026-11-23T00:00:00.000Z");

function timed<T>(fn: () => T): [T, number] {
  const t = performance.now();
  const v = fn();
  return [v, performance.now() - t];
}

/** Runs the benchmark. */
export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const q = opts.quick;
  const results: BenchResult[] = [];
  const area = "anomaly";
  const traffic = new Traffic(11);
  // History: one full day so hour-of-day features are learned.
  const nHist = q ? 20_000 : 60_000;
  // Every stream below keeps the history's event rate, so windowed counts
  // mean the same thing at training and at scoring time.
  const gap = 86_400_000 / nHist;
  const history = traffic.baseline(nHist, T0, gap);
  const [model, trainMs] = await (async () => {
    const t = performance.now();
    const m = await trainFromEvents(history, { params: { seed: 1 } });
    return [m, performance.now() - t] as const;
  })();
  results.push({
    area,
    name: `train from ${nHist} events (extraction + 100 trees, ψ=256 + stats)`,
    value: Math.round(trainMs),
    unit: "ms",
  });
  // Prepared vectors.
  const nScore = q ? 50_000 : 400_000;
  const evalEvents = traffic.baseline(nScore, T0 + 86_400_000, gap);
  const fx = new FeatureExtractor(model.feature_spec);
  fx.importState(model.state!);
  const dim = fx.dim;
  const rows = new Float64Array(nScore * dim);
  const [, extractMs] = timed(() => {
    for (let i = 0; i < nScore; i++) fx.extract(evalEvents[i], rows, i * dim);
  });
  const [, fitMs] = timed(() =>
    fitIsolationForest(rows, nScore, dim, { seed: 2 })
  );
  results.push({
    area,
    name: "fit forest only (100 trees, ψ=256)",
    value: Math.round(fitMs * 10) / 10,
    unit: "ms",
  });
  const forest = model.forest;
  let sink = 0;
  forest.score(rows, 0);
  const [, scoreMs] = timed(() => {
    for (let i = 0; i < nScore; i++) sink += forest.score(rows, i * dim);
  });
  const perVec = nScore / (scoreMs / 1000);
  results.push({
    area,
    name: `score prepared vectors, one at a time (${dim} features, 100 trees)`,
    value: Math.round(perVec),
    unit: "events/s",
    target: ">= 500000",
    met: perVec >= 500_000,
  });
  const out = new Float64Array(nScore);
  const [, batchMs] = timed(() => forest.scoreBatch(rows, nScore, out));
  const perBatch = nScore / (batchMs / 1000);
  results.push({
    area,
    name: "score prepared vectors, batched tree-major",
    value: Math.round(perBatch),
    unit: "events/s",
    target: ">= 500000",
    met: perBatch >= 500_000,
  });
  results.push({
    area,
    name: "feature extraction only",
    value: Math.round(nScore / (extractMs / 1000)),
    unit: "events/s",
  });
  // Full path: detector.observe = extraction + scoring + alerting.
  const det = new AnomalyDetector({ model });
  let alerts = 0;
  const evalEvents2 = traffic.baseline(nScore, T0 + 2 * 86_400_000, gap);
  const [, fullMs] = timed(() => {
    for (const e of evalEvents2) det.observe(e, () => alerts++);
  });
  results.push({
    area,
    name: "full path: detector.observe (features + score + alerts)",
    value: Math.round(nScore / (fullMs / 1000)),
    unit: "events/s",
    notes:
      `${alerts} alerts on ${nScore} baseline events (false positives after suppression)`,
  });
  // Precision / recall per scenario.
  const instances = 3;
  const nEval = q ? 8_000 : 20_000;
  for (const s of SCENARIOS) {
    const t1 = T0 + 30 * 86_400_000;
    const span = nEval * gap;
    const events = traffic.baseline(nEval, t1, span / nEval);
    for (let k = 0; k < instances; k++) {
      events.push(
        ...traffic.attack(s, t1 + (k + 1) * (span / (instances + 1)), k),
      );
    }
    events.sort((a, b) => a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0);
    const byId = new Map(events.map((e) => [e.event_id, e]));
    const d = new AnomalyDetector({ model });
    const raised: Alert[] = [];
    for (const e of events) d.observe(e, (a) => raised.push(a));
    const tp = raised.filter((a) =>
      byId.get(a.evidence.event_ids[0])?.ground_truth?.scenario === s
    );
    // An instance is found when an alert's evidence belongs to it (instances are hours apart).
    const found = new Set(
      tp.map((a) =>
        Math.floor((Date.parse(a.ts) - t1) / (span / (instances + 1)))
      ),
    );
    const precision = raised.length ? tp.length / raised.length : 0;
    const recall = found.size / instances;
    results.push({
      area,
      name: `${s}: recall (instances flagged)`,
      value: Math.round(recall * 100) / 100,
      unit: "ratio",
      notes: `${found.size}/${instances} instances, ${tp.length} true alerts`,
    });
    results.push({
      area,
      name: `${s}: precision (alerts on attack events / all alerts)`,
      value: Math.round(precision * 100) / 100,
      unit: "ratio",
      notes:
        `${raised.length} alerts over ${events.length} events (synthetic traffic)`,
    });
  }
  if (sink === 42) console.log(""); // keep the scoring loop from being optimized away
  return results;
}

if (import.meta.main) {
  const res = await run({ quick: Deno.args.includes("--quick") });
  for (const r of res) {
    console.log(
      `${r.name.padEnd(72)} ${String(r.value).padStart(10)} ${r.unit}${
        r.target ? `  (target ${r.target}: ${r.met ? "met" : "NOT met"})` : ""
      }${r.notes ? `  — ${r.notes}` : ""}`,
    );
  }
}
