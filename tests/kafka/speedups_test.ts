/**
 * The adapter's replacements for kafkajs' varint writers, CRC-32C, record
 * encoder and record decoder give exactly the bytes, checksums and records
 * kafkajs' own code gives, and kafkajs' record and batch code really goes
 * through them. No broker needed.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
// Before kafkajs (through kafka.ts) so the CRC swap applies, as in a stage.
import {
  crc32C,
  groupMessagesPerPartition,
  kafkaSpeedups,
  murmur2,
} from "../../stages/shared/io/kafka_speedups.ts";
import "../../stages/shared/io/kafka.ts";

const require = createRequire(import.meta.url);
// deno-lint-ignore no-explicit-any
type Loose = any;
const Encoder: Loose = require("kafkajs/src/protocol/encoder.js");
const Long: Loose = require("kafkajs/src/utils/long.js");
const stock = kafkaSpeedups.stock!;

const VALUES: number[] = [
  0,
  1,
  -1,
  63,
  64,
  -64,
  -65,
  127,
  128,
  300,
  -300,
  16383,
  16384,
  1 << 20,
  -(1 << 20),
  0x3fffffff,
  -0x40000000,
  0x40000000,
  -0x40000001,
  2 ** 31 - 1,
  -(2 ** 31),
  2 ** 32 + 5,
  -(2 ** 40),
  Number.MAX_SAFE_INTEGER,
];
for (let i = 0; i < 2000; i++) {
  VALUES.push(Math.floor((Math.random() - 0.5) * 2 ** (1 + (i % 40))));
}

function bytes(write: (e: Loose) => void): number[] {
  const e = new Encoder();
  write(e);
  return [...e.buffer];
}

Deno.test("kafka speed-ups: applied to this kafkajs (varints and CRC)", () => {
  assert.equal(kafkaSpeedups.varints, true);
  assert.equal(kafkaSpeedups.crc32C, true);
  assert.equal(kafkaSpeedups.grouping, true);
  assert.equal(
    require("kafkajs/src/producer/groupMessagesPerPartition.js"),
    groupMessagesPerPartition,
  );
  assert.notEqual(Encoder.prototype.writeVarLong, stock.writeVarLong);
});

Deno.test("kafka speed-ups: same varint, varlong and varlong-size bytes as kafkajs' own writers", () => {
  for (const v of VALUES) {
    if (v >= -(2 ** 31) && v < 2 ** 31) {
      const zz = Encoder.encodeZigZag(v);
      assert.deepEqual(
        bytes((e) => e.writeVarInt(v)),
        bytes((e) => stock.writeUVarInt.call(e, zz)),
        `varint ${v}`,
      );
    }
    if (v >= 0 && v < 2 ** 32) {
      assert.deepEqual(
        bytes((e) => e.writeUVarInt(v)),
        bytes((e) => stock.writeUVarInt.call(e, v)),
        `uvarint ${v}`,
      );
    }
    assert.deepEqual(
      bytes((e) => e.writeVarLong(v)),
      bytes((e) => stock.writeVarLong.call(e, v)),
      `varlong ${v}`,
    );
    assert.equal(
      Encoder.sizeOfVarLong(v),
      stock.sizeOfVarLong.call(Encoder, v),
      `size of varlong ${v}`,
    );
  }
  // Growth past the first 512 bytes keeps what was written.
  const long = "x".repeat(5000);
  assert.deepEqual(
    bytes((e) => e.writeVarInt(7).writeVarIntBytes(long).writeVarLong(-3)),
    [
      14,
      ...bytes((e) => stock.writeUVarInt.call(e, 10000)),
      ...new TextEncoder().encode(long),
      5,
    ],
  );
  const big = Long.fromString("-123456789012");
  assert.deepEqual(
    bytes((e) => e.writeVarLong(big)),
    bytes((e) => stock.writeVarLong.call(e, big)),
  );
});

Deno.test("kafka speed-ups: same CRC-32C as kafkajs for every length and content", () => {
  // The check value of CRC-32C ("123456789").
  assert.equal(crc32C(new TextEncoder().encode("123456789")), 0xe3069283);
  for (let len = 0; len < 300; len++) {
    const b = new Uint8Array(len);
    for (let i = 0; i < len; i++) b[i] = (Math.random() * 256) | 0;
    assert.equal(crc32C(b), stock.crc32C(b), `length ${len}`);
  }
  const large = new Uint8Array(1 << 20).map((_, i) => (i * 131) & 0xff);
  assert.equal(crc32C(large), stock.crc32C(large));
});

Deno.test("kafka speed-ups: kafkajs' record and batch encoders go through them", async () => {
  const Record: Loose = require(
    "kafkajs/src/protocol/recordBatch/record/v0/index.js",
  );
  const RecordDecoder: Loose = require(
    "kafkajs/src/protocol/recordBatch/record/v0/decoder.js",
  );
  const batchCrc: Loose = require(
    "kafkajs/src/protocol/recordBatch/crc32C/index.js",
  );
  assert.equal(kafkaSpeedups.records, true);
  assert.equal(kafkaSpeedups.recordDecoding, true);
  assert.notEqual(Record, stock.record);
  assert.notEqual(RecordDecoder, stock.recordDecoder);
  const rec = Record({
    offsetDelta: 3,
    timestampDelta: 0,
    key: "k",
    value: "v",
  });
  // Zig-zagged: length 8, attributes, timestamp delta 0, offset delta 3,
  // key "k", value "v", no headers.
  assert.deepEqual([...rec.buffer], [16, 0, 0, 6, 2, 107, 2, 118, 0]);
  // Made by the replacement (one exact buffer), not by kafkajs' Encoder.
  assert.notEqual(Object.getPrototypeOf(rec), Encoder.prototype);
  assert.equal(rec.buf.length, 9);
  // Handed back to kafkajs: a record with headers is kafkajs' own Encoder.
  const withHeaders = Record({ key: "k", value: "v", headers: { h: "1" } });
  assert.equal(Object.getPrototypeOf(withHeaders), Encoder.prototype);
  // What kafkajs' batch encoder checks and copies.
  assert.ok(rec instanceof Encoder);
  assert.ok(Buffer.isBuffer(rec.buf));
  const e = new Encoder().writeEncoderArray([rec, rec]);
  assert.equal(e.offset, 18);
  // The batch checksum kafkajs uses is ours (same value, our function).
  const src = await Deno.readFile(new URL(import.meta.url));
  assert.equal(batchCrc(src), crc32C(src));
  assert.equal(
    require("kafkajs/src/protocol/recordBatch/crc32C/crc32C.js"),
    crc32C,
  );
});

/**
 * Runs `fn` with kafkajs' own Encoder methods back in place, so a reference
 * made inside it is plain kafkajs, not kafkajs on our varint writers.
 */
