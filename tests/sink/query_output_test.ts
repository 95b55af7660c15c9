/**
 * `sentinel-sink query` prints what the database computed: 64-bit integers
 * and wide decimals exactly (not rounded through a JS number), NaN and
 * infinities as such (not NULL).
 */
import assert from "node:assert/strict";
import { renderTable } from "../../stages/sink/mod.ts";
import { sink } from "./_run.ts";

const EXACT =
  "SELECT cityHash64('a') AS h, 0/0 AS n, 1/0 AS i, -1/0 AS ni, toDecimal128('12345678901234567890.125', 3) AS d, toUInt64(3) AS c";

Deno.test("renderTable prints quoted 64-bit integers and NaN as the database wrote them", () => {
  const text = renderTable(JSON.stringify({
    meta: [{ name: "h", type: "UInt64" }, { name: "n", type: "Float64" }],
    data: [["2603192927274642682", "-nan"]],
    rows: 1,
  }));
  assert.match(text, /2603192927274642682\s+nan\n/);
});

Deno.test("query prints exact integers, decimals, nan and inf in every format", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sink_query_output_" });
  const out = `chdb:${dir}`;
  try {
    let r = await sink(["--out", out], ""); // creates the store
    assert.equal(r.code, 0, r.stderr);

    r = await sink(["query", "--out", out, EXACT]);
    assert.equal(r.code, 0, r.stderr);
    const [head, , row] = r.stdout.split("\n");
    assert.deepEqual(head.trim().split(/\s+/), ["h", "n", "i", "ni", "d", "c"]);
    assert.deepEqual(row.trim().split(/\s+/), [
      "2603192927274642682",
      "nan",
      "inf",
      "-inf",
      "12345678901234567890.125",
      "3",
    ]);

    r = await sink(["query", "--out", out, "--format", "json", EXACT]);
    assert.equal(r.code, 0, r.stderr);
    // Exact in the text a JSON consumer reads (integers stay numbers).
    assert.match(r.stdout, /"h":2603192927274642682,/);
    assert.match(r.stdout, /"d":12345678901234567890\.125,/);
    const j = JSON.parse(r.stdout);
    assert.match(j.n, /^-?nan$/);
    assert.equal(j.i, "inf");
    assert.equal(j.ni, "-inf");
    assert.equal(j.c, 3);

    r = await sink(["query", "--out", out, "--format", "csv", EXACT]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout.trim().split("\n")[1],
      "2603192927274642682,nan,inf,-inf,12345678901234567890.125,3",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
