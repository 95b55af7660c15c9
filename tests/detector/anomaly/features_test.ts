import assert from "node:assert/strict";
import {
  DEFAULT_FEATURE_SPEC,
  FeatureExtractor,
  type FeatureSpec,
  FeatureSpecError,
  longestLabelEntropy,
  validateSpec,
} from "../../../stages/detector/anomaly/features.ts";
import type { EnrichedEvent } from "../../../stages/shared/contracts/mod.ts";
import { at, connection, dnsQuery, event, sshLogin } from "./_events.ts";

const T0 = "2026-11-24T10:00:00.000Z";

/** Extracts every event in order; returns named feature values of each. */
function run(
  events: EnrichedEvent[],
  spec: FeatureSpec = DEFAULT_FEATURE_SPEC,
) {
  const fx = new FeatureExtractor(spec);
  const v = new Float64Array(fx.dim);
  return events.map((e) => {
    fx.extract(e, v);
    return Object.fromEntries(fx.names.map((n, i) => [n, v[i]]));
  });
}

Deno.test("failed logins per source count within 5 minutes and expire after", () => {
  const evs = [];
  for (let i = 0; i < 12; i++) {
    evs.push(sshLogin(at(T0, i * 5), "203.0.113.9", "root", "failure"));
  }
  evs.push(sshLogin(at(T0, 61), "203.0.113.9", "root", "success"));
  evs.push(sshLogin(at(T0, 62), "10.0.0.7", "alice", "failure"));
  evs.push(sshLogin(at(T0, 55 + 301), "203.0.113.9", "root", "failure"));
  const f = run(evs);
  assert.deepEqual(f.slice(0, 12).map((x) => x.src_failed_logins_5m), [
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
    12,
  ]);
  assert.equal(
    f[12].src_failed_logins_5m,
    12,
    "a success after the burst still carries the count",
  );
  assert.equal(
    f[13].src_failed_logins_5m,
    1,
    "another source has its own count",
  );
  // At +356 s only the failures after +56 s are inside the window: none, plus this one.
  assert.equal(f[14].src_failed_logins_5m, 1);
});

Deno.test("distinct destination ports per source within a minute (a port scan)", () => {
  const evs = [];
  for (let p = 1; p <= 30; p++) {
    evs.push(
      connection(at(T0, p), "198.51.100.4", "10.0.0.5", p, {
        outcome: "failure",
      }),
    );
  }
  evs.push(connection(at(T0, 31), "198.51.100.4", "10.0.0.5", 5)); // repeat port
  evs.push(connection(at(T0, 200), "198.51.100.4", "10.0.0.5", 443));
  const f = run(evs);
  assert.equal(f[29].src_distinct_dst_ports_1m, 30);
  assert.equal(
    f[30].src_distinct_dst_ports_1m,
    30,
    "a repeated port is not counted twice",
  );
  assert.equal(
    f[31].src_distinct_dst_ports_1m,
    1,
    "a minute later only the new port remains",
  );
});

Deno.test("distinct users per source count auth events only (a password spray)", () => {
  const evs = [];
  for (let u = 0; u < 15; u++) {
    evs.push(sshLogin(at(T0, u), "192.0.2.50", `user${u}`, "failure"));
  }
  evs.push(
    event(at(T0, 16), {
      category: "web",
      action: "http_request",
      source: { ip: "192.0.2.50" },
      user: { name: "x" },
    }),
  );
  const f = run(evs);
  assert.equal(f[14].src_distinct_users_10m, 15);
  assert.equal(
    f[15].src_distinct_users_10m,
    15,
    "a web request does not add a user",
  );
});

Deno.test("DNS query length and label entropy, and distinct names per source", () => {
  const tunnel = "a9f3k2j8x7q1w5e6r4t0y2u8i3o9p7l6k5j4h3g2f1d0.exfil.example";
  const f = run([
    dnsQuery(T0, "10.0.0.8", "www.example.com"),
    dnsQuery(at(T0, 1), "10.0.0.8", tunnel, "TXT"),
    dnsQuery(at(T0, 2), "10.0.0.8", "www.example.com"),
  ]);
  assert.equal(f[0].dns_query_length, "www.example.com".length);
  assert.ok(
    f[0].dns_query_entropy < 3,
    `short common label: ${f[0].dns_query_entropy}`,
  );
  assert.ok(
    f[1].dns_query_entropy > 4.5,
    `random 44-char label: ${f[1].dns_query_entropy}`,
  );
  assert.equal(f[1].dns_query_length, tunnel.length);
  assert.equal(f[2].src_distinct_dns_names_5m, 2);
  assert.equal(f[0].src_distinct_dst_ports_1m, 0, "no port in a DNS event");
});

