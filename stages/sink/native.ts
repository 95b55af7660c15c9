/**
 * Native (columnar) encoding of records for the embedded chDB store.
 *
 * ClickHouse's JSONEachRow parser costs ~400 ns per value on the sink's
 * enriched events (keys matched per value, nested tuples, timestamps parsed
 * best-effort), and RowBinary, which the sink wrote before, is still read
 * value by value through the table's ~80 leaf columns (3.3 µs of engine CPU
 * per event on the seed events, merges and rollups stopped). Native is the
 * block ClickHouse works on internally, one stream per leaf column; reading
 * it copies whole columns (1.8 µs per event, measured the same way). This
 * encoder writes those streams directly from the decoded records.
 *
 * It is compiled from the table's own column types (read from
 * `system.columns`), so it follows init.sql. It is deliberately strict: any
 * value it is not certain to store exactly as the JSONEachRow path would
 * (an unusual timestamp form, an IPv6 text, a number where a string belongs,
 * a missing required column) makes it decline the record, which then takes
 * the JSONEachRow path with ClickHouse's own conversions and error messages.
 *
 * Layout of a block (what `SELECT … FORMAT Native` writes in this ClickHouse
 * version): varint column count, varint row count, then per column its name,
 * its type and its data. Data per type:
 * - fixed-size values (UInt*, Float64, Enum8, DateTime64, UUID, IPv6): one
 *   little-endian value per row;
 * - String: varint length + UTF-8 per row;
 * - Nullable(T): one byte per row (1 = NULL), then T's data with a zero
 *   value in NULL rows;
 * - Tuple: each element's data in turn;
 * - Array(T): cumulative element counts (UInt64 per row), then T's data of
 *   all elements; Map(K, V) is Array(Tuple(K, V)): offsets, keys, values.
 * LowCardinality columns are written as their plain type (the insert
 * converts), so the dictionary serialization is never needed.
 */
import type { AnyRecord } from "../shared/records.ts";
import {
  ByteWriter,
  columnRead,
  type ColumnType,
  DB_FILLED,
  inner,
  ipAt,
  payloadText,
  splitTop,
  timeAt,
  UINT_MAX,
  uuidAt,
} from "./binary.ts";

/** Rows encoded into one Native block. */
export interface NativeBlock {
  /** Rows appended so far. */
  readonly rows: number;
  /**
   * Appends one row; returns false (leaving the block as it was) when the
   * record must take the JSONEachRow path instead.
   */
  append(record: AnyRecord, line: string): boolean;
  /** The block's bytes (a view of a buffer reused by the next `bytes`). */
  bytes(): Uint8Array;
  /** Empties the block for reuse. */
  reset(): void;
}

/** Compiled from a table's columns; see {@link compileNative}. */
export interface NativeEncoder {
  /** The columns written, in order (for `INSERT INTO t (…)`). */
  readonly columns: readonly string[];
  /** `name Type, …` of the written columns (a `file()` structure). */
  readonly structure: string;
  /** A new, empty block with room for `rows` rows before it grows. */
  block(rows?: number): NativeBlock;
}

/** One leaf stream of a block. */
interface Stream {
  /** Bytes per value for fixed-size streams, 0 for variable-length ones. */
  width: number;
  /**
   * The element counter of the innermost Array or Map holding the stream
   * (its values are elements, not rows), or -1 for a row-level stream.
   */
  scope: number;
  /**
   * Row-level fixed streams share one buffer, `capacity × offset` bytes
   * from its start; element streams and variable ones own a writer.
   */
  offset: number;
}

const FIXED: Record<string, number> = {
  UInt8: 1,
  UInt16: 2,
  UInt32: 4,
  UInt64: 8,
  Float64: 8,
  UUID: 16,
  IPv6: 16,
  "DateTime64(3, 'UTC')": 8,
  "DateTime64(3)": 8,
};

