/**
 * Table-driven tests of the Sigma rule specification: search identifier
 * forms, every value modifier, wildcards and escaping, case rules, and the
 * condition language. Each row is a detection, an event, and whether the
 * rule must fire.
 */
import assert from "node:assert/strict";
import { event, matches, rulesFrom, ruleYaml } from "./_helpers.ts";
import {
  base64Offsets,
  parseSigmaString,
} from "../../../stages/detector/sigma/pattern.ts";
import {
  catastrophicShape,
  compileRuleRegex,
  REGEX_INPUT_MAX,
  testBounded,
} from "../../../stages/detector/sigma/regex_guard.ts";

type Row = [
  name: string,
  detection: string,
  ev: Record<string, unknown>,
  want: boolean,
];

const cmd = (c: string) => ({ process: { command_line: c } });

const ROWS: Row[] = [
  // --- plain values, case and wildcards ---
  [
    "exact value, case-insensitive",
    `sel:\n  process.command_line: WHOAMI\ncondition: sel`,
    cmd("whoami"),
    true,
  ],
  [
    "exact value does not match a substring",
    `sel:\n  process.command_line: whoami\ncondition: sel`,
    cmd("whoami /all"),
    false,
  ],
  [
    "* wildcard",
    `sel:\n  process.command_line: 'who*all'\ncondition: sel`,
    cmd("whoami /all"),
    true,
  ],
  [
    "? wildcard matches exactly one char",
    `sel:\n  process.command_line: 'who?mi'\ncondition: sel`,
    cmd("whoami"),
    true,
  ],
  [
    "? wildcard does not match two chars",
    `sel:\n  process.command_line: 'who?mi'\ncondition: sel`,
    cmd("whooami"),
    false,
  ],
  [
    "escaped \\* is a literal star",
    `sel:\n  process.command_line: 'a\\*b'\ncondition: sel`,
    cmd("a*b"),
    true,
  ],
  [
    "escaped \\* does not act as wildcard",
    `sel:\n  process.command_line: 'a\\*b'\ncondition: sel`,
    cmd("axxb"),
    false,
  ],
  [
    "escaped \\? is a literal question mark",
    `sel:\n  process.command_line: 'what\\?'\ncondition: sel`,
    cmd("what?"),
    true,
  ],
  [
    "escaped \\? does not match another char",
    `sel:\n  process.command_line: 'what\\?'\ncondition: sel`,
    cmd("whatX"),
    false,
  ],
  [
    "\\\\* is a backslash then a wildcard",
    `sel:\n  process.command_line: 'C:\\\\*'\ncondition: sel`,
    cmd("C:\\Windows"),
    true,
  ],
  [
    "\\\\\\* is a backslash then a literal star",
    `sel:\n  process.command_line: 'C:\\\\\\*'\ncondition: sel`,
    cmd("C:\\*"),
    true,
  ],
  [
    "\\\\\\* does not match other text",
    `sel:\n  process.command_line: 'C:\\\\\\*'\ncondition: sel`,
    cmd("C:\\Windows"),
    false,
  ],
  [
    "a plain backslash before a letter stays",
    `sel:\n  process.command_line: 'C:\\Windows\\System32'\ncondition: sel`,
    cmd("c:\\windows\\system32"),
    true,
  ],
  [
    "null matches an absent field",
    `sel:\n  user.name: null\ncondition: sel`,
    {},
    true,
  ],
  [
    "null does not match a present field",
    `sel:\n  user.name: null\ncondition: sel`,
    { user: { name: "bob" } },
    false,
  ],
  [
    "empty value matches only the empty string",
    `sel:\n  process.command_line: ''\ncondition: sel`,
    cmd(""),
    true,
  ],
  [
    "empty value does not match text",
    `sel:\n  process.command_line: ''\ncondition: sel`,
    cmd("x"),
    false,
  ],
  ["list of values is OR", `sel:\n  action: [sudo, su]\ncondition: sel`, {
    action: "su",
  }, true],
  ["map is AND", `sel:\n  action: sudo\n  outcome: success\ncondition: sel`, {
    action: "sudo",
    outcome: "failure",
  }, false],
  [
    "list of maps is OR",
    `sel:\n  - action: sudo\n  - action: su\ncondition: sel`,
    { action: "su" },
    true,
  ],
  [
    "number value matches number field",
    `sel:\n  destination.port: 22\ncondition: sel`,
    { destination: { port: 22 } },
    true,
  ],
  [
    "number value matches string field",
    `sel:\n  fields.port: 22\ncondition: sel`,
    { fields: { port: "22" } },
    true,
  ],
  [
    "array field matches any element",
    `sel:\n  dns.answers: 1.2.3.4\ncondition: sel`,
    { dns: { answers: ["9.9.9.9", "1.2.3.4"] } },
    true,
  ],
  [
    "keywords search the raw line",
    `keywords:\n  - 'Failed password'\ncondition: keywords`,
    { payload: "sshd[1]: failed PASSWORD for root" },
    true,
  ],
  [
    "keywords miss when absent",
    `keywords:\n  - 'Accepted'\ncondition: keywords`,
    { payload: "sshd[1]: failed password" },
    false,
  ],
  [
    "keywords search JSON payload leaves",
    `keywords:\n  - mimikatz\ncondition: keywords`,
    { payload: { a: { b: "run Mimikatz.exe" } } },
    true,
  ],
  // Keyword startswith/endswith anchor the value at the start/end of one
  // searched text (the log line, or one payload string).
  [
    "keyword startswith misses a value only containing it",
    `kw:\n  '|startswith':\n    - abc\ncondition: kw`,
    { payload: { m: "zabc" } },
    false,
  ],
  [
    "keyword startswith",
    `kw:\n  '|startswith':\n    - ABC\ncondition: kw`,
    { payload: { m: "abcz" } },
    true,
  ],
  [
    "keyword startswith on the raw line",
    `kw:\n  '|startswith': 'sshd['\ncondition: kw`,
    { payload: "sshd[1]: failed password" },
    true,
  ],
  [
    "keyword endswith",
    `kw:\n  '|endswith':\n    - abc\ncondition: kw`,
    { payload: { m: "zabc" } },
    true,
  ],
  [
    "keyword endswith misses a value only containing it",
    `kw:\n  '|endswith':\n    - abc\ncondition: kw`,
    { payload: { m: "abcz" } },
    false,
  ],
  [
    "keyword contains stays a substring search",
    `kw:\n  '|contains':\n    - abc\ncondition: kw`,
    { payload: { m: "zabcz" } },
    true,
  ],
  // --- string modifiers ---
  [
    "contains",
    `sel:\n  process.command_line|contains: 'ami /a'\ncondition: sel`,
    cmd("whoami /all"),
    true,
  ],
  [
    "startswith",
    `sel:\n  process.command_line|startswith: WHO\ncondition: sel`,
    cmd("whoami"),
    true,
  ],
  [
    "startswith negative",
    `sel:\n  process.command_line|startswith: ami\ncondition: sel`,
    cmd("whoami"),
    false,
  ],
  [
    "endswith",
    `sel:\n  process.command_line|endswith: '\\cmd.exe'\ncondition: sel`,
    cmd("C:\\Windows\\CMD.EXE"),
    true,
  ],
  [
    "contains|all needs every value",
    `sel:\n  process.command_line|contains|all: [net, user, /add]\ncondition: sel`,
    cmd("net user bob /add"),
    true,
  ],
  [
    "contains|all fails when one is missing",
    `sel:\n  process.command_line|contains|all: [net, user, /add]\ncondition: sel`,
    cmd("net user bob"),
    false,
  ],
  [
    "contains with inner wildcard",
    `sel:\n  process.command_line|contains: 'net*/add'\ncondition: sel`,
    cmd("x net user /add y"),
    true,
  ],
  [
    "cased makes matching case-sensitive",
    `sel:\n  process.command_line|cased: Whoami\ncondition: sel`,
    cmd("whoami"),
    false,
  ],
  [
    "cased matches the exact case",
    `sel:\n  process.command_line|contains|cased: Whoami\ncondition: sel`,
    cmd("x Whoami"),
    true,
  ],
  [
    "windash matches slash for dash",
    `sel:\n  process.command_line|contains|windash: ' -enc '\ncondition: sel`,
    cmd("powershell /enc AAA"),
    true,
  ],
  [
    "windash matches en dash",
    `sel:\n  process.command_line|windash|contains: ' -enc '\ncondition: sel`,
    cmd("powershell \u2013enc AAA"),
    true,
  ],
  [
    "windash still matches dash",
    `sel:\n  process.command_line|contains|windash: ' -enc '\ncondition: sel`,
    cmd("powershell -enc AAA"),
    true,
  ],
  [
    "windash does not match other chars",
    `sel:\n  process.command_line|contains|windash: ' -enc '\ncondition: sel`,
    cmd("powershell +enc AAA"),
    false,
  ],
  // --- encodings ---
  [
    "base64 encodes the value",
    `sel:\n  process.command_line|base64: 'whoami'\ncondition: sel`,
    cmd("d2hvYW1p"),
    true,
  ],
  [
    "base64|contains",
    `sel:\n  process.command_line|base64|contains: 'http://'\ncondition: sel`,
    cmd("powershell -e aHR0cDovLw=="),
    true,
  ],
  [
    "base64offset|contains at offset 1",
    `sel:\n  process.command_line|base64offset|contains: 'http://'\ncondition: sel`,
    cmd(`-e ${btoa("xhttp://evil")}`),
    true,
  ],
  [
    "base64offset|contains at offset 2",
    `sel:\n  process.command_line|base64offset|contains: 'http://'\ncondition: sel`,
    cmd(`-e ${btoa("xyhttp://evil")}`),
    true,
  ],
  [
    "utf16le|base64offset|contains (PowerShell -enc)",
    `sel:\n  process.command_line|utf16le|base64offset|contains: 'Invoke-'\ncondition: sel`,
    cmd(`-enc ${utf16leBase64("IEX; Invoke-Expression")}`),
    true,
  ],
  [
    "wide|base64offset|contains",
    `sel:\n  process.command_line|wide|base64offset|contains: 'Invoke-'\ncondition: sel`,
    cmd(`-enc ${utf16leBase64("xInvoke-Expression")}`),
    true,
  ],
  [
    "utf16be|base64|contains",
    `sel:\n  process.command_line|utf16be|base64: 'ab'\ncondition: sel`,
    cmd(btoa("\0a\0b")),
    true,
  ],
  [
    "utf16 adds a BOM",
    `sel:\n  process.command_line|utf16|base64: 'ab'\ncondition: sel`,
    cmd(btoa("\xff\xfea\0b\0")),
    true,
  ],
  // --- regular expressions ---
  [
    "re runs unanchored",
    `sel:\n  process.command_line|re: 'who.mi'\ncondition: sel`,
    cmd("x whoami y"),
    true,
  ],
  [
    "re is case-sensitive by default",
    `sel:\n  process.command_line|re: 'WHOAMI'\ncondition: sel`,
    cmd("whoami"),
    false,
  ],
  [
    "re|i ignores case",
    `sel:\n  process.command_line|re|i: 'WHOAMI'\ncondition: sel`,
    cmd("whoami"),
    true,
  ],
  [
    "inline (?i) ignores case",
    `sel:\n  process.command_line|re: '(?i)WHOAMI'\ncondition: sel`,
    cmd("whoami"),
    true,
  ],
  [
    "re|m makes ^ match at line starts",
    `sel:\n  process.command_line|re|m: '^two'\ncondition: sel`,
    cmd("one\ntwo"),
    true,
  ],
  [
    "without m, ^ is the input start",
    `sel:\n  process.command_line|re: '^two'\ncondition: sel`,
    cmd("one\ntwo"),
    false,
  ],
  [
    "re|s lets . match newlines",
    `sel:\n  process.command_line|re|s: 'one.two'\ncondition: sel`,
    cmd("one\ntwo"),
    true,
  ],
  [
    "without s, . does not match newline",
    `sel:\n  process.command_line|re: 'one.two'\ncondition: sel`,
    cmd("one\ntwo"),
    false,
  ],
  // --- exists, numbers, cidr, fieldref, neq, time ---
  ["exists true", `sel:\n  user.name|exists: true\ncondition: sel`, {
    user: { name: "x" },
  }, true],
  ["exists false", `sel:\n  user.name|exists: false\ncondition: sel`, {
    user: { name: "x" },
  }, false],
  [
    "exists false on absent field",
    `sel:\n  user.name|exists: false\ncondition: sel`,
    {},
    true,
  ],
  // Spec (modifiers appendix): exists "only verifies the presence of a
  // field, not its value, be it empty or null".
  [
    "exists true on a field present with value null",
    `sel:\n  Foo|exists: true\ncondition: sel`,
    { payload: { Foo: null } },
    true,
  ],
  [
    "exists false on a field present with value null",
    `sel:\n  Foo|exists: false\ncondition: sel`,
    { payload: { Foo: null } },
    false,
  ],
  [
    "exists true on an empty string",
    `sel:\n  Foo|exists: true\ncondition: sel`,
    { payload: { Foo: "" } },
    true,
  ],
  ["lt", `sel:\n  destination.port|lt: 1024\ncondition: sel`, {
    destination: { port: 22 },
  }, true],
  ["lte boundary", `sel:\n  destination.port|lte: 22\ncondition: sel`, {
    destination: { port: 22 },
  }, true],
  ["gt boundary", `sel:\n  destination.port|gt: 22\ncondition: sel`, {
    destination: { port: 22 },
  }, false],
  ["gte on numeric string", `sel:\n  fields.count|gte: 10\ncondition: sel`, {
    fields: { count: "12" },
  }, true],
  [
    "lt on non-numeric is false",
    `sel:\n  fields.count|lt: 10\ncondition: sel`,
    { fields: { count: "abc" } },
    false,
  ],
  ["cidr v4 inside", `sel:\n  source.ip|cidr: 10.0.0.0/8\ncondition: sel`, {
    source: { ip: "10.20.30.40" },
  }, true],
  ["cidr v4 outside", `sel:\n  source.ip|cidr: 10.0.0.0/8\ncondition: sel`, {
    source: { ip: "11.0.0.1" },
  }, false],
  [
    "cidr list is OR",
    `sel:\n  source.ip|cidr: [10.0.0.0/8, 192.168.0.0/16]\ncondition: sel`,
    { source: { ip: "192.168.1.1" } },
    true,
  ],
  // An array-valued field matches when any element does (as plain,
  // contains, startswith and re already do).
  [
    "cidr on an array-valued field matches any element",
    `sel:\n  ips|cidr: 10.0.0.0/8\ncondition: sel`,
    { payload: { ips: ["1.1.1.1", "10.0.0.1"] } },
    true,
  ],
  [
    "cidr on an array-valued field with no element inside",
    `sel:\n  ips|cidr: 10.0.0.0/8\ncondition: sel`,
    { payload: { ips: ["1.1.1.1", "11.0.0.1"] } },
    false,
  ],
  [
    "gt on an array-valued field matches any element",
    `sel:\n  n|gt: 10\ncondition: sel`,
    { payload: { n: [1, "20"] } },
    true,
  ],
  [
    "lte on an array-valued field with no element in range",
    `sel:\n  n|lte: 10\ncondition: sel`,
    { payload: { n: [11, 20] } },
    false,
  ],
  [
    "hour on an array-valued field matches any element",
    `sel:\n  t|hour: 3\ncondition: sel`,
    { payload: { t: ["2026-11-24T10:00:00Z", "2026-11-24T03:15:00Z"] } },
    true,
  ],
  ["cidr v6 inside", `sel:\n  source.ip|cidr: 'fe80::/10'\ncondition: sel`, {
    source: { ip: "fe80::1:2" },
  }, true],
  [
    "cidr v6 outside",
    `sel:\n  source.ip|cidr: '2001:db8::/32'\ncondition: sel`,
    { source: { ip: "2001:db9::1" } },
    false,
  ],
  [
    "fieldref equal",
    `sel:\n  user.name|fieldref: user.target.name\ncondition: sel`,
    { user: { name: "Root", target: { name: "root" } } },
    true,
  ],
  [
    "fieldref different",
    `sel:\n  user.name|fieldref: user.target.name\ncondition: sel`,
    { user: { name: "bob", target: { name: "root" } } },
    false,
  ],
  ["neq", `sel:\n  outcome|neq: success\ncondition: sel`, {
    outcome: "failure",
  }, true],
  ["neq on equal value", `sel:\n  outcome|neq: success\ncondition: sel`, {
    outcome: "SUCCESS",
  }, false],
  ["hour", `sel:\n  ts|hour: 3\ncondition: sel`, {
    ts: "2026-11-24T03:15:00.000Z",
  }, true],
  ["hour|gte", `sel:\n  ts|hour|gte: 22\ncondition: sel`, {
    ts: "2026-11-24T03:15:00.000Z",
  }, false],
  ["minute", `sel:\n  ts|minute: 15\ncondition: sel`, {
    ts: "2026-11-24T03:15:00.000Z",
  }, true],
  ["day", `sel:\n  ts|day: 24\ncondition: sel`, {
    ts: "2026-11-24T03:15:00.000Z",
  }, true],
  ["week (ISO)", `sel:\n  ts|week: 48\ncondition: sel`, {
    ts: "2026-11-24T03:15:00.000Z",
  }, true],
  ["month", `sel:\n  ts|month: 11\ncondition: sel`, {
    ts: "2026-11-24T03:15:00.000Z",
  }, true],
  ["year", `sel:\n  ts|year: 2026\ncondition: sel`, {
    ts: "2026-11-24T03:15:00.000Z",
  }, true],
  // --- conditions ---
  [
    "and/not",
    `a:\n  action: sudo\nb:\n  outcome: failure\ncondition: a and not b`,
    { action: "sudo", outcome: "success" },
    true,
  ],
  ["or", `a:\n  action: sudo\nb:\n  action: su\ncondition: a or b`, {
    action: "su",
  }, true],
  [
    "parentheses",
    `a:\n  action: sudo\nb:\n  action: su\nc:\n  outcome: success\ncondition: (a or b) and c`,
    { action: "su", outcome: "failure" },
    false,
  ],
  [
    "not binds tighter than and",
    `a:\n  action: sudo\nb:\n  outcome: failure\ncondition: not a and b`,
    { action: "su", outcome: "failure" },
    true,
  ],
  [
    "and binds tighter than or",
    `a:\n  action: x\nb:\n  action: sudo\nc:\n  outcome: failure\ncondition: a and b or c`,
    { action: "su", outcome: "failure" },
    true,
  ],
  [
    "1 of pattern",
    `sel_a:\n  action: sudo\nsel_b:\n  action: su\ncondition: 1 of sel_*`,
    { action: "su" },
    true,
  ],
  [
    "all of pattern",
    `sel_a:\n  action: sudo\nsel_b:\n  outcome: success\ncondition: all of sel_*`,
    { action: "sudo", outcome: "failure" },
    false,
  ],
  [
    "2 of pattern",
    `sel_a:\n  action: sudo\nsel_b:\n  outcome: success\nsel_c:\n  user.name: bob\ncondition: 2 of sel_*`,
    { action: "sudo", user: { name: "bob" } },
    true,
  ],
  [
    "2 of pattern with one true",
    `sel_a:\n  action: sudo\nsel_b:\n  outcome: success\nsel_c:\n  user.name: bob\ncondition: 2 of sel_*`,
    { action: "sudo" },
    false,
  ],
  ["1 of them", `a:\n  action: sudo\nb:\n  action: su\ncondition: 1 of them`, {
    action: "sudo",
  }, true],
  [
    "all of them skips _ identifiers",
    `a:\n  action: sudo\n_helper:\n  action: never\ncondition: all of them`,
    { action: "sudo" },
    true,
  ],
  [
    "condition list is OR",
    `a:\n  action: sudo\nb:\n  action: su\ncondition:\n  - a\n  - b`,
    { action: "su" },
    true,
  ],
  [
    "not 1 of",
    `f_a:\n  user.name: svc\nsel:\n  action: sudo\ncondition: sel and not 1 of f_*`,
    { action: "sudo", user: { name: "svc" } },
    false,
  ],
];

