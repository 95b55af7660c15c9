/**
 * `sentinel-sink query --help` documents for --out only the stores a query
 * accepts (chdb: and http(s)://); it used to offer "- or file:PATH
 * (NDJSON)", which `query` refuses. The store command still offers them.
 */
import assert from "node:assert/strict";
import { sink } from "./_run.ts";

/** The help text of the --out flag (its line) in `--help` output. */
function outLine(help: string): string {
  const line = help.split("\n").find((l) => /^\s+--out URI/.test(l));
  assert.ok(line, help);
  return line;
}

Deno.test("query --help: --out lists chdb:DIR and http(s):// only, and NDJSON --out is refused as documented", async () => {
  const help = await sink(["query", "--help"]);
  assert.equal(help.code, 0, help.stderr);
  const out = outLine(help.stdout);
  assert.match(out, /chdb:DIR/);
  assert.match(out, /http\(s\):\/\//);
  assert.doesNotMatch(out, /file:PATH|NDJSON| - /);

  const refused = await sink(["query", "--out", "-", "SELECT 1"]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /queries need a chdb: or http\(s\): store/);
});

Deno.test("sentinel-sink --help: the store command's --out still offers - and file:PATH (NDJSON)", async () => {
  const help = await sink(["--help"]);
  assert.equal(help.code, 0, help.stderr);
  assert.match(outLine(help.stdout), /- or file:PATH \(NDJSON\)/);
});
