/**
 * `sentinel-detector rules lint PATH --json`: stdout holds only JSON
 * objects, one per rejected rule, so it can be piped into jq or parsed line
 * by line; the human summary goes to stderr.
 */
import assert from "node:assert/strict";
import { detector as run } from "./_run.ts";

const GOOD = `title: Sudo Used
id: 50000000-0000-4000-8000-000000000021
logsource: {}
detection:
  sel: { action: sudo }
  condition: sel
level: medium
`;
const BROKEN = GOOD.replace("Sudo Used", "Broken Modifier")
  .replace("-000000000021", "-000000000022")
  .replace("action: sudo", "action|nope: sudo");

async function lintJson(files: Record<string, string>) {
  const dir = await Deno.makeTempDir({ prefix: "lint_json_" });
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    return await run(["rules", "lint", dir, "--json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Every non-empty stdout line parsed; fails on the first that is not a JSON object. */
function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout.split("\n").filter((l) => l !== "").map((l) => {
    let v: unknown;
    assert.doesNotThrow(() => v = JSON.parse(l), `not JSON on stdout: ${l}`);
    assert.ok(v && typeof v === "object" && !Array.isArray(v), l);
    return v as Record<string, unknown>;
  });
}

Deno.test("rules lint --json: stdout is one JSON object per rejected rule, the summary is on stderr", async () => {
  const r = await lintJson({ "good.yml": GOOD, "bad.yml": BROKEN });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const found = jsonLines(r.stdout);
  assert.equal(found.length, 1, r.stdout);
  assert.match(String(found[0].file), /bad\.yml$/);
  assert.match(String(found[0].reason), /unknown modifier 'nope'/);
  assert.match(
    r.stderr,
    /1 rules, 0 correlations, 0 filters compiled; 1 rejected/,
  );
});

Deno.test("rules lint --json with every rule compiling: stdout is empty, exit 0", async () => {
  const r = await lintJson({ "good.yml": GOOD });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(jsonLines(r.stdout), []);
  assert.match(r.stderr, /0 rejected \(100\.00% ok\)/);
});