function utf16leBase64(s: string): string {
  let bin = "";
  for (const c of s) bin += c + "\0";
  return btoa(bin);
}

for (const [name, detection, ev, want] of ROWS) {
  Deno.test(`sigma spec: ${name}`, () => {
    const set = rulesFrom(ruleYaml(detection));
    assert.deepEqual(
      set.errors,
      [],
      `rule should compile: ${JSON.stringify(set.errors)}`,
    );
    assert.equal(matches(set, event(ev)), want);
  });
}

Deno.test("sigma spec: the escaping examples parse as the spec says", () => {
  const lit = (s: string) => parseSigmaString(s);
  assert.deepEqual(lit("\\*"), [{ k: "lit", s: "*" }]);
  assert.deepEqual(lit("\\?"), [{ k: "lit", s: "?" }]);
  assert.deepEqual(lit("\\\\*"), [{ k: "lit", s: "\\" }, { k: "star" }]);
  assert.deepEqual(lit("\\\\\\*"), [{ k: "lit", s: "\\*" }]);
  assert.deepEqual(lit("C:\\Windows\\"), [{ k: "lit", s: "C:\\Windows\\" }]);
  assert.deepEqual(lit("a*?b"), [{ k: "lit", s: "a" }, { k: "star" }, {
    k: "one",
  }, { k: "lit", s: "b" }]);
});

