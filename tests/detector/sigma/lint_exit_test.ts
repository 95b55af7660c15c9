/**
 * Exit codes of `sentinel-detector rules lint` / `rules test` / the run mode:
 * rejected rules are the linter's findings (exit 1, as failed samples are
 * for `rules test`), with or without --strict; bad usage or configuration
 * (no PATH, a PATH or --mapping that cannot be read) is 2; the run mode with
 * --strict refuses to start on rejected rules (configuration, 2).
 */
import assert from "node:assert/strict";
import { detector as run } from "./_run.ts";

const GOOD = `title: Sudo Used
id: 50000000-0000-4000-8000-000000000011
logsource: {}
detection:
  sel: { action: sudo }
  condition: sel
level: medium
`;
const BROKEN = GOOD.replace("Sudo Used", "Broken Modifier")
  .replace("-000000000011", "-000000000012")
  .replace("action: sudo", "action|nope: sudo");

async function withRules(
  files: Record<string, string>,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("rules lint: 0 when every rule compiles, 1 when rules are rejected, with or without --strict", async () => {
  await withRules({ "good.yml": GOOD }, async (dir) => {
    const ok = await run(["rules", "lint", dir, "--strict"]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /0 rejected/);
  });
  await withRules({ "good.yml": GOOD, "bad.yml": BROKEN }, async (dir) => {
    const plain = await run(["rules", "lint", dir]);
    assert.equal(plain.code, 1, plain.stdout + plain.stderr);
    const strict = await run(["rules", "lint", "--strict", dir]);
    assert.equal(strict.code, 1, strict.stdout + strict.stderr);
    // --strict still lints: the same findings are printed.
    assert.equal(strict.stdout, plain.stdout);
    assert.match(strict.stdout, /REJECTED .*bad\.yml.*unknown modifier 'nope'/);
  });
});

Deno.test("rules lint: bad usage or configuration exits 2 (no PATH, PATH not found, unreadable --mapping)", async () => {
  const none = await run(["rules", "lint"]);
  assert.equal(none.code, 2, none.stderr);
  const missing = await run(["rules", "lint", "/nonexistent/rules"]);
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /not found/);
  await withRules({ "good.yml": GOOD }, async (dir) => {
    const r = await run([
      "rules",
      "lint",
      dir,
      "--mapping",
      `${dir}/no_such_mapping.yml`,
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--mapping/);
  });
});

Deno.test("rules test exits 1 on a rejected rule like lint; the run mode with --strict refuses to start (2)", async () => {
  await withRules({ "good.yml": GOOD, "bad.yml": BROKEN }, async (dir) => {
    const test = await run(["rules", "test", dir]);
    assert.equal(test.code, 1, test.stdout + test.stderr);
    assert.match(test.stdout, /1 rules rejected/);
    const start = await run(["--rules", dir, "--strict", "--anomaly", "off"]);
    assert.equal(start.code, 2, start.stderr);
    assert.match(start.stderr, /1 rules rejected \(--strict\)/);
  });
});

Deno.test("rules lint --help states what each exit code means", async () => {
  const r = await run(["rules", "lint", "--help"]);
  assert.equal(r.code, 0);
  assert.match(
    r.stdout,
    /Exit codes: 0 every rule compiled, 1 rules rejected .*, 2 bad usage or configuration/,
  );
  assert.match(r.stdout, /--strict/);
  // The generic "1 runtime failure" line would contradict it.
  assert.doesNotMatch(r.stdout, /1 runtime failure/);
  const t = await run(["rules", "test", "--help"]);
  assert.match(
    t.stdout,
    /Exit codes: 0 every sample passed, 1 samples failed or rules rejected/,
  );
});