function plainKafkajs<T>(fn: () => T): T {
  const proto = Encoder.prototype;
  const ours = {
    writeUVarInt: proto.writeUVarInt,
    writeVarLong: proto.writeVarLong,
    ensureAvailable: proto.ensureAvailable,
    writeEncoderArray: proto.writeEncoderArray,
    sizeOfVarLong: Encoder.sizeOfVarLong,
  };
  proto.writeUVarInt = stock.writeUVarInt;
  proto.writeVarLong = stock.writeVarLong;
  proto.ensureAvailable = stock.ensureAvailable;
  proto.writeEncoderArray = stock.writeEncoderArray;
  Encoder.sizeOfVarLong = stock.sizeOfVarLong;
  try {
    return fn();
  } finally {
    proto.writeUVarInt = ours.writeUVarInt;
    proto.writeVarLong = ours.writeVarLong;
    proto.ensureAvailable = ours.ensureAvailable;
    proto.writeEncoderArray = ours.writeEncoderArray;
    Encoder.sizeOfVarLong = ours.sizeOfVarLong;
  }
}

/** Records of every shape the encoder meets (and some it hands back). */
function recordCases(): Record<string, unknown>[] {
  const texts = [
    "",
    "k",
    "tenant-a|198.51.100.7",
    "é☃𝄞 mixed",
    "x".repeat(511),
    "y".repeat(513),
    JSON.stringify({ record: "enriched_event", msg: "z".repeat(3000) }),
    "w".repeat(70_000),
  ];
  const out: Record<string, unknown>[] = [];
  let i = 0;
  for (const key of [...texts.slice(0, 4), null, undefined]) {
    for (const value of [...texts, null]) {
      out.push({
        offsetDelta: i % 3 === 0 ? i : i * 1000,
        timestampDelta: i % 4 === 0 ? 0 : (i % 2 ? -1 : 1) * i * 997,
        key,
        value,
      });
      i++;
    }
  }
  const buf = Buffer.from("buffer value é");
  out.push({ key: Buffer.from("bk"), value: buf });
  out.push({ key: "k", value: Buffer.alloc(0) });
  out.push({ value: "defaults" });
  // Handed back to kafkajs: headers, 64-bit deltas, non-string values.
  out.push({ key: "k", value: "v", headers: { trace: "abc", n: ["1", "2"] } });
  out.push({ key: "k", value: "v", headers: {} });
  out.push({ key: "k", value: "v", timestampDelta: 2 ** 40 });
  out.push({ key: "k", value: "v", timestampDelta: Long.fromString("5") });
  out.push({ key: "k", value: 12345 });
  out.push({ key: 7, value: "v" });
  return out;
}