Deno.test("sigma spec: base64offset yields the three pySigma variants", () => {
  const v = base64Offsets(new TextEncoder().encode("/bin/bash"));
  assert.deepEqual(v, ["L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"]);
});

type Bad = [name: string, detection: string, reason: RegExp];
const REJECTED: Bad[] = [
  [
    "unknown modifier",
    `sel:\n  a|foo: x\ncondition: sel`,
    /unknown modifier 'foo'/,
  ],
  ["i without re", `sel:\n  a|i: x\ncondition: sel`, /only valid after re/],
  [
    "unknown identifier",
    `sel:\n  a: x\ncondition: sel and other`,
    /unknown identifier 'other'/,
  ],
  [
    "bad condition syntax",
    `sel:\n  a: x\ncondition: sel and (sel`,
    /missing '\)'/,
  ],
  [
    "deprecated aggregation",
    `sel:\n  a: x\ncondition: sel | count() > 5`,
    /correlation rule/,
  ],
  ["catastrophic regex", `sel:\n  a|re: '(a+)+$'\ncondition: sel`, /unsafe/],
  [
    "invalid regex",
    `sel:\n  a|re: '(unclosed'\ncondition: sel`,
    /does not compile/,
  ],
  ["bad cidr", `sel:\n  a|cidr: 10.0.0.0/33\ncondition: sel`, /prefix length/],
  [
    "numeric modifier with text",
    `sel:\n  a|gt: ten\ncondition: sel`,
    /numeric/,
  ],
  [
    "base64 with a wildcard",
    `sel:\n  a|base64: 'who*'\ncondition: sel`,
    /wildcards/,
  ],
  [
    "expand without placeholder config",
    `sel:\n  a|expand: '%admins%'\ncondition: sel`,
    /placeholder %admins%/,
  ],
  [
    "of pattern matching nothing",
    `sel:\n  a: x\ncondition: 1 of nope_*`,
    /matches no identifier/,
  ],
  [
    "N of a pattern matching fewer than N identifiers",
    `s1:\n  A: x\ns2:\n  B: y\ncondition: 3 of s*`,
    /'3 of s\*' needs 3 identifiers but the pattern matches 2 \(s1, s2\)/,
  ],
  [
    "N of them with fewer than N identifiers",
    `s1:\n  A: x\ncondition: 2 of them`,
    /'2 of them' needs 2 identifiers/,
  ],
  [
    "all with a single value",
    `sel:\n  F|all: x\ncondition: sel`,
    /all needs a list of two or more values/,
  ],
  [
    "all with a one-item list",
    `sel:\n  F|contains|all:\n    - x\ncondition: sel`,
    /all needs a list of two or more values/,
  ],
  [
    "keyword all with a single value",
    `kw:\n  '|all': x\ncondition: kw`,
    /all needs a list of two or more values/,
  ],
  [
    "ground_truth is never visible",
    `sel:\n  ground_truth.scenario: port_scan\ncondition: sel`,
    /evaluation-only/,
  ],
];

