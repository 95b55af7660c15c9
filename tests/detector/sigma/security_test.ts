/**
 * Security review findings on the Sigma detector (REVIEW.md section A):
 * each test reproduces an attack that used to work.
 */
import assert from "node:assert/strict";
import { at, event, matches, rulesFrom, ruleYaml, runAll } from "./_helpers.ts";
import {
  catastrophicShape,
  compileRuleRegex,
  REGEX_INPUT_MAX,
  regexInputsCut,
  testBounded,
} from "../../../stages/detector/sigma/regex_guard.ts";
import { loadRuleSet } from "../../../stages/detector/sigma/load.ts";
import { correlationsSplitByPartitioning } from "../../../stages/detector/sigma/partitioning.ts";

const g = globalThis as Record<string, unknown>;

Deno.test("A1: a field name with U+2028 cannot inject code into an accessor", () => {
  g.__sigmaInjected = undefined;
  const name = "Image\u2028globalThis.__sigmaInjected = true//";
  const set = rulesFrom(
    ruleYaml(
      `selection:\n  ${JSON.stringify(name)}: foo\ncondition: selection`,
    ),
  );
  assert.equal(set.errors.length, 0);
  // The odd name is still just a key: it matches an event carrying it.
  assert.equal(matches(set, event({ fields: { [name]: "foo" } })), true);
  assert.equal(matches(set, event({ payload: { [name]: "foo" } })), true);
  assert.equal(matches(set, event({ fields: { Image: "foo" } })), false);
  assert.equal(g.__sigmaInjected, undefined, "rule text ran as code");
});

Deno.test("A1: U+2028/U+2029 in dotted and mapped paths cannot inject code", () => {
  g.__sigmaInjected2 = undefined;
  for (const sep of ["\u2028", "\u2029"]) {
    const name = `payload.a.b${sep}globalThis.__sigmaInjected2 = true//`;
    const set = rulesFrom(
      ruleYaml(
        `selection:\n  ${JSON.stringify(name)}: foo\ncondition: selection`,
      ),
    );
    assert.equal(set.errors.length, 0);
    runAll(set, [event({ payload: { a: { [`b${sep}x`]: 1 } } })]);
  }
  assert.equal(g.__sigmaInjected2, undefined, "rule text ran as code");
});

const FAILED_LOGIN = `title: Failed Login
id: 10000000-0000-4000-8000-000000000001
name: failed_login
logsource: {}
detection:
  sel:
    action: ssh_login
    outcome: failure
  condition: sel
level: low
---
title: SSH Brute Force
id: 20000000-0000-4000-8000-000000000001
name: brute
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [source.ip]
  timespan: 5m
  condition:
    gte: 10
level: high
`;

function failedLogin(tenant: string, ts: string, ip: string) {
  return event({
    tenant,
    ts,
    received_at: "2026-11-24T10:05:00.000Z",
    action: "ssh_login",
    outcome: "failure",
    source: { ip },
  });
}

Deno.test("A2: a far-future event of one tenant does not blind another tenant's correlation", () => {
  const set = rulesFrom(FAILED_LOGIN);
  assert.deepEqual(set.errors, []);
  const poison = failedLogin(
    "evil",
    "2099-11-24T10:00:00.000Z",
    "198.51.100.7",
  );
  const acme = Array.from(
    { length: 30 },
    (_, i) => failedLogin("acme", at(i), "203.0.113.9"),
  );
  const { alerts, detector } = runAll(set, [poison, ...acme]);
  assert.equal(alerts.filter((a) => a.tenant === "acme").length, 1);
  const st = detector.stats() as { correlation: { late_dropped: number } };
  assert.equal(st.correlation.late_dropped, 0);
});

Deno.test("A2: a far-future event in the same tenant does not blind other groups, nor survive a sweep", () => {
  const set = rulesFrom(FAILED_LOGIN);
  const poison = failedLogin(
    "acme",
    "2099-11-24T10:00:00.000Z",
    "198.51.100.7",
  );
  const acme = Array.from(
    { length: 30 },
    (_, i) => failedLogin("acme", at(i), "203.0.113.9"),
  );
  const { detector } = runAll(set, [poison]);
  const alerts: unknown[] = [];
  for (const [i, e] of acme.entries()) {
    detector.observe(e, (a) => alerts.push(a));
    if (i % 5 === 0) detector.tick(0, () => {}); // sweeps between hits
  }
  assert.equal(alerts.length, 1);
});

/** Runs `f` and returns its wall time in ms (a guard, not a benchmark). */
function timed(f: () => void): number {
  const t = performance.now();
  f();
  return performance.now() - t;
}

