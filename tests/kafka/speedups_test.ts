/**
 * The adapter's replacements for kafkajs' varint writers and CRC-32C give
 * exactly the bytes and checksums kafkajs' own code gives, and kafkajs'
 * record and batch encoders really go through them. No broker needed.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
// Before kafkajs (through kafka.ts) so the CRC swap applies, as in a stage.
import {
  crc32C,
  groupMessagesPerPartition,
  kafkaSpeedups,
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
  const batchCrc: Loose = require(
    "kafkajs/src/protocol/recordBatch/crc32C/index.js",
  );
  let calls = 0;
  const fast = Encoder.prototype.writeUVarInt;
  Encoder.prototype.writeUVarInt = function (this: Loose, v: number) {
    calls++;
    return fast.call(this, v);
  };
  try {
    const rec = Record({
      offsetDelta: 3,
      timestampDelta: 0,
      key: "k",
      value: "v",
    });
    assert.ok(calls > 0, "kafkajs' record encoder bypassed the patch");
    // Zig-zagged: length 8, attributes, timestamp delta 0, offset delta 3,
    // key "k", value "v", no headers.
    assert.deepEqual([...rec.buffer], [16, 0, 0, 6, 2, 107, 2, 118, 0]);
  } finally {
    Encoder.prototype.writeUVarInt = fast;
  }
  // The batch checksum kafkajs uses is ours (same value, our function).
  const src = await Deno.readFile(new URL(import.meta.url));
  assert.equal(batchCrc(src), crc32C(src));
  assert.equal(
    require("kafkajs/src/protocol/recordBatch/crc32C/crc32C.js"),
    crc32C,
  );
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