for (const [name, detection, reason] of REJECTED) {
  Deno.test(`sigma spec: rejects at load: ${name}`, () => {
    const set = rulesFrom(ruleYaml(detection), "bad.yml");
    assert.equal(set.rules.length, 0);
    assert.equal(set.errors.length, 1);
    assert.equal(set.errors[0].file, "bad.yml");
    assert.equal(set.errors[0].ruleId, "11111111-1111-4111-8111-111111111111");
    assert.match(set.errors[0].reason, reason);
  });
}

Deno.test("sigma spec: expand uses placeholder values from the mapping config", () => {
  const set = rulesFrom(
    ruleYaml(`sel:\n  user.name|expand: '%admins%'\ncondition: sel`) +
      `---\nplaceholders:\n  admins: [alice, bob]\n`,
  );
  assert.deepEqual(set.errors, []);
  assert.equal(matches(set, event({ user: { name: "bob" } })), true);
  assert.equal(matches(set, event({ user: { name: "eve" } })), false);
});

Deno.test("regex guard: catastrophic shapes are rejected, common safe shapes pass", () => {
  for (
    const bad of [
      "(a+)+",
      "(a*)*b",
      "(\\w+\\s*)+$",
      "(a|ab)+",
      "(.|x)*",
      "(a*){20}",
      "(a)\\1",
      "(x+x+)y", // adjacent overlapping repeats (review A4)
      "\\d+[0-9]+z",
    ]
  ) {
    assert.notEqual(catastrophicShape(bad), "", bad);
  }
  for (
    const ok of [
      "(?:abc|def)+",
      "[a-z]{40,}",
      "(?:0[0-9]{1,11}\\.){3}",
      "^\\s*cmd(?:\\.exe)?\\s+/c",
      "(?i)foo.*bar",
    ]
  ) {
    assert.equal(catastrophicShape(ok), "", ok);
  }
});

