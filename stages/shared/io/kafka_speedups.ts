/**
 * Faster replacements for two hot spots of kafkajs 2.2.4's producer, which
 * together cost about half of a producing stage's Kafka CPU:
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
 *
 * Imported by `kafka.ts` before kafkajs itself: the CRC and grouping
 * functions are taken by kafkajs' modules when they load, so they are
 * swapped in the CommonJS module cache first (when kafkajs was already
 * loaded by someone else, only the encoder part applies). The encodings are checked against
 * kafkajs' own by tests/kafka/speedups_test.ts. Skipped when kafkajs does
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

const small = (v: unknown): v is number =>
  typeof v === "number" && Number.isInteger(v) && v >= -0x40000000 &&
  v < 0x40000000;

function apply(): KafkaSpeedups {
  const none: KafkaSpeedups = {
    varints: false,
    crc32C: false,
    grouping: false,
    stock: null,
  };
  try {
    if (Deno.env.get("SENTINEL_KAFKA_STOCK_CODEC") === "1") return none;
  } catch {
    // no --allow-env: apply
  }
  let Encoder: Loose;
  let crcPath: string;
  let crcUserPath: string;
  let stockCrc: Loose;
  let groupPath: string;
  let groupUserPath: string;
  let stockGroup: Loose;
  let require: NodeRequire;
  try {
    require = createRequire(import.meta.url);
    Encoder = require("kafkajs/src/protocol/encoder.js");
    crcPath = require.resolve(
      "kafkajs/src/protocol/recordBatch/crc32C/crc32C.js",
    );
    crcUserPath = require.resolve(
      "kafkajs/src/protocol/recordBatch/crc32C/index.js",
    );
    stockCrc = require(crcPath);
    groupPath = require.resolve(
      "kafkajs/src/producer/groupMessagesPerPartition.js",
    );
    groupUserPath = require.resolve("kafkajs/src/producer/sendMessages.js");
    stockGroup = require(groupPath);
  } catch {
    return none; // another kafkajs layout: leave it alone
  }
  const proto = Encoder?.prototype;
  if (
    typeof proto?.writeUVarInt !== "function" ||
    typeof proto.writeVarLong !== "function" ||
    typeof proto.ensureAvailable !== "function" ||
    typeof Encoder.sizeOfVarLong !== "function" ||
    typeof stockCrc !== "function" || stockCrc(new Uint8Array([49])) !==
      crc32C(new Uint8Array([49])) ||
    typeof stockGroup !== "function"
  ) {
    return none;
  }
  const stock: StockCodec = {
    writeUVarInt: proto.writeUVarInt,
    writeVarLong: proto.writeVarLong,
    ensureAvailable: proto.ensureAvailable,
    sizeOfVarLong: Encoder.sizeOfVarLong,
    crc32C: stockCrc,
    groupMessagesPerPartition: stockGroup,
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
  const swap = (path: string, userPath: string, fn: unknown) => {
    const cached = require.cache?.[path];
    if (cached === undefined || require.cache[userPath]) return false;
    cached.exports = fn;
    return true;
  };
  return {
    varints: true,
    crc32C: swap(crcPath, crcUserPath, crc32C),
    grouping: swap(groupPath, groupUserPath, groupMessagesPerPartition),
    stock,
  };
}

/** Applied once, when this module is first imported. */
export const kafkaSpeedups: KafkaSpeedups = apply();
