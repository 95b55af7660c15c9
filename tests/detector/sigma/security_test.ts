/**
 * Security review findings on the Sigma detector (REVIEW.md section A):
 * each test reproduces an attack that used to work.
 */
import assert from "node:assert/strict";
import { event, matches, rulesFrom, ruleYaml, runAll } from "./_helpers.ts";

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
