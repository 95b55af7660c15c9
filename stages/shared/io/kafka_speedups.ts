/**
 * Faster replacements for hot spots of kafkajs 2.2.4's producer and
 * consumer, which together cost about half of a stage's Kafka CPU:
 *
 * - varints: kafkajs writes each record's varints by building a JS array
 *   and copying it into a fresh Buffer (`Buffer.from(array)`), and computes
 *   every varlong (the timestamp delta, once to size and once to write each
 *   record) with 64-bit `Long` objects. The replacements write the same
 *   bytes in place; values outside ±2^30 (record batches never produce
 *   them: deltas within one batch) go to kafkajs' own code.
 * - buffer growth: each record gets its own encoder, which outgrows its
 *   512 bytes for most events; kafkajs grows it into a zero-filled buffer,
 *   the replacement into an unfilled one (every byte up to the encoder's
 *   offset is written before it is read; nothing past it is ever sent).
 * - CRC-32C of every record batch: kafkajs computes it a byte at a time;
 *   the replacement reads 8 bytes per step (slicing-by-8, same result).
 * - grouping a send's messages by partition: kafkajs copies a partition's
 *   whole list for every message added to it (quadratic in the messages per
 *   request); the replacement appends (same groups, same order).
 * - encoding a record: kafkajs gives each record a zero-filled 512-byte
 *   encoder that most events outgrow (a second buffer and a copy), then
 *   copies it out once more through a slice; the replacement sizes the
 *   record first and writes it into one buffer of exactly that size. Records
 *   with headers or 64-bit deltas go to kafkajs' own encoder.
 * - the default partitioner's murmur2: kafkajs hashes every key with BigInt
 *   arithmetic; the replacement does the same 32-bit arithmetic with
 *   `Math.imul` (same hash), reading an ASCII key without encoding it.
 * - copying a batch's records: kafkajs grows the batch buffer by doubling,
 *   a fresh buffer and a copy per step; the replacement sizes it once for
 *   all the records it is about to copy.
 * - decoding a record (consumer side): kafkajs computes every record's
 *   offset and timestamp with BigInt arithmetic on the batch's decimal
 *   strings and folds its (empty) headers with object spreads; the
 *   replacement adds numbers when the batch's base values are exact in a
 *   double, and hands anything else (headers, long varints, a truncated
 *   record) back to kafkajs' decoder from the record's start.
 *
 * Imported by `kafka.ts` before kafkajs itself: the CRC, grouping, murmur2
 * and record functions are taken by kafkajs' modules when they load, so they
 * are swapped in the CommonJS module cache first. A module whose user was
 * already loaded keeps kafkajs' version (the flags in {@link kafkaSpeedups}
 * say which were swapped); the Encoder prototype patches always apply. The
 * encodings are checked against kafkajs' own by
 * tests/kafka/speedups_test.ts. Skipped when kafkajs does
 * not look like the version this was written for, or when the environment
 * sets `SENTINEL_KAFKA_STOCK_CODEC=1` (to rule the patch out, or compare).
 *
 * @module
 */
import { createRequire } from "node:module";

// deno-lint-ignore no-explicit-any
type Loose = any;

/** kafkajs' own implementations, kept for tests and comparisons. */
export interface StockCodec {
  writeUVarInt: (this: Loose, v: number) => Loose;
  writeVarLong: (this: Loose, v: unknown) => Loose;
  ensureAvailable: (this: Loose, n: number) => void;
  sizeOfVarLong: (v: unknown) => number;
  crc32C: (b: Uint8Array) => number;
  groupMessagesPerPartition: (p: GroupArgs) => Record<number, unknown[]>;
  /** `recordBatch/record/v0/index.js`: a record's encoder. */
  record: (r: Loose) => Loose;
  /** `partitioners/default/murmur2.js`: the key hash. */
  murmur2: (key: unknown) => number;
  writeEncoderArray: (this: Loose, value: Loose[]) => Loose;
  /** `recordBatch/record/v0/decoder.js`: a record's decoder. */
  recordDecoder: (decoder: Loose, batchContext?: Loose) => Loose;
}

/** Arguments of kafkajs' `groupMessagesPerPartition`. */
export interface GroupArgs {
  topic: string;
  partitionMetadata: unknown[];
  messages: unknown[];
  partitioner: (
    a: { topic: string; partitionMetadata: unknown[]; message: unknown },
  ) => number;
}

