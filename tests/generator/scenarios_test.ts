/**
 * Each scenario produces its labelled events with the shape SCENARIOS.md
 * promises (counts, one source, distinct values, time spans), read back
 * from the payloads the way a parser would.
 */
import assert from "node:assert/strict";
import { generate, isPrivate, labelled, spanOf } from "./_helpers.ts";
import { SCENARIO_NAMES } from "../../stages/generator/mod.ts";

// 3000 events at 100/s: a 30 s run, so long scenarios are compressed into it.
const SHORT = { count: 3000, rate: 100 };

Deno.test("brute_force_ssh: ≥ 12 failures from one public IP, mostly one user, then an accepted login", () => {
  const ev = labelled(
    generate(["brute_force_ssh"], SHORT.count, SHORT.rate),
    "brute_force_ssh",
  );
  const fails = ev.filter((e) =>
    e.seen.kind === "ssh_login" && e.seen.outcome === "failure"
  );
  const wins = ev.filter((e) =>
    e.seen.kind === "ssh_login" && e.seen.outcome === "success"
  );
  assert.ok(fails.length >= 12, `${fails.length} failures`);
  assert.equal(wins.length, 1);
  const ips = new Set(ev.map((e) => e.seen.sourceIp));
  assert.equal(ips.size, 1);
  const ip = [...ips][0]!;
  assert.ok(!isPrivate(ip), `${ip} should be public`);
  const users = new Map<string, number>();
  for (const f of fails) {
    users.set(f.seen.user!, (users.get(f.seen.user!) ?? 0) + 1);
  }
  const top = Math.max(...users.values());
  assert.ok(top / fails.length >= 0.6, "mostly one user");
  assert.ok(
    wins[0].seen.timeMs >= Math.max(...fails.map((f) => f.seen.timeMs)),
    "success comes last",
  );
  assert.ok(spanOf(ev.map((e) => e.seen.timeMs)) <= 60_000);
  assert.deepEqual(
    new Set(ev.map((e) => e.ev.ground_truth!.role)),
    new Set(["guess", "breach"]),
  );
});

Deno.test("brute_force_ssh keeps its natural ~1 min timing in a long run and honours source/user/count", () => {
  const ev = labelled(
    generate(
      ["brute_force_ssh:source=198.18.7.7,user=carol,count=20,at=10"],
      20_000,
      100,
    ),
    "brute_force_ssh",
  );
  assert.equal(ev.length, 21);
  assert.ok(ev.every((e) => e.seen.sourceIp === "198.18.7.7"));
  assert.equal(ev.at(-1)!.seen.user, "carol");
  const span = spanOf(ev.map((e) => e.seen.timeMs));
  assert.ok(span >= 50_000 && span <= 61_000, `span ${span}`);
  assert.equal(ev[0].seen.timeMs - Date.parse("2026-11-24T10:00:00Z"), 10_000);
});

Deno.test("port_scan: one source, ≥ 25 distinct ports of one host within 30 s, mostly denied", () => {
  const ev = labelled(
    generate(["port_scan"], SHORT.count, SHORT.rate),
    "port_scan",
  );
  assert.ok(ev.length >= 25);
  assert.equal(new Set(ev.map((e) => e.seen.sourceIp)).size, 1);
  assert.equal(new Set(ev.map((e) => e.seen.destinationIp)).size, 1);
  assert.ok(new Set(ev.map((e) => e.seen.destinationPort)).size >= 25);
  const denied = ev.filter((e) => e.seen.outcome === "failure").length;
  assert.ok(denied / ev.length > 0.8, `${denied}/${ev.length} denied`);
  assert.ok(spanOf(ev.map((e) => e.seen.timeMs)) <= 30_000);
  assert.ok(
    ev.every((e) =>
      typeof e.ev.payload === "string" && e.ev.payload.includes("CEF:0|")
    ),
  );
});

Deno.test("password_spray: one source fails logins for ≥ 15 distinct users within 2 min (web and ssh)", () => {
  for (const via of ["web", "ssh"]) {
    const ev = labelled(
      generate([`password_spray:via=${via}`], SHORT.count, SHORT.rate),
      "password_spray",
    );
    assert.equal(new Set(ev.map((e) => e.seen.sourceIp)).size, 1);
    assert.ok(new Set(ev.map((e) => e.seen.user)).size >= 15, via);
    assert.ok(ev.every((e) => e.seen.outcome === "failure"));
    assert.ok(
      ev.every((e) =>
        e.seen.kind === (via === "web" ? "web_login" : "ssh_login")
      ),
    );
    assert.ok(spanOf(ev.map((e) => e.seen.timeMs)) <= 120_000);
  }
});