Deno.test("label entropy: known values", () => {
  assert.equal(longestLabelEntropy("aaaa.b"), 0);
  assert.equal(longestLabelEntropy("abcd.com"), 2); // 4 equiprobable chars
  assert.equal(longestLabelEntropy(""), 0);
  assert.equal(longestLabelEntropy("ab.cdefghij"), 3); // 8 distinct chars
});

Deno.test("first-seen source and first-seen user action", () => {
  const f = run([
    sshLogin(T0, "10.0.0.1", "alice", "success"),
    sshLogin(at(T0, 1), "10.0.0.1", "alice", "success"),
    event(at(T0, 2), {
      category: "auth",
      action: "sudo",
      user: { name: "alice" },
    }),
    event(at(T0, 3), {
      category: "auth",
      action: "sudo",
      user: { name: "alice" },
    }),
  ]);
  assert.deepEqual(f.map((x) => x.src_first_seen), [1, 0, 0, 0]);
  assert.deepEqual(f.map((x) => x.user_action_first_seen), [1, 0, 1, 0]);
});

Deno.test("per-event features: cyclic hour, bytes, severity, outcome, port rarity", () => {
  const evs = [];
  for (let i = 0; i < 50; i++) {
    evs.push(
      connection(at(T0, i), "10.0.0.2", "10.0.0.9", 443, { bytes: 1000 }),
    );
  }
  evs.push(
    connection(at(T0, 60), "10.0.0.2", "10.0.0.9", 31337, {
      bytes: 0,
      outcome: "failure",
    }),
  );
  evs.push(
    event("2026-11-24T00:00:00.000Z", {
      severity: "critical",
      outcome: "unknown",
    }),
  );
  evs.push(event("2026-11-24T23:59:59.000Z"));
  evs.push(event("2026-11-24T06:00:00.000Z"));
  const f = run(evs);
  assert.ok(Math.abs(f[0].log_bytes - Math.log1p(1000)) < 1e-12);
  assert.ok(
    f[49].dst_port_rarity < 1,
    `a port seen 49 times before: ${f[49].dst_port_rarity}`,
  );
  assert.ok(
    f[50].dst_port_rarity > 5,
    `a never-seen port: ${f[50].dst_port_rarity}`,
  );
  assert.equal(f[50].outcome_failure, 1);
  assert.equal(f[0].outcome_failure, 0);
  assert.equal(f[51].outcome_failure, 0.5);
  assert.equal(f[51].severity, 4);
  assert.equal(f[51].dst_port_rarity, 0, "no port: rarity 0");
  // Midnight and one second before it are neighbours on the circle.
  assert.ok(Math.abs(f[51].hour_cos - f[52].hour_cos) < 1e-3);
  assert.ok(Math.abs(f[51].hour_sin - f[52].hour_sin) < 1e-3);
  assert.ok(Math.abs(f[53].hour_sin - 1) < 1e-12, "06:00 is a quarter turn");
});

Deno.test("bytes sent per source add up over 10 minutes (exfiltration)", () => {
  const evs = [];
  for (let i = 0; i < 5; i++) {
    evs.push(
      connection(at(T0, i * 60), "10.0.0.3", "203.0.113.77", 443, {
        bytes: 120_000_000,
      }),
    );
  }
  const f = run(evs);
  assert.ok(Math.abs(f[4].src_bytes_out_10m - Math.log1p(600_000_000)) < 1e-9);
});