/** Messages by partition, in their order; what kafkajs' own version returns. */
export function groupMessagesPerPartition(
  { topic, partitionMetadata, messages, partitioner }: GroupArgs,
): Record<number, unknown[]> {
  const result: Record<number, unknown[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (result[partition] ??= []).push(message);
  }
  return result;
}

/** What was applied, and kafkajs' originals. */
export interface KafkaSpeedups {
  varints: boolean;
  crc32C: boolean;
  grouping: boolean;
  /** Records encoded by {@link fastRecord}. */
  records: boolean;
  /** Records decoded by {@link fastRecordDecoder}. */
  recordDecoding: boolean;
  /** Keys hashed by {@link murmur2}. */
  murmur2: boolean;
  stock: StockCodec | null;
}

const GEN = 0x82f63b78; // CRC-32C (Castagnoli), reflected

/** 8 tables of 256 entries for slicing-by-8, in one array. */
function crcTables(): Int32Array {
  const t = new Int32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ GEN : c >>> 1;
    t[i] = c;
  }
  for (let i = 0; i < 256; i++) {
    let c = t[i];
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[k * 256 + i] = c;
    }
  }
  return t;
}

const T = crcTables();

/** CRC-32C of `buf` (unsigned), 8 bytes per step. */
export function crc32C(buf: Uint8Array): number {
  let crc = -1;
  let i = 0;
  const n = buf.length;
  const end8 = n - (n & 7);
  while (i < end8) {
    const a = crc ^
      (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24));
    const b = buf[i + 4] | (buf[i + 5] << 8) | (buf[i + 6] << 16) |
      (buf[i + 7] << 24);
    crc = T[1792 + (a & 0xff)] ^ T[1536 + ((a >>> 8) & 0xff)] ^
      T[1280 + ((a >>> 16) & 0xff)] ^ T[1024 + (a >>> 24)] ^
      T[768 + (b & 0xff)] ^ T[512 + ((b >>> 8) & 0xff)] ^
      T[256 + ((b >>> 16) & 0xff)] ^ T[b >>> 24];
    i += 8;
  }
  while (i < n) crc = T[(crc ^ buf[i++]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** Unsigned LEB128 of a uint32, written in place (an Encoder method). */
function writeUVarInt(this: Loose, value: number) {
  this.ensureAvailable(5);
  const buf = this.buf;
  let off = this.offset;
  while ((value & 0xffffff80) !== 0) {
    buf[off++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[off++] = value & 0x7f;
  this.offset = off;
  return this;
}

const M = 0x5bd1e995;

/**
 * Kafka's murmur2 of a partition key (kafkajs' default partitioner, Java's
 * `Utils.murmur2`): the hash of the key's UTF-8 bytes, as a signed int32.
 */
export function murmur2(key: unknown): number {
  if (Buffer.isBuffer(key)) return murmur2Bytes(key, key.length);
  const str = String(key);
  const n = str.length;
  if (scratch.length < n) {
    scratch = new Uint8Array(Math.max(n, 2 * scratch.length));
  }
  for (let i = 0; i < n; i++) {
    const c = str.charCodeAt(i);
    if (c > 0x7f) {
      const utf8 = Buffer.from(str);
      return murmur2Bytes(utf8, utf8.length);
    }
    scratch[i] = c;
  }
  return murmur2Bytes(scratch, n);
}

/** An ASCII key's bytes, without encoding it. */
let scratch = new Uint8Array(256);

function murmur2Bytes(data: Uint8Array, length: number): number {
  let h = 0x9747b28c ^ length;
  const end4 = length & ~3;
  for (let i = 0; i < end4; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) |
      (data[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  switch (length & 3) {
    case 3:
      h ^= data[end4 + 2] << 16;
    // falls through
    case 2:
      h ^= data[end4 + 1] << 8;
    // falls through
    case 1:
      h ^= data[end4];
      h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Bytes of the unsigned LEB128 of a uint32. */
function uvarintSize(v: number): number {
  let n = 1;
  while ((v & 0xffffff80) !== 0) {
    n++;
    v >>>= 7;
  }
  return n;
}

/** Zig-zag of a 32-bit signed integer, as a uint32. */
const zigzag = (v: number) => ((v << 1) ^ (v >> 31)) >>> 0;

/** Writes the unsigned LEB128 of `v` at `off`; returns the next offset. */
function putUVarInt(buf: Uint8Array, off: number, v: number): number {
  while ((v & 0xffffff80) !== 0) {
    buf[off++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[off++] = v;
  return off;
}

/** Byte length of a record key or value, -1 for none, null when not ours. */
function bytesOf(v: unknown): number | null {
  if (v == null) return -1;
  if (typeof v === "string") return Buffer.byteLength(v, "utf8");
  if (Buffer.isBuffer(v)) return v.length;
  return null; // numbers, objects: kafkajs stringifies them
}

/**
 * kafkajs' record encoder, writing the same bytes into one buffer of exactly
 * the record's size. The result is an Encoder whose `buffer` is that buffer
 * (no slice); kafkajs only ever copies it into the batch.
 */
function fastRecord(Encoder: Loose, stock: (r: Loose) => Loose) {
  class ExactRecord {
    buf: Buffer;
    offset: number;
    constructor(buf: Buffer) {
      this.buf = buf;
      this.offset = buf.length;
    }
    /** All of `buf`: a record is complete when made and never written to again. */
    get buffer(): Buffer {
      return this.buf;
    }
  }
  Object.setPrototypeOf(ExactRecord.prototype, Encoder.prototype);
  return function record(r: Loose): Loose {
    const offsetDelta = r.offsetDelta === undefined ? 0 : r.offsetDelta;
    const timestampDelta = r.timestampDelta === undefined
      ? 0
      : r.timestampDelta;
    const { key, value, headers } = r;
    if (
      (headers !== undefined &&
        (headers === null || typeof headers !== "object" ||
          Object.keys(headers).length > 0)) ||
      !small(offsetDelta) || !small(timestampDelta)
    ) {
      return stock(r);
    }
    const k = bytesOf(key);
    const v = bytesOf(value);
    if (k === null || v === null) return stock(r);
    const body = 1 + uvarintSize(zigzag(timestampDelta)) +
      uvarintSize(zigzag(offsetDelta)) + uvarintSize(zigzag(k)) +
      (k > 0 ? k : 0) + uvarintSize(zigzag(v)) + (v > 0 ? v : 0) +
      1; // no headers: varint 0
    const buf = Buffer.allocUnsafe(uvarintSize(zigzag(body)) + body);
    let o = putUVarInt(buf, 0, zigzag(body));
    buf[o++] = 0; // attributes
    o = putUVarInt(buf, o, zigzag(timestampDelta));
    o = putUVarInt(buf, o, zigzag(offsetDelta));
    o = putUVarInt(buf, o, zigzag(k));
    if (k > 0) {
      o += typeof key === "string"
        ? buf.write(key, o, k, "utf8")
        : (key as Buffer).copy(buf, o);
    }
    o = putUVarInt(buf, o, zigzag(v));
    if (v > 0) {
      o += typeof value === "string"
        ? buf.write(value, o, v, "utf8")
        : (value as Buffer).copy(buf, o);
    }
    buf[o] = 0; // header count
    // Never sends unwritten bytes, should an encoder disagree with byteLength.
    if (o + 1 !== buf.length) return stock(r);
    return new ExactRecord(buf);
  };
}

/** Reads a zig-zag varint of at most 4 bytes at `o` into `out`, or fails. */
function readSmallVarInt(buf: Uint8Array, o: number, out: number[]): number {
  let result = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (o >= buf.length) return -1;
    const b = buf[o++];
    result |= (b & 0x7f) << shift;
    if (b < 0x80) {
      out[0] = (result >>> 1) ^ -(result & 1);
      return o;
    }
  }
  return -1; // 5 bytes or more: kafkajs' own code
}

/** A decimal string's value when it is that double exactly, else null. */
function exactNumber(s: unknown): number | null {
  if (typeof s !== "string") return null;
  const n = Number(s);
  // Room for any 28-bit delta on top, and the same text back.
  return Math.abs(n) < 2 ** 52 && String(n) === s ? n : null;
}

const LOG_APPEND_TIME = 1;

/**
 * kafkajs' record decoder (same result object, same key order), with the
 * offset and timestamp added as numbers. Anything it does not handle goes
 * to kafkajs' decoder from the record's start.
 */
function fastRecordDecoder(stock: (d: Loose, c?: Loose) => Loose) {
  // Keyed on the base values themselves, not the context object: a context
  // changed in place (kafkajs makes a new one per batch) still gets its own.
  let lastOffset: unknown = null;
  let lastTimestamp: unknown = null;
  let baseOffset: number | null = null;
  let baseTimestamp: number | null = null;
  const v: number[] = [0];
  return function recordDecoder(decoder: Loose, batchContext: Loose = {}) {
    if (
      batchContext.firstOffset !== lastOffset ||
      batchContext.firstTimestamp !== lastTimestamp
    ) {
      lastOffset = batchContext.firstOffset;
      lastTimestamp = batchContext.firstTimestamp;
      baseOffset = exactNumber(lastOffset);
      baseTimestamp = exactNumber(lastTimestamp);
    }
    const {
      magicByte,
      isControlBatch = false,
      timestampType,
      maxTimestamp,
    } = batchContext;
    const buf: Buffer = decoder.buffer;
    const appendTime = timestampType === LOG_APPEND_TIME && maxTimestamp;
    if (baseOffset === null || (baseTimestamp === null && !appendTime)) {
      return stock(decoder, batchContext);
    }
    const start = decoder.offset;
    let o = start;
    if (o >= buf.length) return stock(decoder, batchContext);
    const attributes = (buf[o++] << 24) >> 24;
    if ((o = readSmallVarInt(buf, o, v)) < 0) {
      return stock(decoder, batchContext);
    }
    const timestamp = appendTime ? maxTimestamp : String(baseTimestamp! + v[0]);
    if ((o = readSmallVarInt(buf, o, v)) < 0) {
      return stock(decoder, batchContext);
    }
    const offset = String(baseOffset + v[0]);
    let key: Buffer | null = null;
    let value: Buffer | null = null;
    for (let field = 0; field < 2; field++) {
      if ((o = readSmallVarInt(buf, o, v)) < 0) {
        return stock(decoder, batchContext);
      }
      const len = v[0];
      if (len < -1 || o + len > buf.length) return stock(decoder, batchContext);
      const bytes = len === -1 ? null : buf.slice(o, o + len);
      if (len > 0) o += len;
      if (field === 0) key = bytes;
      else value = bytes;
    }
    // Headers: only none is ours.
    if (o >= buf.length || buf[o] !== 0) return stock(decoder, batchContext);
    decoder.offset = o + 1;
    return {
      magicByte,
      attributes,
      timestamp,
      offset,
      key,
      value,
      headers: {},
      isControlRecord: isControlBatch,
      batchContext,
    };
  };
}

const small = (v: unknown): v is number =>
  typeof v === "number" && Number.isInteger(v) && v >= -0x40000000 &&
  v < 0x40000000;

const KAFKAJS = "kafkajs/src/";

/**
 * kafkajs modules whose export is swapped: the file, and the module that
 * takes that export when it loads (after which a swap would be too late).
 */
const SWAPS = {
  crc: [
    "protocol/recordBatch/crc32C/crc32C.js",
    "protocol/recordBatch/crc32C/index.js",
  ],
  grouping: [
    "producer/groupMessagesPerPartition.js",
    "producer/sendMessages.js",
  ],
  record: [
    "protocol/recordBatch/record/v0/index.js",
    "protocol/requests/produce/v3/request.js",
  ],
  decoder: [
    "protocol/recordBatch/record/v0/decoder.js",
    "protocol/recordBatch/v0/decoder.js",
  ],
  murmur: [
    "producer/partitioners/default/murmur2.js",
    "producer/partitioners/default/index.js",
  ],
} as const;

/** A resolved {@link SWAPS} entry with kafkajs' own export. */
interface Swappable {
  path: string;
  userPath: string;
  stock: Loose;
}

function apply(): KafkaSpeedups {
  const none: KafkaSpeedups = {
    varints: false,
    crc32C: false,
    grouping: false,
    records: false,
    recordDecoding: false,
    murmur2: false,
    stock: null,
  };
  try {
    if (Deno.env.get("SENTINEL_KAFKA_STOCK_CODEC") === "1") return none;
  } catch {
    // no --allow-env: apply
  }
  let Encoder: Loose;
  let mods: Record<keyof typeof SWAPS, Swappable>;
  let require: NodeRequire;
  try {
    require = createRequire(import.meta.url);
    Encoder = require(`${KAFKAJS}protocol/encoder.js`);
    const entries = Object.entries(SWAPS).map(([name, [file, user]]) => {
      const path = require.resolve(KAFKAJS + file);
      const userPath = require.resolve(KAFKAJS + user);
      return [name, { path, userPath, stock: require(path) }];
    });
    mods = Object.fromEntries(entries);
  } catch {
    return none; // another kafkajs layout: leave it alone
  }
  const proto = Encoder?.prototype;
  if (
    typeof proto?.writeUVarInt !== "function" ||
    typeof proto.writeVarLong !== "function" ||
    typeof proto.ensureAvailable !== "function" ||
    typeof Encoder.sizeOfVarLong !== "function" ||
    typeof proto.writeEncoderArray !== "function" ||
    Object.values(mods).some((m) => typeof m.stock !== "function") ||
    mods.crc.stock(new Uint8Array([49])) !== crc32C(new Uint8Array([49])) ||
    mods.murmur.stock("sentinel") !== murmur2("sentinel")
  ) {
    return none;
  }
  const stock: StockCodec = {
    writeUVarInt: proto.writeUVarInt,
    writeVarLong: proto.writeVarLong,
    ensureAvailable: proto.ensureAvailable,
    sizeOfVarLong: Encoder.sizeOfVarLong,
    crc32C: mods.crc.stock,
    groupMessagesPerPartition: mods.grouping.stock,
    record: mods.record.stock,
    recordDecoder: mods.decoder.stock,
    murmur2: mods.murmur.stock,
    writeEncoderArray: proto.writeEncoderArray,
  };
  proto.writeUVarInt = writeUVarInt;
  proto.ensureAvailable = function (this: Loose, length: number) {
    if (this.offset + length > this.buf.length) {
      const grown = Buffer.allocUnsafe(
        Encoder.nextPowerOfTwo(this.offset + length),
      );
      this.buf.copy(grown, 0, 0, this.offset);
      this.buf = grown;
    }
  };
  proto.writeEncoderArray = function (this: Loose, value: Loose[]) {
    if (Array.isArray(value)) {
      let total = 0;
      for (const v of value) {
        if (v == null || !Buffer.isBuffer(v.buf)) break; // kafkajs throws
        total += v.offset;
      }
      this.ensureAvailable(total);
    }
    return stock.writeEncoderArray.call(this, value);
  };
  proto.writeVarLong = function (this: Loose, value: unknown) {
    if (!small(value)) return stock.writeVarLong.call(this, value);
    // The zig-zag of a 31-bit value fits an unsigned 32-bit varint, and
    // the 64-bit encoding of such a value is the same bytes.
    return writeUVarInt.call(this, ((value << 1) ^ (value >> 31)) >>> 0);
  };
  Encoder.sizeOfVarLong = function (value: unknown) {
    if (!small(value)) return stock.sizeOfVarLong.call(Encoder, value);
    let v = ((value << 1) ^ (value >> 31)) >>> 0;
    let bytes = 1;
    while ((v & 0xffffff80) !== 0) {
      bytes++;
      v >>>= 7;
    }
    return bytes;
  };
  // Too late when the user of a module already loaded (took the original).
  const swap = ({ path, userPath }: Swappable, fn: unknown) => {
    const cached = require.cache?.[path];
    if (cached === undefined || require.cache[userPath]) return false;
    cached.exports = fn;
    return true;
  };
  return {
    varints: true,
    crc32C: swap(mods.crc, crc32C),
    grouping: swap(mods.grouping, groupMessagesPerPartition),
    records: swap(mods.record, fastRecord(Encoder, mods.record.stock)),
    murmur2: swap(mods.murmur, murmur2),
    recordDecoding: swap(mods.decoder, fastRecordDecoder(mods.decoder.stock)),
    stock,
  };
}

/** Applied once, when this module is first imported. */
export const kafkaSpeedups: KafkaSpeedups = apply();