/** The generated row function; see {@link compileNative}. */
type RowFn = (
  b: Uint8Array,
  d: DataView,
  cap: number,
  i: number,
  F: ByteWriter[],
  W: ByteWriter[],
  C: Float64Array,
  grow: (elements: number) => void,
  r: AnyRecord,
  line: string,
) => boolean;

/**
 * Compiles a Native encoder for a table from its columns, or returns null
 * when a column type is not supported. Top-level columns are required (a
 * record without one takes the JSON path, which applies the column default);
 * `payload` may be a JSON object, stored as its original text with
 * `payload_type` 'json'.
 *
 * The row function is generated source once per table so that every
 * entity field is read with a constant key (`o["ip"]`): V8 then uses inline
 * caches instead of generic keyed lookups. Each leaf value is written
 * straight into its stream. Row-level fixed-size streams live in one buffer (stream k of a
 * block with room for `cap` rows starts at `cap × offset(k)`), so those
 * writes are an index computation on two locals.
 */
export function compileNative(
  columns: readonly ColumnType[],
): NativeEncoder | null {
  const names: string[] = [];
  const types: string[] = [];
  const streams: Stream[] = [];
  /** Stream indexes of each top-level column, in serialization order. */
  const order: number[][] = [];
  let current: number[] = [];
  let vars = 0;
  let counters = 0;
  let scope = -1;
  let rowWidth = 0;
  const lit = (s: string) => JSON.stringify(s);
  const stream = (width: number) => {
    current.push(streams.length);
    const offset = width && scope < 0 ? rowWidth : 0;
    if (width && scope < 0) rowWidth += width;
    return streams.push({ width, scope, offset }) - 1;
  };
  /** Buffer, view and byte offset expressions of value `at` of stream k. */
  const place = (k: number, at: string) => {
    const s = streams[k];
    return s.scope < 0
      ? { b: "b", d: "d", o: `(cap * ${s.offset} + ${at} * ${s.width})` }
      : { b: `F[${k}].buf`, d: `F[${k}].view`, o: `(${at} * ${s.width})` };
  };
  /**
   * Statements writing a zero value of stream k's width. Row-level streams
   * need none: a block's row-level buffer is zeroed when it is (re)started
   * and a declined row's bytes are zeroed again (see `Block.append`).
   */
  const zero = (k: number, at: string) => {
    if (streams[k].scope < 0) return "";
    const { b, d, o } = place(k, at);
    const w = streams[k].width;
    if (w === 1) return `${b}[${o}] = 0;\n`;
    if (w === 2) return `${d}.setUint16(${o}, 0, true);\n`;
    let out = "";
    for (let x = 0; x < w; x += 4) out += `${d}.setUint32(${o} + ${x}, 0);\n`;
    return out;
  };

  /**
   * Statements that append local `v` of type `type` to its streams at
   * value index `at` (the row `i`, or an element index inside an Array or
   * Map), and the statements that append the type's default (for NULL or
   * an absent tuple).
   */
  const gen = (
    type: string,
    v: string,
    at: string,
  ): { put: string; dflt: string } | null => {
    let t: string | null;
    if ((t = inner(type, "Nullable")) !== null) {
      const k = stream(1);
      const sub = gen(t, v, at);
      if (sub === null) return null;
      const { b, o } = place(k, at);
      return {
        put: `if (${v} == null) {\n${b}[${o}] = 1;\n${sub.dflt}}
else {\n${zero(k, at)}${sub.put}}\n`,
        dflt: `${b}[${o}] = 1;\n${sub.dflt}`,
      };
    }
    if ((t = inner(type, "Tuple")) !== null) {
      let put = "";
      let dflt = "";
      for (const el of splitTop(t)) {
        const sp = el.indexOf(" ");
        if (sp < 0) return null; // unnamed tuple
        const x = `v${vars++}`;
        const sub = gen(el.slice(sp + 1).trim(), x, at);
        if (sub === null) return null;
        put += `const ${x} = ${v}[${lit(el.slice(0, sp))}];\n${sub.put}`;
        dflt += sub.dflt;
      }
      // An absent entity: every element takes its default (NULL, [], {}),
      // as JSONEachRow does for missing named-tuple elements.
      return {
        put: `if (${v} == null) {\n${dflt}}
else if (typeof ${v} !== "object" || Array.isArray(${v})) return false;
else {\n${put}}\n`,
        dflt,
      };
    }
    if (type === "String") {
      const k = stream(0);
      return {
        put:
          `if (typeof ${v} !== "string") return false;\nW[${k}].str(${v});\n`,
        // An empty string: its length byte. A row-level stream has room for
        // it (see `Block.append`); an element stream may get many per row.
        dflt: scope < 0
          ? `{\nconst w = W[${k}];\nw.buf[w.pos++] = 0;\n}\n`
          : `W[${k}].u8(0);\n`,
      };
    }
    if (type in UINT_MAX || type === "Float64") {
      const width = FIXED[type];
      const k = stream(width);
      const { b, d, o } = place(k, at);
      const check = type === "Float64"
        ? `typeof ${v} !== "number"`
        : `typeof ${v} !== "number" || !Number.isInteger(${v}) || ${v} < 0 || ${v} > ${
          UINT_MAX[type]
        }`;
      const write = type === "UInt8"
        ? `${b}[${o}] = ${v};`
        : type === "UInt16"
        ? `${d}.setUint16(${o}, ${v}, true);`
        : type === "UInt32"
        ? `${d}.setUint32(${o}, ${v}, true);`
        : type === "Float64"
        ? `${d}.setFloat64(${o}, ${v}, true);`
        : `${d}.setUint32(${o}, ${v} >>> 0, true); ${d}.setUint32(${o} + 4, Math.floor(${v} / 4294967296), true);`;
      return {
        put: `if (${check}) return false;\n${write}\n`,
        dflt: zero(k, at),
      };
    }
    if ((t = inner(type, "Enum8")) !== null) {
      const k = stream(1);
      const { b, o } = place(k, at);
      let cases = "";
      for (const item of splitTop(t)) {
        const m = /^'((?:[^'\\]|\\.)*)'\s*=\s*(-?\d+)$/.exec(item);
        if (!m || m[1].includes("\\")) return null;
        cases += `case ${lit(m[1])}: ${b}[${o}] = ${
          Number(m[2]) & 0xff
        }; break;\n`;
      }
      // No default: a record without the value takes the JSON path, which
      // applies the column's own default.
      return {
        put: `switch (${v}) {\n${cases}default: return false;\n}\n`,
        dflt: `return false;\n`,
      };
    }
    const arr = inner(type, "Array");
    const map = inner(type, "Map");
    if (arr !== null || map !== null) {
      const offsets = stream(8);
      const { d, o } = place(offsets, at);
      const c = counters++;
      const outer = scope;
      scope = c;
      const x = `v${vars++}`;
      const e = `e${vars++}`;
      let keys = -1;
      let sub;
      if (map !== null) {
        const [kt, vt] = splitTop(map);
        if (kt !== "String") return null;
        keys = stream(0);
        sub = gen(vt, x, e);
      } else sub = gen(arr!, x, e);
      scope = outer;
      if (sub === null) return null;
      const end =
        `${d}.setUint32(${o}, n${c}, true); ${d}.setUint32(${o} + 4, 0, true);\n`;
      const each = `const ${e} = n${c}++;\ngrow(${e});\n`;
      const loop = map !== null
        ? `else if (typeof ${v} !== "object" || Array.isArray(${v})) return false;
else {
for (const key in ${v}) {
const ${x} = ${v}[key];
${each}W[${keys}].str(key);
${sub.put}}\n`
        : `else if (!Array.isArray(${v})) return false;
else {
for (let j = 0; j < ${v}.length; j++) {
const ${x} = ${v}[j];
${each}${sub.put}}\n`;
      return {
        put: `if (${v} == null) {\n${end}}\n${loop}${end}}\n`,
        dflt: end,
      };
    }
    // UUID, IPv6, DateTime64: checked writers (binary.ts), in place.
    if (!(type in FIXED)) return null;
    const k = stream(FIXED[type]);
    const { b, d, o } = place(k, at);
    const write = type === "UUID"
      ? `uuidAt(${b}, ${o}, ${v})`
      : type === "IPv6"
      ? `ipAt(${b}, ${o}, ${v})`
      : `timeAt(${d}, ${o}, ${v})`;
    return { put: `if (!${write}) return false;\n`, dflt: zero(k, at) };
  };

  let code = "";
  for (const col of columns) {
    if (DB_FILLED.has(col.name)) continue;
    const type = plain(col.type.trim());
    current = [];
    const v = `v${vars++}`;
    const body = gen(type, v, "i");
    if (body === null) return null;
    names.push(col.name);
    types.push(type);
    order.push(current);
    code += columnRead(col.name, type, v) + body.put;
  }
  let load = "";
  let store = "";
  for (let c = 0; c < counters; c++) {
    load += `let n${c} = C[${c}];\n`;
    store += `C[${c}] = n${c};\n`;
  }
  const row = new Function(
    "uuidAt",
    "ipAt",
    "timeAt",
    "payloadText",
    `"use strict";
return function appendRow(b, d, cap, i, F, W, C, grow, r, line) {
${load}${code}${store}return true;\n};`,
  )(uuidAt, ipAt, timeAt, payloadText) as RowFn;

  const header: Uint8Array[] = [];
  for (let c = 0; c < names.length; c++) {
    const w = new ByteWriter(256);
    w.str(names[c]);
    w.str(types[c]);
    header.push(w.bytes().slice());
  }
  return {
    columns: names,
    structure: names.map((n, c) => `\`${n}\` ${types[c]}`).join(", "),
    block: (rows = 1024) =>
      new Block(row, streams, order, header, rowWidth, counters, rows),
  };
}

