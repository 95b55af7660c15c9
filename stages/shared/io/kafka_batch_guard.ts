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
 * The last offset comes from the batch header only when the batch's CRC
 * holds; otherwise from the batch after it in the same response. With
 * neither (damaged bytes in the log's newest batch) the partition waits,
 * with a warning through {@link onUndecodableTail}, until a batch written
 * after it bounds it: the batches before it in the response are delivered,
 * and a fetch that starts with it fails as before (kafkajs retries with
 * back-off; other partitions fetched from the same broker wait with it).
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
import { crc32C } from "./kafka_speedups.ts";

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
/** The key of an ABORT control record (version 0, type 0). */
const ABORT_MARKER_KEY = [0, 0, 0, 0];

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
      const last = lastOffset(buf, start, bytes);
      if (last === null) {
        // Where the batch ends cannot be told: fetching it again is all that
        // is safe, until a batch written after it shows. The batches before
        // it in this response are still delivered (decoding stops here as
        // at a cut batch); when it comes first, the fetch fails as kafkajs
        // let it, and kafkajs retries with back-off.
        const first = buf.readBigInt64BE(start).toString();
        for (const l of tailListeners) l(first, errText(e));
        if (start === 0) throw e;
        throw Object.assign(new Error(`stopped before ${first}`), {
          name: "KafkaJSPartialMessageError",
        });
      }
      decoder.offset = start + bytes;
      return standIn(buf, start, bytes, last, e);
    }
  };
}

const tailListeners = new Set<(firstOffset: string, error: string) => void>();

/**
 * Calls `listener` whenever a damaged batch cannot be skipped yet (its
 * header fails the CRC and no batch follows it in the response); returns
 * the function that removes it. For the source's warning: kafkajs itself
 * logs the failed fetch only at debug level.
 */
export function onUndecodableTail(
  listener: (firstOffset: string, error: string) => void,
): () => void {
  tailListeners.add(listener);
  return () => tailListeners.delete(listener);
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The last offset of the damaged batch at `start`. The header's
 * lastOffsetDelta is trusted only when the batch's CRC-32C (which covers
 * everything from the attributes on) holds; a damaged header could put the
 * stand-in, and so the group's committed offset, far past the log's end.
 * Otherwise the next batch of the response bounds it. Null when neither
 * can tell.
 */
function lastOffset(buf: Buffer, start: number, bytes: number): bigint | null {
  const first = buf.readBigInt64BE(start);
  const next = start + bytes;
  const nextFirst = buf.length - next >= 8 ? buf.readBigInt64BE(next) : null;
  const bound = nextFirst !== null && nextFirst > first ? nextFirst - 1n : null;
  const delta = buf.readInt32BE(start + 23);
  const crcHolds = crc32C(buf.subarray(start + 21, start + bytes)) ===
    buf.readInt32BE(start + 17) >>> 0;
  if (crcHolds && delta >= 0) {
    const last = first + BigInt(delta);
    return bound !== null && bound < last ? bound : last;
  }
  return bound;
}

/** The batch at `start` of `buf` as one stand-in record at offset `last`. */
function standIn(
  buf: Buffer,
  start: number,
  bytes: number,
  lastOffset: bigint,
  e: unknown,
) {
  const first = buf.readBigInt64BE(start);
  const magicByte = buf.readInt8(start + 16);
  const attributes = buf.readInt16BE(start + 21);
  const lastOffsetDelta = Number(lastOffset - first);
  const maxTimestamp = buf.readBigInt64BE(start + 35).toString();
  const last = lastOffset.toString();
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
    // A damaged control batch (a transaction marker) is skipped as kafkajs
    // skips a whole one: it holds no data. Its stand-in reads as an ABORT
    // marker, which ends an aborted transaction of its producer (were it a
    // COMMIT, that producer has none open: no change). Without it, the
    // producer's next, committed transaction would be dropped as aborted.
    key: isControlBatch ? Buffer.from(ABORT_MARKER_KEY) : null,
    value: null,
    headers: {},
    isControlRecord: isControlBatch,
    batchContext,
    [UNDECODABLE_BATCH]: {
      firstOffset: first.toString(),
      lastOffset: last,
      records: buf.readInt32BE(start + 57),
      bytes,
      compression: CODECS[attributes & 0x07] ?? `codec ${attributes & 0x07}`,
      error: errText(e),
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