Deno.test("regex guard: a long value is scanned at its head and tail, not its middle", () => {
  const re = compileRuleRegex("need(le)", {});
  assert.equal(
    testBounded(re, "x".repeat(REGEX_INPUT_MAX - 10) + "needle"),
    true,
  );
  // Padding in front no longer hides the needle (review A5).
  assert.equal(testBounded(re, "x".repeat(REGEX_INPUT_MAX) + "needle"), true);
  const pad = "x".repeat(REGEX_INPUT_MAX);
  assert.equal(testBounded(re, pad + "needle" + pad), false);
});

Deno.test("regex guard: PCRE named groups translate, possessive quantifiers are refused", () => {
  assert.ok(compileRuleRegex("(?P<x>ab)c", {}).test("abc"));
  assert.throws(() => compileRuleRegex("a++", {}), /possessive/);
  assert.throws(() => compileRuleRegex("ab(?i)c", {}), /not at the start/);
});

Deno.test("sigma spec: expand treats an escaped percent as plain text (\\%plain%name%)", () => {
  const set = rulesFrom(
    ruleYaml(`sel:\n  U|expand: '\\%plain%name%'\ncondition: sel`) +
      `---\nplaceholders:\n  name: [root]\n`,
  );
  assert.deepEqual(set.errors, []);
  assert.equal(matches(set, event({ payload: { U: "%plainroot" } })), true);
  assert.equal(matches(set, event({ payload: { U: "\\%plainroot" } })), false);
  // An escaped backslash before a placeholder is one plain backslash.
  const path = rulesFrom(
    ruleYaml(`sel:\n  U|expand: 'C:\\\\%name%'\ncondition: sel`) +
      `---\nplaceholders:\n  name: [root]\n`,
  );
  assert.deepEqual(path.errors, []);
  assert.equal(matches(path, event({ payload: { U: "C:\\root" } })), true);
  // Only escaped percents: no placeholder left, so expand has nothing to do.
  const none = rulesFrom(
    ruleYaml(`sel:\n  U|expand: '\\%plain\\%'\ncondition: sel`),
  );
  assert.equal(none.rules.length, 0);
  assert.match(none.errors[0].reason, /expand needs a %placeholder%/);
});