Deno.test("kafka speed-ups: every record encodes to kafkajs' own bytes", () => {
  const Record: Loose = require(
    "kafkajs/src/protocol/recordBatch/record/v0/index.js",
  );
  // Bytes, or the error kafkajs gives (it refuses a number as a value).
  const outcome = (encode: (r: unknown) => Loose, r: unknown) => {
    try {
      return [...encode(r).buffer];
    } catch (e) {
      return (e as Error).message;
    }
  };
  let refused = 0;
  for (const [i, r] of recordCases().entries()) {
    const theirs = plainKafkajs(() => outcome(stock.record, { ...r }));
    if (typeof theirs === "string") refused++;
    assert.deepEqual(outcome(Record, { ...r }), theirs, `record case ${i}`);
  }
  assert.equal(refused, 2);
});

Deno.test("kafka speed-ups: every record decodes as kafkajs decodes it", () => {
  const Decoder: Loose = require("kafkajs/src/protocol/decoder.js");
  const RecordDecoder: Loose = require(
    "kafkajs/src/protocol/recordBatch/record/v0/decoder.js",
  );
  // kafkajs' decoder reads headers with readVarIntArray; ours never does.
  let kafkajsDecodes = 0;
  const readVarIntArray = Decoder.prototype.readVarIntArray;
  Decoder.prototype.readVarIntArray = function (this: Loose, r: Loose) {
    kafkajsDecodes++;
    return readVarIntArray.call(this, r);
  };
  /** Result or error, with the key order and where the decoder stopped. */
  const decode = (
    fn: (d: Loose, c: Loose) => Loose,
    b: Uint8Array,
    c: Loose,
  ) => {
    const d = new Decoder(b);
    try {
      const rec = fn(d, c);
      return { rec, keys: Object.keys(rec), offset: d.offset };
    } catch (e) {
      return { error: (e as Error).message };
    }
  };
  const contexts = [
    { firstOffset: "0", firstTimestamp: "1795507284491" },
    { firstOffset: "123456789012", firstTimestamp: "-1" },
    // At and beyond a double's exact range: kafkajs' BigInt path.
    { firstOffset: String(2 ** 52 - 1), firstTimestamp: String(2 ** 52 - 1) },
    { firstOffset: String(2 ** 52), firstTimestamp: "5" },
    { firstOffset: "9007199254740993", firstTimestamp: "1795507284491" },
    { firstOffset: "42", firstTimestamp: "99999999999999999999" },
    // Broker time: the batch's max timestamp for every record.
    {
      firstOffset: "7",
      firstTimestamp: "1000",
      timestampType: 1,
      maxTimestamp: "2000",
    },
    {
      firstOffset: "7",
      firstTimestamp: "99999999999999999999",
      timestampType: 1,
      maxTimestamp: "5",
    },
    { firstOffset: "8", firstTimestamp: "1000", isControlBatch: true },
  ].map((c) => ({ magicByte: 2, ...c }));
  const cases = recordCases().filter((r) =>
    typeof r.key !== "number" && typeof r.value !== "number"
  );
  try {
    let fast = 0;
    for (const ctx of contexts) {
      for (const [i, r] of cases.entries()) {
        // Without the record's length prefix, as the batch decoder hands it.
        const whole = new Decoder(
          plainKafkajs(() => stock.record({ ...r }).buffer),
        );
        const body: Uint8Array = whole.readVarIntBytes();
        const variants: [string, Uint8Array][] = [
          ["whole", body],
          // Truncated: whatever kafkajs does (here or in its code).
          ["truncated", body.subarray(0, Math.max(0, body.length - 3))],
          ["trailing bytes", new Uint8Array([...body, 9, 9])],
        ];
        if (body.at(-1) === 0) {
          // A header count of -1.
          variants.push([
            "headers -1",
            new Uint8Array([...body.slice(0, -1), 1]),
          ]);
        }
        for (const [what, bytes] of variants) {
          const buf = Buffer.from(bytes);
          const before = kafkajsDecodes;
          const ours = decode(RecordDecoder, buf, ctx);
          const ran = kafkajsDecodes === before;
          const theirs = decode(stock.recordDecoder, buf, ctx);
          assert.deepEqual(
            ours,
            theirs,
            `record case ${i} (${what}), ${JSON.stringify(ctx)}`,
          );
          if (ran && what === "whole") fast++;
        }
      }
    }
    // The fast path really decoded most records (not kafkajs behind it):
    // everything but headers and the out-of-range contexts.
    assert.ok(
      fast >= 5 * (cases.length - 2),
      `only ${fast} records decoded by the replacement`,
    );
  } finally {
    Decoder.prototype.readVarIntArray = readVarIntArray;
  }
  // A context changed in place, or seen again, uses its own base values.
  const body = new Decoder(stock.record({ value: "v", offsetDelta: 2 }).buffer)
    .readVarIntBytes();
  const ctx = { ...contexts[0] };
  assert.equal(RecordDecoder(new Decoder(body), ctx).offset, "2");
  assert.equal(
    RecordDecoder(new Decoder(body), contexts[1]).offset,
    "123456789014",
  );
  assert.equal(RecordDecoder(new Decoder(body), ctx).offset, "2");
  ctx.firstOffset = "100";
  assert.equal(RecordDecoder(new Decoder(body), ctx).offset, "102");
});