Deno.test("countries per user within the hour count successful logins only (impossible travel)", () => {
  const login = (
    s: number,
    ip: string,
    cc: string,
    outcome: "success" | "failure",
  ) =>
    event(at(T0, s), {
      category: "auth",
      action: "ssh_login",
      outcome,
      user: { name: "bob" },
      source: { ip, geo: { country_iso_code: cc } },
    });
  const f = run([
    login(0, "198.51.100.1", "DE", "success"),
    login(10, "203.0.113.1", "BR", "failure"),
    login(300, "203.0.113.2", "JP", "success"),
  ]);
  assert.deepEqual(f.map((x) => x.user_distinct_countries_1h), [1, 1, 2]);
});

Deno.test("ground_truth never changes the features", () => {
  const a = sshLogin(T0, "203.0.113.9", "root", "failure");
  const b = {
    ...a,
    ground_truth: { scenario: "brute_force_ssh", role: "attacker" },
  };
  assert.deepEqual(run([a]), run([b]));
});

Deno.test("entity state stays within the spec's limits", () => {
  const spec: FeatureSpec = {
    ...DEFAULT_FEATURE_SPEC,
    limits: { entities: 100, entries_per_entity: 8, rarity_values: 1000 },
  };
  const fx = new FeatureExtractor(spec);
  const v = new Float64Array(fx.dim);
  for (let i = 0; i < 1000; i++) {
    fx.extract(
      connection(
        at(T0, i / 100),
        `10.1.${i >> 8}.${i & 255}`,
        "10.0.0.9",
        1000 + (i % 50),
      ),
      v,
    );
  }
  const stats = fx.stats();
  assert.equal(stats["entities.source.ip"], 100);
  assert.equal(stats["evicted.source.ip"], 900);
  // One source scanning 50 ports: the distinct count saturates at the per-entity cap.
  for (let p = 0; p < 50; p++) {
    fx.extract(connection(at(T0, 20), "10.9.9.9", "10.0.0.9", 2000 + p), v);
  }
  assert.equal(v[fx.names.indexOf("src_distinct_dst_ports_1m")], 8);
});

Deno.test("spec validation names what is wrong", () => {
  assert.throws(
    () => validateSpec({ ...DEFAULT_FEATURE_SPEC, format: 99 }),
    (e: Error) =>
      e instanceof FeatureSpecError &&
      /format 99 is not supported/.test(e.message),
  );
  assert.throws(
    () =>
      validateSpec({
        ...DEFAULT_FEATURE_SPEC,
        features: [{ name: "x", kind: "telepathy", description: "" }],
      }),
    /features\[0\] \(x\): unknown kind 'telepathy'/,
  );
  assert.throws(
    () =>
      validateSpec({
        ...DEFAULT_FEATURE_SPEC,
        features: [
          { name: "a", kind: "severity", description: "" },
          { name: "a", kind: "outcome", description: "" },
        ],
      }),
    /duplicate name 'a'/,
  );
  assert.throws(
    () =>
      validateSpec({
        ...DEFAULT_FEATURE_SPEC,
        features: [{
          name: "w",
          kind: "window_count",
          entity: "source.ip",
          window_s: 0,
          description: "",
        }],
      }),
    /window_s must be a positive number/,
  );
});

/** A successful login of `user` of `tenant` from `cc`. */
function geoLogin(
  s: number,
  tenant: string,
  user: string,
  ip: string,
  cc: string,
): EnrichedEvent {
  return event(at(T0, s), {
    tenant,
    category: "auth",
    action: "web_login",
    outcome: "success",
    user: { name: user },
    source: { ip, geo: { country_iso_code: cc } },
  });
}

/** The v2 spec as v2 models carry it: no `tenant_scoped`, no `window_evidence`. */
function legacySpec(): FeatureSpec {
  const s = structuredClone(DEFAULT_FEATURE_SPEC);
  s.version = "2";
  delete s.tenant_scoped;
  for (const f of s.features) {
    delete (f as { window_evidence?: boolean }).window_evidence;
  }
  return s;
}

