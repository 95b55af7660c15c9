/**
 * The snappy and lz4 decoders the Kafka source registers with kafkajs
 * (kafka_codecs.ts), on hand-made input: the formats' corners (overlapping
 * matches, uncompressed and linked blocks, several frames, skippable frames,
 * xerial framing) decode exactly, and damaged input (every truncation, bad
 * offsets, random bytes, flipped bits) is refused with an error instead of
 * a hang, a crash or a silently shorter batch. The broker round trip is in
 * tests/kafka/compression_test.ts.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { CompressionCodecs, CompressionTypes } from "kafkajs";
import {
  CorruptBatch,
  lz4Decode,
  snappyBlock,
  snappyDecode,
  zstdDecode,
} from "../../stages/shared/io/kafka_codecs.ts";
import { constants, zstdCompressSync } from "node:zlib";
import { mulberry32 } from "../../stages/shared/random.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (...parts: (number[] | Uint8Array | string)[]) =>
  new Uint8Array(
    parts.flatMap((p) => typeof p === "string" ? [...enc.encode(p)] : [...p]),
  );
const le32 = (
  n: number,
) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24];
const be32 = (
  n: number,
) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

/** "hello hello hello hello!": literals "hello ", an overlapping 17-byte match at offset 6, then "!". */
const HELLO_BLOCK = bytes([0x6d], "hello ", [6, 0], [0x10], "!");
/** An LZ4 frame (magic, FLG v1 with independent blocks, BD 64 KB, HC) around `blocks`, with the end mark. */
function frame(...blocks: Uint8Array[]): Uint8Array {
  return bytes(
    le32(0x184d2204),
    [0x60, 0x40, 0x00],
    ...blocks.flatMap((b) => [le32(b.length), [...b]]),
    le32(0),
  );
}

Deno.test("lz4: an overlapping match, a stored block, two frames and a skippable frame decode exactly", () => {
  assert.equal(
    dec.decode(lz4Decode(frame(HELLO_BLOCK))),
    "hello hello hello hello!",
  );
  const stored = bytes(le32(0x80000000 | 3), "abc");
  const withStored = bytes(
    le32(0x184d2204),
    [0x60, 0x40, 0x00],
    stored,
    le32(0),
  );
  assert.equal(dec.decode(lz4Decode(withStored)), "abc");
  const skippable = bytes(le32(0x184d2a50), le32(2), [9, 9]);
  assert.equal(
    dec.decode(
      lz4Decode(
        bytes([...frame(HELLO_BLOCK)], [...skippable], [...withStored]),
      ),
    ),
    "hello hello hello hello!abc",
  );
  // A linked block's match reaches back into the block before it.
  const linked = bytes([0x04], [3, 0], [0x10], "!"); // 8 bytes from 3 back, then "!"
  assert.equal(
    dec.decode(lz4Decode(frame(bytes([0x30], "xyz"), linked))),
    "xyzxyzxyzxy!",
  );
});

Deno.test("lz4: every truncation of a frame, and a match before the start, are refused with CorruptBatch", () => {
  const whole = frame(HELLO_BLOCK, HELLO_BLOCK);
  for (let n = 1; n < whole.length; n++) {
    assert.throws(
      () => lz4Decode(whole.subarray(0, n)),
      CorruptBatch,
      `prefix ${n}`,
    );
  }
  assert.throws(
    () => lz4Decode(frame(bytes([0x14], "a", [9, 0]))),
    /match offset out of range/,
  );
  assert.throws(() => lz4Decode(bytes("not lz4 at all")), /not an LZ4 frame/);
  // A skippable frame claiming more bytes than the batch has.
  assert.throws(
    () => lz4Decode(bytes(frame(HELLO_BLOCK), le32(0x184d2a50), le32(99), [1])),
    /truncated skippable frame/,
  );
});

/** "abcabcabcabcX": literal "abc", a 9-byte overlapping copy at offset 3 (1-byte offset form), literal "X". */
const ABC_BLOCK = bytes([13], [0x08], "abc", [0x15, 3], [0x00], "X");
/** 100-byte literal (one length byte after the tag), then copies with 2- and 4-byte offsets. */
const DIGITS = "0123456789".repeat(10);
const LONG_BLOCK = bytes(
  [160, 1], // 160
  [0xf0, 99],
  DIGITS,
  [(20 - 1) << 2 | 2, 100, 0], // 20 bytes from 100 back
  [(40 - 1) << 2 | 3, 50, 0, 0, 0], // 40 bytes from 50 back
);

Deno.test("snappy: every element form decodes (raw blocks, as librdkafka writes them) and xerial framing (Java) joins its blocks", () => {
  assert.equal(dec.decode(snappyBlock(ABC_BLOCK)), "abcabcabcabcX");
  const long = DIGITS + DIGITS.slice(0, 20) +
    (DIGITS + DIGITS.slice(0, 20)).slice(70, 110);
  assert.equal(dec.decode(snappyBlock(LONG_BLOCK)), long);
  assert.deepEqual(snappyDecode(ABC_BLOCK), snappyBlock(ABC_BLOCK));
  const xerial = bytes(
    [0x82],
    "SNAPPY",
    [0],
    be32(1),
    be32(1),
    be32(ABC_BLOCK.length),
    ABC_BLOCK,
    be32(LONG_BLOCK.length),
    LONG_BLOCK,
  );
  assert.equal(dec.decode(snappyDecode(xerial)), "abcabcabcabcX" + long);
});