/** `type` with every LowCardinality(T) replaced by T. */
function plain(type: string): string {
  const name = "LowCardinality(";
  let out = type;
  for (let at = out.indexOf(name); at >= 0; at = out.indexOf(name, at)) {
    let depth = 0;
    let end = at + name.length;
    for (; end < out.length; end++) {
      if (out[end] === "(") depth++;
      else if (out[end] === ")" && depth-- === 0) break;
    }
    out = out.slice(0, at) + out.slice(at + name.length, end) +
      out.slice(end + 1);
  }
  return out;
}

class Block implements NativeBlock {
  rows = 0;
  readonly #row: RowFn;
  readonly #streams: Stream[];
  readonly #order: number[][];
  readonly #header: Uint8Array[];
  readonly #rowWidth: number;
  /** Row-level fixed-size streams: stream k's row i at cap × offset + i × width. */
  #fixed: ByteWriter;
  /** Fixed-size streams of Array/Map elements (value e at e × width). */
  readonly #elements: ByteWriter[];
  /** Variable-length streams (appended), by stream index. */
  readonly #var: ByteWriter[];
  /** Indexes of the variable-length streams. */
  readonly #varIndex: number[];
  /** Element counters of Arrays and Maps (their next offset). */
  readonly #counters: Float64Array;
  /** Positions of the variable streams before the current row. */
  readonly #marks: Float64Array;
  /** Rows the row-level streams have room for. */
  #capacity: number;
  /** Elements the element streams have room for. */
  #elementCapacity: number;
  readonly #out = new ByteWriter(1 << 16);
  readonly #grow = (at: number) => {
    if (at >= this.#elementCapacity) this.#growElements(at + 1);
  };

