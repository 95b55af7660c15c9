/**
 * The stdout/file sink: what reaches the file is exactly the UTF-8 of the
 * lines, whatever the file accepts per call, however long the text, and
 * when writes are issued without waiting for each other.
 */
import assert from "node:assert/strict";
import { StreamSink } from "../../stages/shared/io/stdio.ts";
import type { OutputRecord } from "../../stages/shared/io/types.ts";
import type { AnyRecord } from "../../stages/shared/records.ts";

/** A file that takes at most `max` bytes per write, asynchronously. */
function fakeFile(max = Infinity) {
  const parts: Uint8Array[] = [];
  let calls = 0;
  return {
    file: {
      async write(p: Uint8Array): Promise<number> {
        calls++;
        await Promise.resolve();
        const n = Math.min(max, p.length);
        parts.push(p.slice(0, n)); // a copy: the sink reuses its buffer
        return n;
      },
    },
    bytes(): Uint8Array {
      const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
      let off = 0;
      for (const p of parts) {
        out.set(p, off);
        off += p.length;
      }
      return out;
    },
    calls: () => calls,
  };
}

const lines = (texts: string[]): OutputRecord[] =>
  texts.map((line) => ({
    record: {} as AnyRecord,
    line,
    forwarded: true,
  }));

const utf8 = (s: string) => new TextEncoder().encode(s);

Deno.test("stream sink: batches arrive byte for byte, multi-byte text and short writes included", async () => {
  const f = fakeFile(7);
  const sink = new StreamSink("test", f.file, false);
  const batches = [
    ['{"a":"plain ascii"}', '{"user":"jürgen","msg":"Überweisung"}'],
    ['{"emoji":"🔥😀","cjk":"日本語"}'],
    // A lone surrogate (possible in a JS string) becomes U+FFFD, as
    // TextEncoder.encode would write it.
    ['{"lone":"\ud800x"}'],
    [],
    ['{"big":"' + "x".repeat(3 << 20) + '"}', '{"last":true}'],
  ];
  for (const b of batches) await sink.write(lines(b));
  const expected = batches.flat().map((l) => l + "\n").join("");
  assert.deepEqual(f.bytes(), utf8(expected));
});

Deno.test("stream sink: text longer than the encoding buffer goes out in pieces without splitting a character", async () => {
  const f = fakeFile();
  const sink = new StreamSink("test", f.file, false);
  // 1 + 4 × 5M bytes: past the 16 MiB cap, and the cap falls inside an
  // emoji (a surrogate pair in the string), which must not be split.
  const text = "a" + "😀".repeat(5_000_000) + "\n";
  await sink.writeText(text);
  assert.ok(f.calls() >= 2, `${f.calls()} write(s)`);
  assert.deepEqual(f.bytes(), utf8(text));
  // The buffer is reused afterwards: a short write still comes out right.
  await sink.writeText("é\n");
  assert.deepEqual(f.bytes().subarray(-3), utf8("é\n"));
});

Deno.test("stream sink: writes issued without waiting go out whole and in order", async () => {
  const f = fakeFile(5);
  const sink = new StreamSink("test", f.file, false);
  const texts = Array.from(
    { length: 20 },
    (_, i) => `{"n":${i},"pad":"${"ä".repeat(i * 37)}"}\n`,
  );
  const writes = texts.map((t) => sink.writeText(t));
  // flush() waits for every queued write.
  await sink.flush();
  assert.deepEqual(f.bytes(), utf8(texts.join("")));
  await Promise.all(writes);
});

Deno.test("stream sink: a closed pipe fails this write and every later one, with the reason", async () => {
  let n = 0;
  const sink = new StreamSink("stdout", {
    write(p: Uint8Array): Promise<number> {
      if (++n > 1) return Promise.reject(new Deno.errors.BrokenPipe("EPIPE"));
      return Promise.resolve(p.length);
    },
  }, false);
  await sink.writeText("ok\n");
  const first = sink.writeText("lost\n");
  const second = sink.writeText("also lost\n");
  await assert.rejects(first, /stdout: the reader closed the pipe/);
  await assert.rejects(second, /stdout: the reader closed the pipe/);
  assert.equal(sink.ready(), false);
});

Deno.test("stream sink: a closed pipe is reported as lost for good", async () => {
  const sink = new StreamSink("stdout", {
    write: () => Promise.reject(new Deno.errors.BrokenPipe("EPIPE")),
  }, false);
  const before = sink.lost;
  await assert.rejects(sink.writeText("x\n"));
  assert.equal(before, null);
  assert.match(String(sink.lost?.message), /the reader closed the pipe/);
});

Deno.test("stream sink: a file write that fails part-way (disk full) leaves no torn line, and the next write goes on once there is room", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stream_sink_full_" });
  const path = `${dir}/out.ndjson`;
  const f = await Deno.open(path, { write: true, create: true });
  try {
    // The real file behind a device that has `room` bytes left and takes
    // at most 8 bytes per call, then fails like a full disk.
    let room = Infinity;
    const full = {
      async write(p: Uint8Array): Promise<number> {
        if (room <= 0) throw new Error("No space left on device (os error 28)");
        const n = await f.write(p.subarray(0, Math.min(8, room, p.length)));
        room -= n;
        return n;
      },
      truncate: (len: number) => f.truncate(len),
      seek: (off: number, whence: Deno.SeekMode) => f.seek(off, whence),
    };
    const sink = new StreamSink(`file:${path}`, full, false, {
      file: full,
      size: 0,
    });
    await sink.write(lines(['{"n":1}']));
    room = 20; // part of the next batch fits
    await assert.rejects(
      sink.write(lines(['{"n":2,"pad":"xxxxxxxx"}', '{"n":3}'])),
      /No space left/,
    );
    assert.equal(
      await Deno.readTextFile(path),
      '{"n":1}\n',
      "the failed batch is cut back whole",
    );
    assert.equal(sink.ready(), true, "a full disk is not a lost pipe");
    assert.equal(sink.lost, null);
    room = Infinity; // space freed
    await sink.write(lines(['{"n":4}']));
    assert.equal(await Deno.readTextFile(path), '{"n":1}\n{"n":4}\n');
  } finally {
    f.close();
    await Deno.remove(dir, { recursive: true });
  }
});
