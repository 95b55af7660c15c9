/**
 * Baseline traffic stays below every threshold of the rule pack (the table
 * in SCENARIOS.md) over a long run, so the attack rules fire on injected
 * scenarios only. Checked on the generator's event facts over 15 virtual
 * minutes with sliding windows.
 */
import assert from "node:assert/strict";
import {
  BaselineTraffic,
  buildTenant,
  type EventFacts,
  SeededRandom,
} from "../../stages/generator/mod.ts";
import { isPrivate, START } from "./_helpers.ts";

const RATE = 400; // events per virtual second
const N = 360_000; // 15 virtual minutes
const facts: { ms: number; tenant: string; f: EventFacts }[] = [];
{
  const rng = new SeededRandom("baseline-test|entities");
  const tenants = ["acme", "globex", "initech"].map((n, i) =>
    buildTenant(n, i, rng)
  );
  const b = new BaselineTraffic(tenants, new SeededRandom("baseline-test"));
  for (let i = 0; i < N; i++) {
    const ms = START + Math.floor((i * 1000) / RATE);
    const e = b.next(ms);
    facts.push({ ms, tenant: e.tenant.name, f: e.facts });
  }
}

/**
 * Largest number of distinct values (or sum, with `sum`) any key reaches
 * within a sliding window of `windowMs`.
 */
function worst(
  select: (f: EventFacts) => boolean,
  key: (f: EventFacts) => string | undefined,
  value: (f: EventFacts) => string | number,
  windowMs: number,
  mode: "distinct" | "count" | "sum",
): { key: string; value: number } {
  const byKey = new Map<string, { ms: number; v: string | number }[]>();
  for (const { ms, tenant, f } of facts) {
    if (!select(f)) continue;
    const k = key(f);
    if (k === undefined) continue;
    const kk = tenant + "|" + k;
    let list = byKey.get(kk);
    if (!list) byKey.set(kk, list = []);
    list.push({ ms, v: value(f) });
  }
  let best = { key: "", value: 0 };
  for (const [k, list] of byKey) {
    const counts = new Map<string | number, number>();
    let sum = 0, lo = 0;
    for (let hi = 0; hi < list.length; hi++) {
      const v = list[hi].v;
      counts.set(v, (counts.get(v) ?? 0) + 1);
      sum += typeof v === "number" ? v : 1;
      while (list[hi].ms - list[lo].ms >= windowMs) {
        const old = list[lo].v;
        const c = counts.get(old)! - 1;
        if (c === 0) counts.delete(old);
        else counts.set(old, c);
        sum -= typeof old === "number" ? old : 1;
        lo++;
      }
      const m = mode === "distinct"
        ? counts.size
        : mode === "count"
        ? hi - lo + 1
        : sum;
      if (m > best.value) best = { key: k, value: m };
    }
  }
  return best;
}

const MIN = 60_000;
const isLogin = (f: EventFacts) =>
  f.kind === "ssh_login" || f.kind === "web_login";

Deno.test("baseline covers every category and stays mostly successful", () => {
  const kinds = new Set(facts.map((x) => x.f.kind));
  for (
    const k of [
      "ssh_login",
      "web_login",
      "sudo",
      "firewall",
      "flow",
      "dns_query",
      "process_start",
      "http_request",
    ]
  ) {
    assert.ok(kinds.has(k as EventFacts["kind"]), k);
  }
  const logins = facts.filter((x) => isLogin(x.f));
  const failed = logins.filter((x) => x.f.outcome === "failure").length;
  assert.ok(failed > 0, "some failed logins exist");
  assert.ok(failed / logins.length < 0.05, `${failed}/${logins.length}`);
  const nx = facts.filter((x) => x.f.rcode === "NXDOMAIN").length;
  assert.ok(nx > 0, "some NXDOMAIN");
  assert.ok(
    facts.some((x) =>
      x.f.firewallAction === "deny" || x.f.firewallAction === "drop"
    ),
  );
});

Deno.test("failed logins: < 3 per source in any 10 min; SSH failures < 10 per source in 5 min", () => {
  const fails = worst(
    (f) => isLogin(f) && f.outcome === "failure",
    (f) => f.sourceIp,
    () => 1,
    10 * MIN,
    "count",
  );
  assert.ok(fails.value < 3, JSON.stringify(fails));
  const ssh = worst(
    (f) => f.kind === "ssh_login" && f.outcome === "failure",
    (f) => f.sourceIp,
    () => 1,
    5 * MIN,
    "count",
  );
  assert.ok(ssh.value < 10, JSON.stringify(ssh));
});

Deno.test("password spray threshold: < 10 distinct failed users per source in 10 min", () => {
  const w = worst(
    (f) => isLogin(f) && f.outcome === "failure",
    (f) => f.sourceIp,
    (f) => f.user!,
    10 * MIN,
    "distinct",
  );
  assert.ok(w.value < 10, JSON.stringify(w));
});

Deno.test("port scan threshold: < 20 distinct destination ports per source in 1 min", () => {
  const w = worst(
    (f) => f.kind === "firewall" || f.kind === "flow",
    (f) => f.sourceIp,
    (f) => f.destinationPort!,
    MIN,
    "distinct",
  );
  assert.ok(w.value < 20, JSON.stringify(w));
});

Deno.test("DNS: no long labels or TXT queries, < 30 distinct names per source in 5 min", () => {
  const dns = facts.filter((x) => x.f.kind === "dns_query");
  for (const { f } of dns) {
    assert.ok(f.dnsName!.split(".").every((l) => l.length < 40), f.dnsName);
    assert.notEqual(f.dnsType, "TXT");
  }
  const w = worst(
    (f) => f.kind === "dns_query",
    (f) => f.sourceIp,
    (f) => f.dnsName!,
    5 * MIN,
    "distinct",
  );
  assert.ok(w.value < 30, JSON.stringify(w));
});

Deno.test("exfiltration threshold: < 200 MB sent per source to public addresses in 10 min", () => {
  const w = worst(
    (f) =>
      f.sourceBytes !== undefined && !isPrivate(f.destinationIp ?? "10.0.0.1"),
    (f) => f.sourceIp,
    (f) => f.sourceBytes!,
    10 * MIN,
    "sum",
  );
  assert.ok(w.value < 200e6, JSON.stringify(w));
});

Deno.test("lateral movement threshold: < 5 distinct internal admin-port targets per source in 5 min", () => {
  const w = worst(
    (f) =>
      (f.kind === "firewall" || f.kind === "flow") &&
      [22, 445, 3389, 5985].includes(f.destinationPort!) &&
      isPrivate(f.destinationIp!),
    (f) => f.sourceIp,
    (f) => f.destinationIp!,
    5 * MIN,
    "distinct",
  );
  assert.ok(w.value < 5, JSON.stringify(w));
});

Deno.test("impossible travel: each user's successful logins come from one country", () => {
  const w = worst(
    (f) =>
      isLogin(f) && f.outcome === "success" && f.sourceCountry !== undefined,
    (f) => f.user,
    (f) => f.sourceCountry!,
    60 * MIN,
    "distinct",
  );
  assert.equal(w.value, 1, JSON.stringify(w));
});

Deno.test("privilege: no root shells, no new users or group changes in baseline", () => {
  for (const { f } of facts) {
    assert.ok(f.kind !== "user_created" && f.kind !== "user_modified");
    if (f.kind === "sudo") {
      assert.ok(!/\/(ba|z|da)?sh$/.test(f.commandLine!), f.commandLine);
    }
  }
});