Deno.test("sigma spec: time modifiers read a zone-less date as UTC on any host zone", async () => {
  // Runs in a child process with TZ=Asia/Kolkata (UTC+05:30): a date
  // without a zone must give the wall-clock hour and minute written in it.
  const helpers = new URL("./_helpers.ts", import.meta.url).href;
  const script = `
import { event, matches, rulesFrom, ruleYaml } from ${JSON.stringify(helpers)};
const out = [];
for (const [mod, want, t] of [
  ["hour", 10, "2024-01-01 10:30:00"],
  ["minute", 30, "2024-01-01T10:30:00"],
  ["hour", 10, "2024-01-01T10:30:00.123"],
  ["day", 31, "2024-12-31 23:30:00"],
  ["hour", 10, "Nov 24 2026 10:00:00"],
  ["hour", 5, "2024-01-01T10:30:00+05:30"],
  ["hour", 10, "2024-01-01T10:30:00Z"],
]) {
  const set = rulesFrom(ruleYaml("sel:\\n  T|" + mod + ": " + want + "\\ncondition: sel"));
  out.push(matches(set, event({ payload: { T: t } })));
}
console.log(JSON.stringify(out));
`;
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", script],
    env: { TZ: "Asia/Kolkata" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(r.stderr);
  assert.equal(r.code, 0, err);
  assert.deepEqual(
    JSON.parse(new TextDecoder().decode(r.stdout)),
    [true, true, true, true, true, true, true],
  );
});

Deno.test("field mapping: a mapped name still reaches the event's own key (flat JSON Windows event)", () => {
  // As the parser emits a flat JSON Sysmon event: EventID and Channel are
  // copied to `fields`, the rest stays in the payload; none of it sits
  // under payload.Event.System, where the built-in mapping looks first.
  const flat = event({
    fields: { EventID: "1", Channel: "Microsoft-Windows-Sysmon/Operational" },
    payload: {
      EventID: 1,
      Channel: "Microsoft-Windows-Sysmon/Operational",
      CommandLine: "whoami /all",
      Computer: "h1",
    },
  });
  const set = rulesFrom(ruleYaml(`sel:
  Channel: Microsoft-Windows-Sysmon/Operational
  EventID: 1
  CommandLine|contains: whoami
condition: sel`));
  assert.deepEqual(set.errors, []);
  assert.equal(matches(set, flat), true);
  // A mapping tried first still wins over the default places.
  const mapped = rulesFrom(
    ruleYaml(`sel:\n  Foo: from_mapping\ncondition: sel`) +
      `---\nfieldmappings:\n  Foo: [payload.bar]\n`,
  );
  assert.deepEqual(mapped.errors, []);
  assert.equal(
    matches(mapped, event({ payload: { bar: "from_mapping", Foo: "x" } })),
    true,
  );
  assert.equal(
    matches(mapped, event({ payload: { bar: "other", Foo: "from_mapping" } })),
    false,
  );
  assert.equal(
    matches(mapped, event({ payload: { Foo: "from_mapping" } })),
    true,
  );
});

Deno.test("sigma spec: a list or map where one name belongs is refused, shown as written (it used to read [object Object], or to route the rule nowhere)", () => {
  const rule = (head: string) =>
    `title: Odd Head\nid: 11111111-1111-4111-8111-111111111111\n${head}\ndetection:\n  sel:\n    a: x\n  condition: sel\n`;
  const cases: [string, RegExp][] = [
    [
      "logsource:\n  product: [windows, linux]",
      /^logsource\.product must be a single name, got \["windows","linux"\]$/,
    ],
    ["logsource: {}\nlevel: [high]", /^unknown level \["high"\]$/],
    ["logsource: {}\nlevel: {x: 1}", /^unknown level \{"x":1\}$/],
    // A YAML anchor that contains itself: named, not a JSON stack dump.
    [
      "logsource: {}\nlevel: &a [*a]",
      /^unknown level a list that contains itself$/,
    ],
  ];
  for (const [head, reason] of cases) {
    const set = rulesFrom(rule(head), "odd.yml");
    assert.equal(set.rules.length, 0, head);
    assert.match(set.errors[0]?.reason ?? "", reason);
  }
});