Deno.test("snappy: every truncation, a copy before the start, a short block and an impossible length are refused with CorruptBatch", () => {
  for (const block of [ABC_BLOCK, LONG_BLOCK]) {
    for (let n = 0; n < block.length; n++) {
      assert.throws(
        () => snappyBlock(block.subarray(0, n)),
        CorruptBatch,
        `prefix ${n}`,
      );
    }
  }
  assert.throws(
    () => snappyBlock(bytes([8], [0x08], "abc", [0x15, 9])),
    /copy offset out of range/,
  );
  assert.throws(
    () => snappyBlock(bytes([20], [0x08], "abc")),
    /decoded 3 of 20 bytes/,
  );
  // A 4-byte literal length whose top bit is set (snappyjs walked backwards on it).
  assert.throws(
    () => snappyBlock(bytes([5], [0xfc, 1, 0, 0, 0x80], "abcde")),
    CorruptBatch,
  );
  assert.throws(
    () => snappyBlock(bytes([0xff, 0xff, 0xff, 0x7f], [0x00], "a")),
    /cannot hold/,
  );
});

Deno.test("the registered codecs settle on random bytes and on flipped bits of valid input: an error or bytes, never a hang or a throw outside the promise", async () => {
  const next = mulberry32(9);
  const valid: Record<number, Uint8Array> = {
    [CompressionTypes.LZ4]: frame(HELLO_BLOCK, HELLO_BLOCK),
    [CompressionTypes.Snappy]: LONG_BLOCK,
    [CompressionTypes.ZSTD]: bytes(
      zstdCompressSync(enc.encode("hello ".repeat(50))),
      zstdCompressSync(enc.encode("world")),
    ),
  };
  const codecs = CompressionCodecs as Record<
    number,
    () => { decompress(b: Buffer): Promise<Buffer> }
  >;
  for (
    const type of [
      CompressionTypes.LZ4,
      CompressionTypes.Snappy,
      CompressionTypes.ZSTD,
    ]
  ) {
    const codec = codecs[type]();
    let refused = 0;
    for (let i = 0; i < 2_000; i++) {
      let input: Uint8Array;
      if (i % 2 === 0 && valid[type]) {
        input = valid[type].slice();
        input[next() % input.length] ^= 1 << (next() % 8);
      } else {
        input = new Uint8Array(next() % 64).map(() => next() & 255);
      }
      await codec.decompress(Buffer.from(input)).catch(() => refused++);
    }
    assert.ok(
      refused > 500,
      `${type}: most damaged input refused (${refused})`,
    );
  }
});

Deno.test("zstd: every frame of a payload is decoded, skippable frames skipped; a damaged or cut later frame is refused, not dropped", () => {
  const a = enc.encode("hello ".repeat(1000));
  const b = enc.encode("world");
  const za = zstdCompressSync(a);
  const zb = zstdCompressSync(b);
  const skippable = bytes(le32(0x184d2a53), le32(3), [1, 2, 3]);
  // The runtime's own decoder gives "hello …" alone for the first two.
  assert.equal(dec.decode(zstdDecode(bytes(za, zb))), dec.decode(a) + "world");
  assert.equal(
    dec.decode(zstdDecode(bytes(skippable, za, skippable, zb))),
    dec.decode(a) + "world",
  );
  assert.equal(dec.decode(zstdDecode(za)), dec.decode(a));
  // A frame as streaming compressors write it: no content size, a window
  // byte, a raw and an RLE block; then one with a content checksum, whose
  // 4 bytes the walker must step over to find the frame after it.
  const streamed = bytes(
    [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58], // FHD 0, window descriptor
    [0x18, 0x00, 0x00],
    "abc", // raw block of 3
    [0x13, 0x00, 0x00],
    "z", // last block: RLE, 2 × "z"
  );
  assert.equal(dec.decode(zstdDecode(bytes(streamed, zb))), "abczzworld");
  const checked = zstdCompressSync(b, {
    params: { [constants.ZSTD_c_checksumFlag]: 1 },
  });
  assert.ok(checked[4] & 4, "the frame carries a checksum");
  assert.equal(
    dec.decode(zstdDecode(bytes(checked, za))),
    "world" + dec.decode(a),
  );
  for (const cut of [1, 3, 4, zb.length - 1]) {
    assert.throws(
      () => zstdDecode(bytes(za, zb.subarray(0, cut))),
      /truncated|zstd/,
      `second frame cut to ${cut} bytes`,
    );
  }
  assert.throws(() => zstdDecode(bytes(za, [1, 2, 3, 4, 5])), /no frame/);
  assert.throws(() => zstdDecode(new Uint8Array(0)), /no frame/);
});

Deno.test("zstd: a batch of more than 64 frames is refused at once (each frame is a call into the decoder: 100k empty frames took 1.6 s)", () => {
  const empty = zstdCompressSync(new Uint8Array(0));
  const many = new Uint8Array(empty.length * 100_000);
  for (let i = 0; i < 100_000; i++) many.set(empty, i * empty.length);
  assert.throws(() => zstdDecode(many), /more than 64 frames/);
  const sixtyFour = many.subarray(0, empty.length * 64);
  assert.equal(zstdDecode(sixtyFour).length, 0);
});