Deno.test("A3: multi-wildcard values match in linear time (crackmapexec-style glob)", () => {
  // The stock SigmaHQ crackmapexec rule: `cmd.exe /Q /c * 1> \\*\*\* 2>&1`.
  const set = rulesFrom(ruleYaml(
    String.raw`selection:
  CommandLine: 'cmd.exe /Q /c * 1> \\\\*\\*\\* 2>&1'
condition: selection`,
  ));
  assert.deepEqual(set.errors, []);
  const crafted = "cmd.exe /q /c " + " 1> \\\\a\\b\\".repeat(300); // ~3 KB
  let hit = true;
  // Used to take minutes (backtracking regex); a linear matcher takes ms.
  const ms = timed(() => {
    hit = matches(set, event({ process: { command_line: crafted } }));
  });
  assert.equal(hit, false);
  assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
  // And it still matches what it should, including a long padded value.
  const real = "cmd.exe /Q /c whoami 1> \\\\127.0.0.1\\ADMIN$\\__123 2>&1";
  assert.equal(matches(set, event({ process: { command_line: real } })), true);
  const padded = "cmd.exe /Q /c " + "x".repeat(20_000) +
    " 1> \\\\h\\C$\\o 2>&1";
  assert.equal(
    matches(set, event({ process: { command_line: padded } })),
    true,
  );
});

Deno.test("A3: wildcard semantics: ?, anchors, overlapping parts, case", () => {
  const cases: [string, string, boolean][] = [
    ["a*b*c", "abc", true],
    ["a*b*c", "aXbYc", true],
    ["a*b*c", "ab", false],
    ["a*b*c", "abcX", false],
    ["ab*ba", "aba", false], // prefix and suffix must not overlap
    ["ab*ba", "abba", true],
    ["a?c*d", "abcxd", true],
    ["a?c*d", "acxd", false],
    ["*x?z*", "--xyz--", true],
    ["*x?z*", "--xz--", false],
    ["*ab*ab*", "abab", true],
    ["*ab*ab*", "aba", false],
    ["*a*a*a*a*b", "a".repeat(5000), false],
    ["?*", "", false],
    ["?*", "q", true],
    ["C:\\\\Win*\\\\*.EXE", "c:\\windows\\system32\\cmd.exe", true],
  ];
  for (const [pattern, value, want] of cases) {
    const set = rulesFrom(ruleYaml(
      `selection:\n  F: ${JSON.stringify(pattern)}\ncondition: selection`,
    ));
    assert.deepEqual(set.errors, [], pattern);
    const got = matches(set, event({ fields: { F: value } }));
    assert.equal(got, want, `${pattern} on ${value.slice(0, 40)}`);
  }
});

Deno.test("A4: adjacent overlapping unbounded quantifiers are rejected", () => {
  for (const bad of ["(x+x+)y", "a\\w*\\w+b", "(?:.*.*)=", "(\\d+[0-9]+)z"]) {
    assert.notEqual(catastrophicShape(bad), "", bad);
  }
  // Adjacent but disjoint: still fine.
  for (const ok of ["\\s+\\S+", "a+b+", "\\d+[a-z]+", "[0-9]+\\.[0-9]+"]) {
    assert.equal(catastrophicShape(ok), "", ok);
  }
});

Deno.test("A4: chains of .* run in linear time over the whole value", () => {
  const re = compileRuleRegex(".*a.*b.*c.*d", {});
  const s = "a".repeat(3000);
  let hit = true;
  const ms = timed(() => (hit = testBounded(re, s)));
  assert.equal(hit, false);
  assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
  assert.equal(testBounded(re, "xxaxbyyc--d"), true);
  assert.equal(testBounded(re, "xxaxbyyc\nd"), false); // . stops at a newline
  assert.equal(compileRuleRegex(".*a.*b", { s: true }).test("a\nb"), true);
  assert.equal(compileRuleRegex("A.+B", { i: true }).test("xa-bx"), true);
  assert.equal(compileRuleRegex("a.+b", {}).test("ab"), false);
  // The stock SigmaHQ shape, 13 `+` separated by `.*`, padded to 3 KB.
  const plus = compileRuleRegex(
    "\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+",
    {},
  );
  const pad = ("+" + "a".repeat(150)).repeat(13);
  const ms2 = timed(() => (hit = testBounded(plus, pad)));
  assert.equal(hit, false);
  assert.ok(ms2 < 2000, `took ${ms2.toFixed(0)} ms`);
  assert.equal(testBounded(plus, "+".repeat(14)), true);
});

