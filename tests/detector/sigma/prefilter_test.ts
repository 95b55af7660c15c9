/**
 * The prefilter may only skip rules that cannot match: literals required by
 * regexes, and whole-value (exact) needs dispatched per field, select the
 * same rules a full evaluation matches.
 */
import assert from "node:assert/strict";
import {
  needChar,
  regexLiterals,
} from "../../../stages/detector/sigma/prefilter.ts";
import { EventView } from "../../../stages/detector/sigma/fields.ts";
import { event, rulesFrom } from "./_helpers.ts";

const LITERALS: [source: string, want: string[] | null][] = [
  ["ipconfig\\s+/all", ["ipconfig"]],
  ['\\.exe["\']?\\s+[^"]{0,64}werfaultsecure\\.exe', ["werfaultsecure.exe"]],
  ["ping\\s+-n.{6,64}echo EEEE\\s?>\\s?", ["echo eeee"]],
  ["netsh\\s+interface show interface", ["interface show interface"]],
  ["abcd|efghi", ["abcd", "efghi"]],
  ["abcd|ef", null], // one alternative has no usable literal
  ["ab?cdef", ["cdef"]], // the optional b splits the run
  ["x*abcde", ["abcde"]],
  ["abcd+ef", ["abcd"]],
  ["(?:secret)value", ["value"]], // group content is never used
  ["(?!evil)goodname", ["goodname"]],
  ["[abc]defg", ["defg"]],
  ["a{0,3}bcde", ["bcde"]],
  ["wxyz{2}q", ["wxyz"]],
  ["foo\\x41barbaz", null], // long escapes are not followed
  ["^C:\\\\Windows\\\\", ["c:\\windows\\"]],
  ["caf\u00e9 latte", [" latte"]], // non-ASCII ends a run
  ["(unbalanced", null],
  ["a.b.c.d", null],
];

for (const [source, want] of LITERALS) {
  Deno.test(`regexLiterals(${JSON.stringify(source)}) = ${JSON.stringify(want)}`, () => {
    assert.deepEqual(regexLiterals(source), want);
  });
}

Deno.test("every extracted literal occurs in strings the regex matches", () => {
  const cases: [string, string[]][] = [
    ["ipconfig\\s+/all", ["IPCONFIG   /ALL", "x ipconfig /all y"]],
    ["ab?cdef", ["acdef", "abcdef"]],
    ["abcd+ef", ["abcdddef"]],
    ["wxyz{2}q", ["wxyzzq"]],
  ];
  for (const [source, inputs] of cases) {
    const re = new RegExp(source, "i");
    const lits = regexLiterals(re.source)!;
    for (const s of inputs) {
      assert.ok(re.test(s), `${source} matches ${s}`);
      assert.ok(
        lits.some((l) => s.toLowerCase().includes(l)),
        `${s} holds one of ${lits}`,
      );
    }
  }
});

/** A rule with its own id and the given detection lines. */
function rule(id: string, detection: string): string {
  return `title: ${id}
id: ${id}
logsource: {}
detection:
${detection}
level: medium
`;
}

const RULES = [
  rule(
    "exact-eventid",
    "  selection:\n    EventID: 16\n  condition: selection",
  ),
  rule(
    "regex-route",
    "  selection:\n    CommandLine|re: 'route\\s+print'\n  condition: selection",
  ),
  rule(
    "emoji",
    "  selection:\n    CommandLine|contains:\n      - '\u{1F525}'\n      - '\u{1F600}'\n  condition: selection",
  ),
  rule(
    "homoglyph",
    "  selection:\n    CommandLine|contains:\n      - '\u0410'\n      - '\u0441'\n  condition: selection",
  ),
  rule(
    "exact-short",
    "  selection:\n    Image:\n      - 'System'\n      - ''\n  condition: selection",
  ),
].join("---\n");

function windows(eventId: number, data: Record<string, unknown>) {
  return event({
    format: "windows_evtx",
    payload: { Event: { System: { EventID: eventId }, EventData: data } },
  });
}

Deno.test("exact and regex needs: events without the literal or value skip the rule; matches are unchanged", () => {
  const set = rulesFrom(RULES);
  assert.deepEqual(set.errors, []);
  for (const r of set.rules) assert.ok(r.need, `${r.meta.id} has a need`);
  const view = new EventView(set.fields);
  // [event, rules matched, candidates (default: the rules matched)]
  const cases: [ReturnType<typeof windows>, string[], string[]?][] = [
    [windows(16, {}), ["exact-eventid"]],
    [windows(1, { CommandLine: "route   print" }), ["regex-route"]],
    // Holds the required literal "route" but not the rest: a candidate only.
    [windows(1, { CommandLine: "route add" }), [], ["regex-route"]],
    [windows(1, { CommandLine: "netstat -r" }), []],
    // The regex is case-sensitive; the prefilter (on lowercased values) lets
    // it through, and evaluation rejects it.
    [windows(1, { CommandLine: "ROUTE PRINT" }), [], ["regex-route"]],
    [windows(1, { Image: "system" }), ["exact-short"]],
    [windows(1, { Image: "" }), ["exact-short"]],
    [windows(1, { Image: "C:\\System" }), []],
    [windows(160, {}), []],
    [windows(1, { CommandLine: "calc \u{1F525}" }), ["emoji"]],
    [windows(1, { CommandLine: "calc \u{1F4A5}" }), [], ["emoji"]], // same high surrogate
    [windows(1, { CommandLine: "\u0430dmin" }), ["homoglyph"]], // lowercase of А
    [windows(1, { CommandLine: "\u0421MD" }), ["homoglyph"]], // С lowercases to с
    [windows(1, { CommandLine: "cmd /c calc" }), []], // ASCII: skipped
  ];
  for (const [ev, want, candidatesWant] of cases) {
    view.reset(ev as unknown as Record<string, unknown>);
    const candidates = set.router.route(view).map((r) => r.meta.id);
    view.reset(ev as unknown as Record<string, unknown>);
    const matched = set.router.rulesFor(view).filter((r) => r.match(view))
      .map((r) => r.meta.id);
    assert.deepEqual(matched, want);
    assert.deepEqual(
      candidates,
      candidatesWant ?? want,
      "only rules that can match are candidates",
    );
  }
});

Deno.test("needChar: a caseless or lowercase-stable non-ASCII unit, never the sigmas", () => {
  assert.equal(needChar("ab"), null);
  assert.equal(needChar("\u{1F525}"), "\uD83D");
  assert.equal(needChar("\u0410"), "\u0430");
  assert.equal(needChar("\u202E"), "\u202E");
  assert.equal(needChar("\u03A3"), null); // Σ lowercases to σ or ς by context
  assert.equal(needChar("x\u03A3\u00E9"), "\u00E9");
});

Deno.test("remembered scans: values seen before, and past the memory's size, select the same rules", () => {
  const set = rulesFrom(RULES);
  const view = new EventView(set.fields);
  const candidates = (cmd: string) => {
    view.reset(
      windows(1, { CommandLine: cmd }) as unknown as Record<string, unknown>,
    );
    return set.router.route(view).map((r) => r.meta.id);
  };
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 1500; i++) {
      assert.deepEqual(candidates(`route print ${i}`), ["regex-route"]);
      assert.deepEqual(candidates(`netstat -r ${i}`), []);
    }
  }
});
