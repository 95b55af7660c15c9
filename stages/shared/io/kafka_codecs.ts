/**
 * Kafka's compression codecs for kafkajs, which ships only gzip. A topic
 * written by a producer that compresses with snappy, lz4 or zstd (the
 * defaults of many: librdkafka-based shippers, Kafka Connect, a topic or
 * broker with `compression.type` set) otherwise crashed the consumer on its
 * first fetch, and it restarted and crashed again four times a second,
 * forever, reading nothing.
 *
 * - snappy: the raw snappy format (librdkafka), or the xerial framing Java
 *   producers and the broker write (a 16-byte header, then length-prefixed
 *   raw blocks); decoded here, bounds-checked.
 * - lz4: the LZ4 frame format (Kafka record batches, magic v2), decoded
 *   here: bounds-checked, linked or independent blocks, checksums skipped
 *   (the batch has its own CRC).
 * - zstd: node:zlib (built into the runtime), frame by frame (it reads only
 *   a payload's first frame), output capped like the others.
 *
 * Producing: gzip (kafkajs) and zstd; snappy and lz4 are read only.
 * Imported for its effect by `kafka.ts`.
 */
import { Buffer } from "node:buffer";
import { zstdCompressSync, zstdDecompressSync } from "node:zlib";
import { CompressionCodecs, CompressionTypes } from "kafkajs";
import { concatBytes } from "../bytes.ts";

/** A decoded or encoded batch, as a Buffer over the same memory. */
function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Thrown for a compressed batch that does not decode. */
export class CorruptBatch extends Error {}

/** Largest batch decoded (a corrupt length must not allocate without bound). */
const MAX_DECODED = 256 * 1024 * 1024;

// ---- snappy ---------------------------------------------------------------

const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00];

function isXerial(b: Uint8Array): boolean {
  if (b.length < 16) return false;
  for (let i = 0; i < XERIAL_MAGIC.length; i++) {
    if (b[i] !== XERIAL_MAGIC[i]) return false;
  }
  return true;
}

/**
 * Decodes one raw snappy block, every read and write bounds-checked (the
 * npm `snappyjs` decoder loops for minutes on some damaged input: a
 * 4-byte literal length goes negative and walks its position backwards).
 * The declared length is held to what the block can produce before it is
 * allocated: an element of 2 bytes writes at most 11 and one of 3 at most
 * 64, so no block expands more than 22-fold.
 */
export function snappyBlock(src: Uint8Array): Uint8Array {
  const bad = (why: string) => new CorruptBatch(`snappy: ${why}`);
  let s = 0;
  let length = 0;
  for (let shift = 0;; shift += 7) {
    if (s >= src.length || shift > 28) throw bad("bad length header");
    const b = src[s++];
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  if (length > Math.min(MAX_DECODED, src.length * 22 + 64)) {
    throw bad(`a block of ${src.length} bytes cannot hold ${length}`);
  }
  const out = new Uint8Array(length);
  let d = 0;
  while (s < src.length) {
    const tag = src[s++];
    const type = tag & 3;
    if (type === 0) {
      let len = (tag >>> 2) + 1;
      if (len > 60) {
        const extra = len - 60;
        if (s + extra > src.length) throw bad("truncated literal length");
        len = 0;
        for (let i = 0; i < extra; i++) len += src[s + i] * 2 ** (8 * i);
        len += 1;
        s += extra;
      }
      if (s + len > src.length) throw bad("literal runs past the block");
      if (d + len > length) throw bad("literal runs past the length");
      out.set(src.subarray(s, s + len), d);
      s += len;
      d += len;
      continue;
    }
    let len: number, offset: number;
    if (type === 1) {
      if (s >= src.length) throw bad("truncated copy");
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | src[s++];
    } else if (type === 2) {
      if (s + 2 > src.length) throw bad("truncated copy");
      len = (tag >>> 2) + 1;
      offset = src[s] | (src[s + 1] << 8);
      s += 2;
    } else {
      if (s + 4 > src.length) throw bad("truncated copy");
      len = (tag >>> 2) + 1;
      offset = src[s] + src[s + 1] * 2 ** 8 + src[s + 2] * 2 ** 16 +
        src[s + 3] * 2 ** 24;
      s += 4;
    }
    if (offset === 0 || offset > d) throw bad("copy offset out of range");
    if (d + len > length) throw bad("copy runs past the length");
    const m = d - offset;
    if (offset >= len) out.copyWithin(d, m, m + len);
    else for (let i = 0; i < len; i++) out[d + i] = out[m + i]; // overlapping
    d += len;
  }
  if (d !== length) throw bad(`decoded ${d} of ${length} bytes`);
  return out;
}

/** Decodes raw snappy (librdkafka) or xerial-framed snappy (Java's SnappyOutputStream). */
export function snappyDecode(b: Uint8Array): Uint8Array {
  if (!isXerial(b)) return snappyBlock(b);
  const parts: Uint8Array[] = [];
  let total = 0;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let p = 16; p < b.length;) {
    if (p + 4 > b.length) throw new CorruptBatch("snappy: truncated block");
    const n = view.getUint32(p);
    p += 4;
    if (p + n > b.length) throw new CorruptBatch("snappy: truncated block");
    const part = snappyBlock(b.subarray(p, p + n));
    parts.push(part);
    total += part.length;
    if (total > MAX_DECODED) {
      throw new CorruptBatch(
        `snappy: decodes to more than ${MAX_DECODED} bytes`,
      );
    }
    p += n;
  }
  return concatBytes(parts);
}

