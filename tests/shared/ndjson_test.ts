import assert from "node:assert/strict";
import { LineFramer } from "../../stages/shared/ndjson.ts";

const enc = new TextEncoder();

function frameAll(chunks: (string | Uint8Array)[], max?: number) {
  const f = new LineFramer(max);
  const lines: string[] = [];
  const numbers: number[] = [];
  const oversize: { line: number; bytes: number; head: string }[] = [];
  for (
    const c of [
      ...chunks.map((c) => typeof c === "string" ? enc.encode(c) : c),
      null,
    ]
  ) {
    const r = c ? f.push(c) : f.end();
    lines.push(...r.lines);
    numbers.push(...r.numbers);
    oversize.push(...r.oversize);
  }
  return { lines, numbers, oversize };
}

Deno.test("lines split across chunks are reassembled, CRLF and blank lines handled", () => {
  const r = frameAll(['{"a":', '1}\r\n\n{"b":2}\n{"c"', ":3}"]);
  assert.deepEqual(r.lines, ['{"a":1}', '{"b":2}', '{"c":3}']);
  assert.deepEqual(r.numbers, [1, 3, 4]);
});

Deno.test("a multi-byte character split between chunks survives", () => {
  const bytes = enc.encode('{"user":"zoë"}\n');
  const cut = bytes.indexOf(0xc3) + 1; // inside the two-byte ë
  const r = frameAll([bytes.subarray(0, cut), bytes.subarray(cut)]);
  assert.deepEqual(r.lines, ['{"user":"zoë"}']);
});

Deno.test("an oversize line is reported with its head and size, and the next line is kept", () => {
  const big = "x".repeat(100);
  const r = frameAll(["ok1\n", big.slice(0, 30), big.slice(30), "\nok2\n"], 64);
  assert.deepEqual(r.lines, ["ok1", "ok2"]);
  assert.deepEqual(r.numbers, [1, 3]);
  assert.equal(r.oversize.length, 1);
  assert.equal(r.oversize[0].line, 2);
  assert.equal(r.oversize[0].bytes, 100);
  assert.ok(r.oversize[0].head.startsWith("xxxx"));
});

Deno.test("an oversize line inside one chunk is measured in bytes, not characters", () => {
  const line = "é".repeat(40); // 80 bytes, 40 characters
  const r = frameAll([`${line}\nshort\n`], 64);
  assert.deepEqual(r.lines, ["short"]);
  assert.equal(r.oversize[0].bytes, 80);
});

Deno.test("invalid UTF-8 becomes replacement characters, not an error", () => {
  const r = frameAll([new Uint8Array([0x61, 0xff, 0x62, 0x0a])]);
  assert.deepEqual(r.lines, ["a\uFFFDb"]);
});

Deno.test("whitespace-only lines of any length are skipped, not dead-lettered", () => {
  const r = frameAll([`{"a":1}\n${" ".repeat(40)}\n\t \t\n{"b":2}\n`]);
  assert.deepEqual(r.lines, ['{"a":1}', '{"b":2}']);
  assert.deepEqual(r.numbers, [1, 4]);
});