Deno.test("v3: users and hosts are per tenant, so the same name in two tenants is two entities", () => {
  assert.deepEqual(DEFAULT_FEATURE_SPEC.tenant_scoped, [
    "user.name",
    "host.name",
  ]);
  const events = [
    geoLogin(0, "acme", "leo", "73.162.1.1", "US"),
    geoLogin(60, "initech", "leo", "92.40.1.1", "GB"),
    geoLogin(120, "acme", "leo", "73.162.1.1", "US"),
    geoLogin(180, "acme", "leo", "222.186.1.1", "CN"), // impossible travel
  ];
  const v3 = run(events);
  assert.deepEqual(v3.map((x) => x.user_distinct_countries_1h), [1, 1, 1, 2]);
  assert.deepEqual(v3.map((x) => x.user_country_first_seen), [1, 1, 0, 1]);
  // v2 models keep their semantics: one `leo` across tenants, whose
  // baseline already spans two countries.
  const v2 = run(events, legacySpec());
  assert.deepEqual(v2.map((x) => x.user_distinct_countries_1h), [1, 2, 2, 3]);
  assert.deepEqual(v2.map((x) => x.user_country_first_seen), [1, 1, 0, 1]);
});

Deno.test("v3: source addresses stay global (one internet host probing two tenants is one actor)", () => {
  const f = run([
    sshLogin(at(T0, 0), "203.0.113.9", "root", "failure"),
    { ...sshLogin(at(T0, 1), "203.0.113.9", "root", "failure"), tenant: "b" },
  ]);
  assert.deepEqual(f.map((x) => x.src_failed_logins_5m), [1, 2]);
  assert.deepEqual(f.map((x) => x.src_first_seen), [1, 0]);
});

Deno.test("tenant-scoped first-seen state survives export and import (as a model file stores it)", () => {
  const a = new FeatureExtractor(DEFAULT_FEATURE_SPEC);
  const v = new Float64Array(a.dim);
  a.extract(geoLogin(0, "acme", "leo", "73.162.1.1", "US"), v);
  a.extract(geoLogin(5, "acme", "leo", "73.162.1.1", "US"), v);
  const b = new FeatureExtractor(DEFAULT_FEATURE_SPEC);
  b.importState(JSON.parse(JSON.stringify(a.exportState())));
  const i = b.names.indexOf("user_country_first_seen");
  const j = b.names.indexOf("user_action_first_seen");
  b.extract(geoLogin(10, "acme", "leo", "73.162.1.1", "US"), v);
  assert.equal(v[i], 0, "acme/leo/US was seen before the export");
  assert.equal(v[j], 0, "acme/leo/web_login was seen before the export");
  b.extract(geoLogin(20, "initech", "leo", "92.40.1.1", "US"), v);
  assert.equal(v[i], 1, "initech/leo is another user");
  assert.equal(v[j], 1);
});

Deno.test("spec validation: tenant_scoped and window_evidence", () => {
  const bad = (patch: (s: FeatureSpec) => void, re: RegExp) => {
    const s = structuredClone(DEFAULT_FEATURE_SPEC);
    patch(s);
    assert.throws(() => validateSpec(s), re);
  };
  bad(
    (s) => (s.tenant_scoped = "user.name" as unknown as string[]),
    /tenant_scoped must list entity field paths/,
  );
  bad((s) => {
    const f = s.features.find((f) => f.kind === "window_sum")!;
    (f as { window_evidence?: boolean }).window_evidence = true;
  }, /window_evidence must be a boolean, on a window_count or window_distinct/);
  validateSpec(legacySpec());
});

Deno.test("a port seen back to back stays counted until a minute after its last sighting, not its first", () => {
  const src = "198.51.100.9";
  const f = run([
    connection(at(T0, 0), src, "10.0.0.5", 22),
    connection(at(T0, 50), src, "10.0.0.5", 22), // same port again, in a row
    connection(at(T0, 55), src, "10.0.0.5", 80),
    connection(at(T0, 55), src, "10.0.0.5", 80), // same instant, in a row
    connection(at(T0, 100), src, "10.0.0.5", 443),
    connection(at(T0, 111), src, "10.0.0.5", 443),
    connection(at(T0, 116), src, "10.0.0.5", 443),
  ]);
  assert.deepEqual(
    f.map((x) => x.src_distinct_dst_ports_1m),
    [1, 1, 2, 2, 3, 2, 1],
    "22 leaves at 110 s (last seen 50 s), 80 at 115 s",
  );
});