  constructor(
    row: RowFn,
    streams: Stream[],
    order: number[][],
    header: Uint8Array[],
    rowWidth: number,
    counters: number,
    rows: number,
  ) {
    this.#row = row;
    this.#streams = streams;
    this.#order = order;
    this.#header = header;
    this.#rowWidth = rowWidth;
    this.#capacity = Math.max(rows, 16);
    this.#elementCapacity = this.#capacity;
    this.#fixed = new ByteWriter(rowWidth * this.#capacity);
    this.#elements = streams.map((s) =>
      new ByteWriter(s.width && s.scope >= 0 ? s.width * this.#capacity : 0)
    );
    this.#var = streams.map((s) => new ByteWriter(s.width ? 0 : 1 << 12));
    this.#varIndex = streams.flatMap((s, k) => s.width ? [] : [k]);
    this.#counters = new Float64Array(counters);
    this.#marks = new Float64Array(this.#varIndex.length);
  }

  append(record: AnyRecord, line: string): boolean {
    const i = this.rows;
    if (i >= this.#capacity) this.#growRows(i + 1);
    const vars = this.#var;
    const index = this.#varIndex;
    const marks = this.#marks;
    for (let k = 0; k < index.length; k++) {
      // Room for an empty string's length byte, written unchecked.
      const w = vars[index[k]];
      if (w.pos >= w.buf.length) w.ensure(1);
      marks[k] = w.pos;
    }
    const f = this.#fixed;
    if (
      this.#row(
        f.buf,
        f.view,
        this.#capacity,
        i,
        this.#elements,
        vars,
        this.#counters,
        this.#grow,
        record,
        line,
      )
    ) {
      this.rows = i + 1;
      return true;
    }
    for (let k = 0; k < index.length; k++) vars[index[k]].pos = marks[k];
    // The row-level buffer must stay zero where no row was appended.
    for (const s of this.#streams) {
      if (!s.width || s.scope >= 0) continue;
      const at = this.#capacity * s.offset + i * s.width;
      f.buf.fill(0, at, at + s.width);
    }
    return false;
  }

