/**
 * A record batch that cannot be decoded no longer stops its partition.
 *
 * kafkajs decodes a fetch response's batches one after another and fails
 * the whole fetch when one of them cannot be decoded: a compressed payload
 * its codec refuses (damaged on the broker's disk, or written by a broken
 * producer), or records that run past their batch. The consumer then fetches
 * the same offset again, a few times a second, forever, and logs it only at
 * debug level: the partition stops without a word, and the batches fetched
 * with the bad one (before and after it) are never delivered either.
 *
 * Here kafkajs' batch decoder is wrapped. A batch that arrived whole (a
 * batch cut short at the end of a fetch response is normal and still goes
 * to kafkajs' own handling) but whose records cannot be decoded becomes one
 * stand-in record at the batch's last offset, carrying
 * {@link UNDECODABLE_BATCH}: the source turns it into one dead letter that
 * names the topic, partition, offset range, record count and the decoder's
 * error, and consuming moves past the batch. The records of the batch are
 * lost, since their bytes are; nothing else is.
 *
 * The wrapper replaces the export of `protocol/recordBatch/v0/decoder.js`
 * in the CommonJS module cache before `decodeMessages.js` (its only user)
 * loads, like the swaps in `kafka_speedups.ts` (which must run first: this
 * loads the batch decoder, which takes the record decoder that module
 * swaps). Skipped when kafkajs does not look like the version this was
 * written for.
 *
 * @module
 */
import { createRequire } from "node:module";
import { Buffer } from "node:buffer";

// deno-lint-ignore no-explicit-any
type Loose = any;

/** On the stand-in record of a batch that could not be decoded. */
export const UNDECODABLE_BATCH: unique symbol = Symbol(
  "sentinel.kafka.undecodableBatch",
);

/** What is known of a batch that could not be decoded. */
export interface UndecodableBatch {
  /** Offset of the batch's first record (decimal string, as kafkajs). */
  firstOffset: string;
  /** Offset of its last record: the stand-in record's own offset. */
  lastOffset: string;
  /** Records the batch header announces. */
  records: number;
  /** Size of the batch in bytes, header included. */
  bytes: number;
  /** The codec named by the batch attributes, or "none". */
  compression: string;
  /** The decoder's error. */
  error: string;
}

/** A record of a fetched batch as kafkajs hands it over (the fields read here). */
export interface FetchedRecord {
  offset: string;
  value: Buffer | null;
  [UNDECODABLE_BATCH]?: UndecodableBatch;
}

/** The batch header up to and including the record count (RecordBatch v2). */
const HEADER_BYTES = 61;
const CODECS = ["none", "gzip", "snappy", "lz4", "zstd"];
const CONTROL_FLAG = 0x20;

/**
 * Wraps kafkajs' batch decoder `stock(fetchDecoder)`. Exported for tests;
 * the stages get it through the module swap below.
 */
export function guardBatchDecoder(
  stock: (decoder: Loose) => Promise<Loose>,
): (decoder: Loose) => Promise<Loose> {
  return async function decodeBatchGuarded(decoder: Loose) {
    const start: number = decoder.offset;
    const buf: Buffer = decoder.buffer;
    try {
      return await stock(decoder);
    } catch (e) {
      if ((e as Error)?.name === "KafkaJSPartialMessageError") throw e;
      if (buf.length - start < HEADER_BYTES) throw e;
      const bytes = 12 + buf.readInt32BE(start + 8);
      // Not all of it arrived: kafkajs' handling of a cut batch applies.
      if (bytes < HEADER_BYTES || buf.length - start < bytes) throw e;
      decoder.offset = start + bytes;
      return standIn(buf, start, bytes, e);
    }
  };
}

/** The batch at `start` of `buf` as one stand-in record at its last offset. */
function standIn(buf: Buffer, start: number, bytes: number, e: unknown) {
  const first = buf.readBigInt64BE(start);
  const magicByte = buf.readInt8(start + 16);
  const attributes = buf.readInt16BE(start + 21);
  const lastOffsetDelta = buf.readInt32BE(start + 23);
  const maxTimestamp = buf.readBigInt64BE(start + 35).toString();
  const last = (first + BigInt(Math.max(0, lastOffsetDelta))).toString();
  const isControlBatch = (attributes & CONTROL_FLAG) !== 0;
  const batchContext = {
    firstOffset: first.toString(),
    firstTimestamp: buf.readBigInt64BE(start + 27).toString(),
    partitionLeaderEpoch: buf.readInt32BE(start + 12),
    inTransaction: (attributes & 0x10) !== 0,
    isControlBatch,
    lastOffsetDelta,
    producerId: buf.readBigInt64BE(start + 43).toString(),
    producerEpoch: buf.readInt16BE(start + 51),
    firstSequence: buf.readInt32BE(start + 53),
    maxTimestamp,
    timestampType: (attributes & 0x08) !== 0 ? 1 : 0,
  };
  const record = {
    magicByte,
    attributes: 0,
    timestamp: maxTimestamp,
    offset: last,
    key: null,
    value: null,
    headers: {},
    // A damaged control batch (transaction markers) is skipped as kafkajs
    // skips a whole one: it holds no data.
    isControlRecord: isControlBatch,
    batchContext,
    [UNDECODABLE_BATCH]: {
      firstOffset: first.toString(),
      lastOffset: last,
      records: buf.readInt32BE(start + 57),
      bytes,
      compression: CODECS[attributes & 0x07] ?? `codec ${attributes & 0x07}`,
      error: e instanceof Error ? e.message : String(e),
    } satisfies UndecodableBatch,
  };
  return { ...batchContext, records: [record] };
}

const KAFKAJS = "kafkajs/src/";
const DECODER = `${KAFKAJS}protocol/recordBatch/v0/decoder.js`;
const USER = `${KAFKAJS}protocol/requests/fetch/v4/decodeMessages.js`;

function apply(): boolean {
  try {
    const require = createRequire(import.meta.url);
    const path = require.resolve(DECODER);
    const userPath = require.resolve(USER);
    const stock = require(path);
    const cached = require.cache?.[path];
    if (
      typeof stock !== "function" || cached === undefined ||
      require.cache[userPath]
    ) {
      return false;
    }
    cached.exports = guardBatchDecoder(stock);
    return true;
  } catch {
    return false; // another kafkajs layout: leave it alone
  }
}

/** Whether the guard is in place (applied once, when first imported). */
export const batchGuardApplied: boolean = apply();
