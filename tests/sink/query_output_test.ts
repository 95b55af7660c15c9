/**
 * `sentinel-sink query` prints what the database computed: 64-bit integers
 * and wide decimals exactly (not rounded through a JS number), NaN and
 * infinities as such (not NULL), and refuses more than one statement with a
 * usage error in every format (the table format crashed with a JSON parse
 * error, json and csv printed two results run together).
 */
import assert from "node:assert/strict";
import { UsageError } from "../../stages/shared/cli.ts";
import { renderTable, singleStatement } from "../../stages/sink/mod.ts";
import { sink } from "./_run.ts";

const EXACT =
  "SELECT cityHash64('a') AS h, 0/0 AS n, 1/0 AS i, -1/0 AS ni, toDecimal128('12345678901234567890.125', 3) AS d, toUInt64(3) AS c";

Deno.test("singleStatement keeps one statement and refuses two, whatever the quoting and comments", () => {
  assert.equal(singleStatement("SELECT 1"), "SELECT 1");
  assert.equal(singleStatement("  SELECT 1 ;  \n"), "SELECT 1");
  assert.equal(singleStatement("SELECT 1; -- done; really"), "SELECT 1");
  assert.equal(singleStatement("SELECT 1; /* a; b */"), "SELECT 1");
  assert.equal(singleStatement(";;SELECT 1;;"), "SELECT 1");
  for (
    const one of [
      "SELECT 'a;b'",
      "SELECT 'it''s;' AS x",
      "SELECT 'a\\';b'",
      'SELECT 1 AS "x;y"',
      "SELECT 1 AS `x;y`",
      "SELECT 1 -- a; b\n, 2",
      "SELECT /* ; */ 1",
    ]
  ) {
    assert.equal(singleStatement(one), one, one);
  }
  for (
    const two of [
      "SELECT 1 a; SELECT 2 b",
      "SELECT 'a;b'; SELECT 2",
      "SELECT 1; /* c */ SELECT 2;",
    ]
  ) {
    assert.throws(() => singleStatement(two), UsageError, two);
    assert.throws(() => singleStatement(two), /one statement per query/);
  }
});

Deno.test("renderTable prints quoted 64-bit integers and NaN as the database wrote them", () => {
  const text = renderTable(JSON.stringify({
    meta: [{ name: "h", type: "UInt64" }, { name: "n", type: "Float64" }],
    data: [["2603192927274642682", "-nan"]],
    rows: 1,
  }));
  assert.match(text, /2603192927274642682\s+nan\n/);
});

Deno.test("query prints exact integers, decimals, nan and inf in every format; two statements are a usage error in every format", async () => {
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

    for (const format of ["table", "json", "csv"]) {
      r = await sink([
        "query",
        "--out",
        out,
        "--format",
        format,
        "SELECT 1 a; SELECT 2 b",
      ]);
      assert.equal(r.code, 2, `${format}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /one statement per query/, format);
      assert.doesNotMatch(r.stderr, /fatal|JSON/, format);
      assert.equal(r.stdout, "", format);
    }

    // A FORMAT clause of the query's own is refused (exit 2) with a hint
    // naming --format; a column named format, or the word in a string or a
    // comment, is SQL like any other.
    r = await sink(["query", "--out", out, "SELECT 1 AS n FORMAT CSV;"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /leave out 'FORMAT CSV'; choose the output with --format/,
    );
    r = await sink(["query", "--out", out, "SELECT 'x FORMAT CSV' AS s"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^x FORMAT CSV$/m);
    r = await sink([
      "query",
      "--out",
      out,
      "SELECT 'a' AS format ORDER BY format DESC",
    ]);
    assert.equal(r.code, 0, r.stderr);
    r = await sink(["query", "--out", out, "SELECT 1 AS x -- FORMAT JSON"]);
    assert.equal(r.code, 0, r.stderr);

    // A semicolon in a string and a trailing comment are one statement.
    r = await sink(["query", "--out", out, "SELECT 'a;b' AS s; -- done"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^a;b$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