  /** Moves the row-level streams into a buffer with room for `need` rows. */
  #growRows(need: number) {
    let cap = this.#capacity * 2;
    while (cap < need) cap *= 2;
    const next = new ByteWriter(this.#rowWidth * cap);
    for (const s of this.#streams) {
      if (!s.width || s.scope >= 0) continue;
      const from = this.#capacity * s.offset;
      next.buf.set(
        this.#fixed.buf.subarray(from, from + this.rows * s.width),
        cap * s.offset,
      );
    }
    this.#fixed = next;
    this.#capacity = cap;
  }

  #growElements(need: number) {
    let cap = this.#elementCapacity * 2;
    while (cap < need) cap *= 2;
    for (const [k, s] of this.#streams.entries()) {
      if (!s.width || s.scope < 0) continue;
      const w = this.#elements[k];
      w.pos = this.#elementCapacity * s.width;
      w.ensure((cap - this.#elementCapacity) * s.width);
    }
    this.#elementCapacity = cap;
  }

  bytes(): Uint8Array {
    const out = this.#out;
    out.reset();
    out.varint(this.#order.length);
    out.varint(this.rows);
    for (const [c, col] of this.#order.entries()) {
      out.put(this.#header[c]);
      for (const k of col) {
        const s = this.#streams[k];
        if (!s.width) out.put(this.#var[k].bytes());
        else if (s.scope < 0) {
          const from = this.#capacity * s.offset;
          out.put(this.#fixed.buf.subarray(from, from + this.rows * s.width));
        } else {
          const n = this.#counters[s.scope];
          out.put(this.#elements[k].buf.subarray(0, n * s.width));
        }
      }
    }
    return out.bytes();
  }

  reset(): void {
    this.#fixed.buf.fill(0);
    this.rows = 0;
    for (const w of this.#var) w.reset();
    this.#counters.fill(0);
  }
}