// ---- lz4 ------------------------------------------------------------------

const LZ4_MAGIC = 0x184d2204;

function lz4Error(why: string): CorruptBatch {
  return new CorruptBatch(`lz4: ${why}`);
}

/** A growable output buffer; matches may reach back into earlier blocks. */
class Output {
  bytes: Uint8Array;
  n = 0;
  constructor(hint: number) {
    this.bytes = new Uint8Array(Math.max(1024, hint));
  }
  room(extra: number): void {
    const need = this.n + extra;
    if (need <= this.bytes.length) return;
    if (need > MAX_DECODED) {
      throw new CorruptBatch(`lz4: decodes to more than ${MAX_DECODED} bytes`);
    }
    let size = this.bytes.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(Math.min(size, MAX_DECODED));
    next.set(this.bytes.subarray(0, this.n));
    this.bytes = next;
  }
}

/** Decodes one LZ4 block (`src[from, to)`) onto `out`. */
function lz4Block(src: Uint8Array, from: number, to: number, out: Output) {
  let s = from;
  while (s < to) {
    const token = src[s++];
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (s >= to) throw lz4Error("truncated literal length");
        b = src[s++];
        lit += b;
      } while (b === 255);
    }
    if (s + lit > to) throw lz4Error("literals run past the block");
    out.room(lit);
    out.bytes.set(src.subarray(s, s + lit), out.n);
    out.n += lit;
    s += lit;
    if (s === to) return; // the last sequence has literals only
    if (s + 2 > to) throw lz4Error("truncated match offset");
    const offset = src[s] | (src[s + 1] << 8);
    s += 2;
    if (offset === 0 || offset > out.n) {
      throw lz4Error("match offset out of range");
    }
    let len = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (s >= to) throw lz4Error("truncated match length");
        b = src[s++];
        len += b;
      } while (b === 255);
    }
    out.room(len);
    const o = out.bytes;
    let d = out.n;
    const m = d - offset;
    if (offset >= len) o.copyWithin(d, m, m + len);
    else for (let i = 0; i < len; i++) o[d + i] = o[m + i]; // overlapping
    d += len;
    out.n = d;
  }
}

/** Decodes LZ4 frames (one or more, skippable frames skipped). */
export function lz4Decode(src: Uint8Array): Uint8Array {
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const out = new Output(src.length * 4);
  let p = 0;
  while (p < src.length) {
    if (p + 4 > src.length) throw lz4Error("truncated frame");
    const magic = view.getUint32(p, true);
    if ((magic & 0xfffffff0) === 0x184d2a50) { // skippable frame
      if (p + 8 > src.length) throw lz4Error("truncated skippable frame");
      p += 8 + view.getUint32(p + 4, true);
      if (p > src.length) throw lz4Error("truncated skippable frame");
      continue;
    }
    if (magic !== LZ4_MAGIC) throw lz4Error("not an LZ4 frame");
    if (p + 7 > src.length) throw lz4Error("truncated frame header");
    const flg = src[p + 4];
    if ((flg >>> 6) !== 1) throw lz4Error("unknown frame version");
    const blockChecksum = (flg & 0x10) !== 0;
    const contentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const dictId = (flg & 0x01) !== 0;
    p += 6 + (contentSize ? 8 : 0) + (dictId ? 4 : 0) + 1; // ... + HC
    for (;;) {
      if (p + 4 > src.length) throw lz4Error("truncated block size");
      const word = view.getUint32(p, true);
      p += 4;
      if (word === 0) break; // end mark
      const size = word & 0x7fffffff;
      if (p + size > src.length) throw lz4Error("block runs past the batch");
      if (word & 0x80000000) { // stored uncompressed
        out.room(size);
        out.bytes.set(src.subarray(p, p + size), out.n);
        out.n += size;
      } else {
        lz4Block(src, p, p + size, out);
      }
      p += size + (blockChecksum ? 4 : 0);
    }
    p += contentChecksum ? 4 : 0;
  }
  return out.bytes.subarray(0, out.n);
}