Deno.test("dns_tunneling: ≥ 40 long random labels of one domain from one internal address, often TXT", () => {
  const ev = labelled(
    generate(["dns_tunneling"], SHORT.count, SHORT.rate),
    "dns_tunneling",
  );
  assert.ok(ev.length >= 40);
  const src = new Set(ev.map((e) => e.seen.sourceIp));
  assert.equal(src.size, 1);
  assert.ok(isPrivate([...src][0]!));
  const domains = new Set(
    ev.map((e) => e.seen.dnsName!.split(".").slice(1).join(".")),
  );
  assert.equal(domains.size, 1);
  assert.ok(ev.every((e) => e.seen.dnsName!.split(".")[0].length >= 40));
  assert.equal(
    new Set(ev.map((e) => e.seen.dnsName)).size,
    ev.length,
    "names are unique",
  );
  const txt = ev.filter((e) => e.seen.dnsType === "TXT").length;
  assert.ok(txt / ev.length >= 0.5, `${txt} TXT`);
});

Deno.test("data_exfiltration: ≥ 500 MB in several flows from one internal host to one public address", () => {
  const ev = labelled(
    generate(["data_exfiltration"], SHORT.count, SHORT.rate),
    "data_exfiltration",
  );
  assert.ok(ev.length >= 3);
  const total = ev.reduce((a, e) => a + (e.seen.sourceBytes ?? 0), 0);
  assert.ok(total >= 500e6, `${total} bytes`);
  const src = [...new Set(ev.map((e) => e.seen.sourceIp))];
  const dst = [...new Set(ev.map((e) => e.seen.destinationIp))];
  assert.equal(src.length, 1);
  assert.equal(dst.length, 1);
  assert.ok(isPrivate(src[0]!) && !isPrivate(dst[0]!));
  assert.ok(spanOf(ev.map((e) => e.seen.timeMs)) <= 300_000);
});

Deno.test("privilege_escalation: root shell by sudo for a non-admin, then useradd and usermod -aG sudo", () => {
  const ev = labelled(
    generate(
      ["privilege_escalation:user=zed,account=helper"],
      SHORT.count,
      SHORT.rate,
    ),
    "privilege_escalation",
  );
  const sudo = ev.find((e) => e.seen.kind === "sudo")!;
  assert.equal(sudo.seen.user, "zed");
  assert.equal(sudo.seen.targetUser, "root");
  assert.equal(sudo.seen.command, "/bin/bash");
  assert.match(
    sudo.ev.payload as string,
    / sudo: zed : TTY=pts\/\d ; PWD=\/home\/zed ; USER=root ; COMMAND=\/bin\/bash$/,
  );
  assert.equal(
    ev.find((e) => e.seen.kind === "user_created")?.seen.targetUser,
    "helper",
  );
  const mod = ev.find((e) => e.seen.kind === "user_modified")!;
  assert.equal(mod.seen.targetUser, "helper");
  assert.equal(mod.seen.group, "sudo");
});

Deno.test("lateral_movement: one internal source reaches ≥ 8 internal hosts on admin ports within 2 min", () => {
  const ev = labelled(
    generate(["lateral_movement"], SHORT.count, SHORT.rate),
    "lateral_movement",
  );
  assert.equal(new Set(ev.map((e) => e.seen.sourceIp)).size, 1);
  const dsts = new Set(ev.map((e) => e.seen.destinationIp!));
  assert.ok(dsts.size >= 8);
  assert.ok([...dsts].every(isPrivate));
  assert.ok(
    ev.every((e) => [22, 445, 3389, 5985].includes(e.seen.destinationPort!)),
  );
  assert.ok(spanOf(ev.map((e) => e.seen.timeMs)) <= 120_000);
});

Deno.test("impossible_travel: one user, successful logins from two countries within 10 min, geo in source.geo", () => {
  const ev = labelled(
    generate(["impossible_travel:user=alice,country=BR"], 100_000, 100),
    "impossible_travel",
  );
  assert.ok(ev.length >= 2);
  assert.ok(
    ev.every((e) => e.seen.user === "alice" && e.seen.outcome === "success"),
  );
  const countries = new Set(ev.map((e) => e.seen.country));
  assert.ok(countries.size >= 2 && countries.has("BR"), [...countries].join());
  assert.ok(ev.every((e) => !isPrivate(e.seen.sourceIp!)));
  assert.ok(spanOf(ev.map((e) => e.seen.timeMs)) <= 600_000);
});

Deno.test("every scenario can be injected at once and all its events fit into a 10 s run", () => {
  const events = generate([...SCENARIO_NAMES], 2000, 200);
  for (const name of SCENARIO_NAMES) {
    assert.ok(labelled(events, name).length > 0, name);
  }
  assert.equal(events.length, 2000);
});
