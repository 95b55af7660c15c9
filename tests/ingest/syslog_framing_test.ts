import assert from "node:assert/strict";
import {
  syslogDatagramMessage,
  SyslogFrameDecoder,
} from "../../stages/ingest/syslog_framing.ts";

const enc = (s: string) => new TextEncoder().encode(s);

function decodeAll(chunks: string[], max?: number) {
  const d = new SyslogFrameDecoder(max);
  const messages: string[] = [];
  const rejects: string[] = [];
  for (const c of chunks) {
    const r = d.push(enc(c));
    messages.push(...r.messages);
    rejects.push(...r.rejects.map((x) => x.reason));
  }
  const r = d.end();
  messages.push(...r.messages);
  rejects.push(...r.rejects.map((x) => x.reason));
  return { messages, rejects };
}

Deno.test("LF framing: lines, CRLF, a final line without LF", () => {
  const { messages } = decodeAll(["<13>one\r\n<13>two\n<13>thr", "ee"]);
  assert.deepEqual(messages, ["<13>one", "<13>two", "<13>three"]);
});

Deno.test("octet counting: frames split anywhere across chunks, with embedded LF", () => {
  const a = "<13>multi\nline";
  const b = "<14>second";
  const stream = `${enc(a).length} ${a}${enc(b).length} ${b}`;
  for (let cut = 1; cut < stream.length; cut++) {
    const { messages, rejects } = decodeAll([
      stream.slice(0, cut),
      stream.slice(cut),
    ]);
    assert.deepEqual(messages, [a, b], `cut at ${cut}`);
    assert.deepEqual(rejects, []);
  }
});

Deno.test("octet counting counts bytes, not characters", () => {
  const msg = "<13>user=josé 🔐";
  const { messages } = decodeAll([`${enc(msg).length} ${msg}`]);
  assert.deepEqual(messages, [msg]);
});

Deno.test("both framings mixed on one connection", () => {
  const { messages } = decodeAll(["<13>lf one\n9 <13>octet<13>lf two\n"]);
  assert.deepEqual(messages, ["<13>lf one", "<13>octet", "<13>lf two"]);
});

Deno.test("oversize frames are rejected and skipped, the stream continues", () => {
  const big = "x".repeat(100);
  const octet = decodeAll([`100 ${big}5 <13>a`], 64);
  assert.deepEqual(octet.messages, ["<13>a"]);
  assert.match(octet.rejects[0], /100 bytes exceeds the limit of 64/);
  const line = decodeAll([`<13>${big}`, `${big}\n<13>b\n`], 64);
  assert.deepEqual(line.messages, ["<13>b"]);
  assert.equal(line.rejects.length, 1);
});

Deno.test("a connection closed inside an octet-counted frame is a reject, not a message", () => {
  const r = decodeAll(["50 <13>short"]);
  assert.deepEqual(r.messages, []);
  assert.match(r.rejects[0], /inside an octet-counted/);
});

Deno.test("a datagram is one message without trailing LF/NUL", () => {
  assert.equal(syslogDatagramMessage(enc("<13>hello\n\0")), "<13>hello");
});
