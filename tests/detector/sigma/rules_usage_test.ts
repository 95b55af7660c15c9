/**
 * `sentinel-detector rules`: `--help` prints help (not an error), a missing
 * or unknown subcommand points to it, and `rules lint|test PATH` names the
 * PATH as the user gave it when it does not exist (there is no --rules flag
 * on those commands).
 */
import assert from "node:assert/strict";
import { detector as run } from "./_run.ts";

Deno.test("rules --help lists lint and test and exits 0", async () => {
  for (const flag of ["--help", "-h"]) {
    const r = await run(["rules", flag]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage:/m);
    assert.match(r.stdout, /^ {2}lint {2}Compile rules/m);
    assert.match(r.stdout, /^ {2}test {2}Run the sample events/m);
    assert.equal(r.stderr, "");
  }
});

Deno.test("rules without a known command exits 2 and points to rules --help", async () => {
  for (const args of [["rules"], ["rules", "check"]]) {
    const r = await run(args);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /'lint' or 'test'/);
    assert.match(r.stderr, /sentinel-detector rules --help/);
  }
});

Deno.test("rules lint|test with a missing PATH names it as given, not as --rules", async () => {
  for (const cmd of ["lint", "test"]) {
    const r = await run(["rules", cmd, "./no_such_rules_dir"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: \.\/no_such_rules_dir: not found$/m);
    assert.doesNotMatch(r.stderr, /--rules/);
  }
  // The run mode does take --rules, so there the flag is named.
  const run_ = await run(["--rules", "./no_such_rules_dir"]);
  assert.equal(run_.code, 2, run_.stderr);
  assert.match(run_.stderr, /--rules \.\/no_such_rules_dir: not found/);
});