// ---- registration -----------------------------------------------------------

/** Wraps a synchronous decoder as kafkajs wants it; corrupt input rejects. */
function codec(
  name: string,
  decode: (b: Uint8Array) => Uint8Array,
  encode?: (b: Uint8Array) => Uint8Array,
) {
  return () => ({
    compress(encoder: { buffer: Buffer }): Promise<Buffer> {
      if (!encode) {
        return Promise.reject(new Error(`${name}: producing is not supported`));
      }
      return Promise.resolve(asBuffer(encode(encoder.buffer)));
    },
    decompress(buffer: Buffer): Promise<Buffer> {
      try {
        return Promise.resolve(asBuffer(decode(buffer)));
      } catch (e) {
        return Promise.reject(
          e instanceof CorruptBatch ? e : new CorruptBatch(
            `${name}: ${(e as Error).message}`,
          ),
        );
      }
    },
  });
}

const codecs = CompressionCodecs as Record<number, () => unknown>;
codecs[CompressionTypes.Snappy] = codec("snappy", snappyDecode);
codecs[CompressionTypes.LZ4] = codec("lz4", lz4Decode);
codecs[CompressionTypes.ZSTD] = codec(
  "zstd",
  zstdDecode,
  (b) => zstdCompressSync(b),
);

const ZSTD_MAGIC = 0xfd2fb528;
/** Frames (skippable ones included) one batch may hold. */
const MAX_ZSTD_FRAMES = 64;

/**
 * Decodes a zstd payload frame by frame. Java (zstd-jni) and librdkafka
 * write one frame per batch, but the format allows several (and skippable
 * frames between them), and the runtime's decoder reads only the first and
 * ignores the rest, even a damaged rest: a batch of two frames came back
 * half, with no error. Each frame's extent is read from its header and
 * block headers; each is decoded alone, and the output is capped like the
 * other codecs'.
 */
export function zstdDecode(src: Uint8Array): Uint8Array {
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const parts: Uint8Array[] = [];
  let decoded = 0;
  for (let at = 0, frames = 0; at < src.length; frames++) {
    // One frame per batch is what producers write; each costs a call into
    // the decoder, so a batch of many tiny frames is refused, not decoded
    // for seconds while the consumer's session runs out.
    if (frames === MAX_ZSTD_FRAMES) {
      throw new CorruptBatch(`zstd: more than ${MAX_ZSTD_FRAMES} frames`);
    }
    const end = zstdFrameEnd(src, view, at);
    if ((view.getUint32(at, true) & 0xfffffff0) === 0x184d2a50) {
      at = end; // skippable frame
      continue;
    }
    if (decoded >= MAX_DECODED) {
      throw new CorruptBatch(`zstd: decodes to more than ${MAX_DECODED} bytes`);
    }
    const out = zstdDecompressSync(src.subarray(at, end), {
      maxOutputLength: MAX_DECODED - decoded,
    });
    decoded += out.length;
    parts.push(out);
    at = end;
  }
  if (parts.length === 0) throw new CorruptBatch("zstd: no frame");
  return parts.length === 1 ? parts[0] : concatBytes(parts);
}

/** Where the zstd (or skippable) frame starting at `at` ends. */
function zstdFrameEnd(src: Uint8Array, view: DataView, at: number): number {
  const need = (n: number) => {
    if (at + n > src.length) throw new CorruptBatch("zstd: truncated frame");
  };
  need(4);
  const magic = view.getUint32(at, true);
  if ((magic & 0xfffffff0) === 0x184d2a50) {
    need(8);
    const end = at + 8 + view.getUint32(at + 4, true);
    if (end > src.length) throw new CorruptBatch("zstd: truncated frame");
    return end;
  }
  if (magic !== ZSTD_MAGIC) {
    throw new CorruptBatch(
      `zstd: no frame at byte ${at} (magic ${magic.toString(16)})`,
    );
  }
  need(5);
  const fhd = src[at + 4];
  const single = (fhd >> 5) & 1;
  const fcsBytes = [single, 2, 4, 8][fhd >> 6];
  const header = 1 + (single ? 0 : 1) + [0, 1, 2, 4][fhd & 3] + fcsBytes;
  let p = at + 4 + header;
  for (;;) {
    if (p + 3 > src.length) throw new CorruptBatch("zstd: truncated frame");
    const bh = src[p] | (src[p + 1] << 8) | (src[p + 2] << 16);
    const type = (bh >> 1) & 3;
    if (type === 3) throw new CorruptBatch("zstd: reserved block type");
    p += 3 + (type === 1 ? 1 : bh >>> 3);
    if (bh & 1) break;
  }
  if (fhd & 4) p += 4; // content checksum
  if (p > src.length) throw new CorruptBatch("zstd: truncated frame");
  return p;
}