Deno.test("kafka speed-ups: messages grouped by partition as kafkajs groups them", () => {
  const messages = Array.from({ length: 500 }, (_, i) => ({
    key: `k${i % 37}`,
    value: `v${i}`,
  }));
  const partitionMetadata = [0, 1, 2, 3].map((p) => ({
    partitionId: p,
    leader: 0,
  }));
  const partitioner = ({ message }: { message: unknown }) =>
    Number((message as { key: string }).key.slice(1)) % 4;
  const args = { topic: "t", partitionMetadata, messages, partitioner };
  const ours = groupMessagesPerPartition(args);
  assert.deepEqual(ours, stock.groupMessagesPerPartition(args));
  assert.equal(Object.values(ours).flat().length, messages.length);
  assert.deepEqual(
    groupMessagesPerPartition({ ...args, partitionMetadata: [] }),
    stock.groupMessagesPerPartition({ ...args, partitionMetadata: [] }),
  );
});

Deno.test("kafka speed-ups: keys hash to kafkajs' own murmur2, so to the same partitions", () => {
  assert.equal(kafkaSpeedups.murmur2, true);
  assert.equal(
    require("kafkajs/src/producer/partitioners/default/murmur2.js"),
    murmur2,
  );
  const keys: unknown[] = [
    "",
    "a",
    "ab",
    "abc",
    "abcd",
    "tenant-a|198.51.100.7",
    "é",
    "ü|2001:db8::1",
    "𝄞",
    12345,
    Buffer.from([]),
    Buffer.from([0xff, 0x80, 0x7f, 0x00, 0x01]),
    "k".repeat(300),
  ];
  for (let i = 0; i < 500; i++) {
    const len = i % 40;
    let s = "";
    for (let j = 0; j < len; j++) {
      s += String.fromCharCode(
        i % 5 === 0 ? 32 + ((i * 7 + j * 13) % 2000) : 32 + ((i + j * 31) % 95),
      );
    }
    keys.push(s);
    keys.push(Buffer.from(s));
  }
  for (const k of keys) {
    assert.equal(murmur2(k), stock.murmur2(k), `key ${String(k)}`);
  }
  // Java's Utils.murmur2 of "21" (a value from Kafka's own tests).
  assert.equal(murmur2("21"), -973932308);
});

Deno.test("kafka speed-ups: a batch's records copied in one sized step, same bytes", () => {
  const Record: Loose = require(
    "kafkajs/src/protocol/recordBatch/record/v0/index.js",
  );
  const records = recordCases().filter((r) =>
    typeof r.key !== "number" && typeof r.value !== "number"
  ).map((r) => Record({ ...r }));
  const ours = new Encoder().writeInt32(7).writeEncoderArray(records);
  const theirs = new Encoder().writeInt32(7);
  stock.writeEncoderArray.call(theirs, records);
  assert.deepEqual([...ours.buffer], [...theirs.buffer]);
  assert.throws(() => new Encoder().writeEncoderArray([records[0], null]));
});