Deno.test("A5: padding a value past the regex bound does not evade |re rules", () => {
  const re = compileRuleRegex("mimikatz\\.exe", {});
  const padded = "x".repeat(REGEX_INPUT_MAX * 2) + " mimikatz.exe";
  assert.equal(testBounded(re, padded), true); // tail still scanned
  assert.equal(testBounded(re, "mimikatz.exe " + "x".repeat(50_000)), true);
  // Linear matchers see the whole value: a needle in the middle is found.
  const chain = compileRuleRegex("invoke.*mimikatz", { i: true });
  const mid = "x".repeat(20_000) + "Invoke-Mimikatz" + "y".repeat(20_000);
  assert.equal(testBounded(chain, mid), true);
  // A long value is counted, not silently cut.
  const before = regexInputsCut();
  const set = rulesFrom(
    ruleYaml(
      `selection:\n  CommandLine|re: 'mimi[k]atz'\ncondition: selection`,
    ),
  );
  const { detector, alerts } = runAll(set, [
    event({ process: { command_line: "a".repeat(40_000) + " mimikatz" } }),
  ]);
  assert.equal(alerts.length, 1);
  assert.ok(regexInputsCut() > before);
  const st = detector.stats() as { regex_inputs_cut: number };
  assert.ok(st.regex_inputs_cut >= 1);
});

Deno.test("A6: one rule throwing on an event does not skip the other rules", () => {
  const set = rulesFrom(`title: Reads A Hostile Field
id: 30000000-0000-4000-8000-000000000001
logsource: {}
detection:
  sel:
    Hostile: '?'
  condition: sel
level: low
---
title: Failed Login
id: 30000000-0000-4000-8000-000000000002
logsource: {}
detection:
  sel:
    action: ssh_login
  condition: sel
level: low
`);
  assert.deepEqual(set.errors, []);
  // A list whose iteration throws: the rule's predicate fails mid-match.
  const hostile = ["y"];
  Object.defineProperty(hostile, Symbol.iterator, {
    value: () => {
      throw new Error("hostile list");
    },
  });
  const payload = { Hostile: hostile };
  const { alerts, detector } = runAll(set, [
    event({ action: "ssh_login", payload }),
  ]);
  assert.deepEqual(
    alerts.map((a) => a.rule.id),
    ["30000000-0000-4000-8000-000000000002"],
  );
  const st = detector.stats() as {
    errors: number;
    errors_by_rule: Record<string, number>;
  };
  assert.equal(st.errors, 1);
  assert.equal(st.errors_by_rule["30000000-0000-4000-8000-000000000001"], 1);
});

Deno.test("A7: the same event id in two tenants gives two distinct alert ids", () => {
  const set = rulesFrom(
    ruleYaml(`selection:\n  action: ssh_login\ncondition: selection`),
  );
  const a = event({ tenant: "acme", action: "ssh_login" });
  const b = { ...a, tenant: "globex" };
  const { alerts } = runAll(set, [a, b]);
  assert.equal(alerts.length, 2);
  assert.notEqual(alerts[0].alert_id, alerts[1].alert_id);
  // Still deterministic: the same event raises the same id again.
  assert.equal(runAll(set, [a]).alerts[0].alert_id, alerts[0].alert_id);
});

Deno.test("A10: a duplicate YAML key rejects the rule instead of silently overwriting", () => {
  const set = rulesFrom(`title: Dup
id: 40000000-0000-4000-8000-000000000001
logsource: {}
detection:
  sel:
    action: ssh_login
  sel:
    action: nothing_at_all
  condition: sel
level: low
`);
  assert.equal(set.rules.length, 0);
  assert.match(set.errors[0]?.reason ?? "", /duplicate|unique/i);
});

Deno.test("A10: a symlinked rule file is reported, not silently skipped", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const real = await Deno.makeTempFile({ suffix: ".yml" });
    await Deno.writeTextFile(
      real,
      ruleYaml(`sel:\n  action: ssh_login\ncondition: sel`),
    );
    await Deno.symlink(real, `${dir}/linked.yml`);
    const set = await loadRuleSet([dir]);
    assert.equal(set.errors.length, 1, JSON.stringify(set.errors));
    assert.match(set.errors[0].reason, /symbolic link/);
    assert.match(set.errors[0].file, /linked\.yml$/);
    await Deno.remove(real);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("A8: correlations not grouped by the Kafka partition key are reported", async () => {
  const pack = new URL("../../../sigma/", import.meta.url).pathname;
  const set = await loadRuleSet([pack]);
  const split = correlationsSplitByPartitioning(set).map((c) => c.title);
  assert.ok(split.includes("Impossible Travel"), split.join(", "));
  assert.ok(!split.includes("SSH Brute Force Attempts"), split.join(", "));
  assert.ok(!split.includes("Port Scan"), split.join(", "));
});
