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

Deno.test("invalid UTF-8 is sized in input bytes, however the line is chunked", () => {
  // 40 bytes of 0xff decode to 40 U+FFFD (120 bytes re-encoded): the line
  // is 40 bytes long and within a 64-byte limit, in one chunk or split.
  const bad = new Uint8Array(40).fill(0xff);
  const line = new Uint8Array([...bad, 0x0a, ...enc.encode("ok\n")]);
  for (const chunks of [[line], [line.subarray(0, 17), line.subarray(17)]]) {
    const r = frameAll(chunks, 64);
    assert.deepEqual(r.lines, ["\uFFFD".repeat(40), "ok"]);
    assert.equal(r.oversize.length, 0);
  }
  // Several long parts in one chunk, each measured at its own offset.
  const r = frameAll(
    [new Uint8Array([...bad, 0x0a, ...new Uint8Array(70).fill(0xff), 0x0a])],
    64,
  );
  assert.deepEqual(r.lines, ["\uFFFD".repeat(40)]);
  assert.deepEqual(r.oversize.map((o) => [o.line, o.bytes]), [[2, 70]]);
});

Deno.test("a CRLF line whose content is exactly the limit is kept, in one chunk or split", () => {
  const content = "y".repeat(64);
  for (
    const chunks of [
      [`${content}\r\nnext\n`],
      [`${content}\r`, "\nnext\n"],
      [content.slice(0, 10), `${content.slice(10)}\r`, "\nnext\n"],
    ]
  ) {
    const r = frameAll(chunks, 64);
    assert.deepEqual(r.lines, [content, "next"], JSON.stringify(chunks));
    assert.equal(r.oversize.length, 0);
  }
  // One byte more is still too long, with its size counted without the CR.
  const r = frameAll([`${content}z\r`, "\nnext\n"], 64);
  assert.deepEqual(r.lines, ["next"]);
  assert.deepEqual(r.oversize.map((o) => o.bytes), [65]);
});
