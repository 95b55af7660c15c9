/**
 * ClickHouse Native (columnar) encoding of whole blocks of records for the
 * embedded chDB store. The engine parses Native ~1.5 µs/row cheaper than
 * RowBinary on the events table (measured by `deno task bench --only sink`),
 * because each column arrives as one contiguous stream. Encoding the
 * columns in JS costs ~1 µs/row more than RowBinary (a write per stream,
 * ~150 streams), so `ChdbStore.native` is opt-in for now.
 *
 * Same contract as the RowBinary encoder (row_binary.ts): compiled from the
 * table's columns, strict, and a record it is not certain about is declined
 * (every column stream restored) and takes the JSONEachRow path.
 *
 * Layout of a block (no block info, revision 0, as `file(…, Native)` reads
 * it): varint column count, varint row count, then per column its name, its
 * type and its data. A column's data is its streams in order: Nullable →
 * null map (UInt8 per row) then the nested column (a default for NULL rows);
 * Array → cumulative UInt64 offsets then the elements; Map(K, V) → offsets,
 * keys, values; Tuple → each element's streams in turn.
 */
import type { AnyRecord } from "../shared/records.ts";
import {
  ByteWriter,
  columnRead,
  type ColumnType,
  DB_FILLED,
  encodeIp,
  encodeTime,
  encodeUuid,
  inner,
  payloadText,
  splitTop,
} from "./row_binary.ts";

/** Encodes blocks of records of one table; see {@link compileNative}. */
export interface BlockEncoder {
  /** The columns written, in order (for `INSERT INTO t (…)`). */
  readonly columns: readonly string[];
  /** `name Type, …` of the written columns (a `file()` structure). */
  readonly structure: string;
  /** Rows added since the last {@link finish}. */
  readonly rows: number;
  /** Adds one row; false (every stream restored) when it must take the JSON path. */
  add(record: AnyRecord, line: string): boolean;
  /** The Native block of the rows added; starts a new block. */
  finish(): Uint8Array;
}

const UINT: Record<string, [number, number]> = {
  UInt8: [1, 0xff],
  UInt16: [2, 0xffff],
  UInt32: [4, 0xffffffff],
  UInt64: [8, Number.MAX_SAFE_INTEGER],
};

/**
 * Compiles a Native block encoder for a table, or returns null when a column
 * type is not supported (LowCardinality, unnamed tuples, …).
 */
export function compileNative(
  columns: readonly ColumnType[],
): BlockEncoder | null {
  let streams = 0;
  let offsets = 0;
  let lags = 0;
  const flushes: string[] = [];
  let vars = 0;
  const E: ((w: ByteWriter, v: unknown) => boolean)[] = [];
  const lit = (s: string) => JSON.stringify(s);

  /**
   * Code writing `n` (an expression; "1" for one row) default values of
   * `type` into its streams (starting at `s`).
   */
  const dflt = (
    type: string,
    s: { i: number; o: number },
    n = "1",
  ): string | null => {
    const one = n === "1";
    const bytes = (k: number, b: number, size: number) =>
      one && size === 1
        ? `C[${k}].u8(${b});\n`
        : `fill(${k}, ${b}, ${one ? size : `${size} * ${n}`});\n`;
    let t: string | null;
    if ((t = inner(type, "Nullable")) !== null) {
      const at = s.i++;
      const sub = dflt(t, s, n);
      return sub === null ? null : bytes(at, 1, 1) + sub;
    }
    if ((t = inner(type, "Tuple")) !== null) {
      let code = "";
      for (const el of splitTop(t)) {
        const sp = el.indexOf(" ");
        if (sp < 0) return null;
        const sub = dflt(el.slice(sp + 1).trim(), s, n);
        if (sub === null) return null;
        code += sub;
      }
      return code;
    }
    if ((t = inner(type, "Array")) !== null) {
      const at = s.i++;
      const o = s.o++;
      // The elements' streams get nothing for an empty array.
      skip(t, s);
      return one
        ? `C[${at}].u64(O[${o}]);\n`
        : `rep64(${at}, O[${o}], ${n});\n`;
    }
    if ((t = inner(type, "Map")) !== null) {
      const at = s.i++;
      const o = s.o++;
      for (const kv of splitTop(t)) skip(kv.trim(), s);
      return one
        ? `C[${at}].u64(O[${o}]);\n`
        : `rep64(${at}, O[${o}], ${n});\n`;
    }
    const k = s.i++;
    if (type === "String") return bytes(k, 0, 1);
    if (type in UINT || type.startsWith("Enum8(")) {
      return bytes(k, 0, type in UINT ? UINT[type][0] : 1);
    }
    if (type === "Float64") return bytes(k, 0, 8);
    if (type === "UUID" || type === "IPv6") return bytes(k, 0, 16);
    if (type.startsWith("DateTime64(3")) return bytes(k, 0, 8);
    return null;
  };

  /** Advances `s` past the streams of `type` (counts them). */
  const skip = (type: string, s: { i: number; o: number }): void => {
    let t: string | null;
    if ((t = inner(type, "Nullable")) !== null) {
      s.i++;
      return skip(t, s);
    }
    if ((t = inner(type, "Tuple")) !== null) {
      for (const el of splitTop(t)) {
        skip(el.slice(el.indexOf(" ") + 1).trim(), s);
      }
      return;
    }
    if ((t = inner(type, "Array")) !== null) {
      s.i++;
      s.o++;
      return skip(t, s);
    }
    if ((t = inner(type, "Map")) !== null) {
      s.i++;
      s.o++;
      for (const kv of splitTop(t)) skip(kv.trim(), s);
      return;
    }
    s.i++;
  };

  /** Statements that write local `v` of `type` into its streams. */
  const gen = (type: string, v: string): string | null => {
    let t: string | null;
    if ((t = inner(type, "Nullable")) !== null) {
      const at = streams++;
      const s = { i: streams, o: offsets };
      const d = dflt(t, s);
      const sub = gen(t, v);
      if (d === null || sub === null) return null;
      return `if (${v} == null) {\nC[${at}].u8(1);\n${d}} else {\nC[${at}].u8(0);\n${sub}}\n`;
    }
    if ((t = inner(type, "Tuple")) !== null) {
      // An absent entity owes every stream of the tuple a default; owed rows
      // are counted (L[g]) and written in bulk when the entity is next
      // present, or at the end of the block. All defaults of a stream are
      // the same bytes, so owed rows of nested tuples may be written in any
      // order as long as they come before the next real value, which the
      // flush at the start of each present branch guarantees.
      const g = lags++;
      const s = { i: streams, o: offsets };
      const d = dflt(type, s, `L[${g}]`);
      if (d === null) return null;
      flushes.push(`if (L[${g}] > 0) {\n${d}L[${g}] = 0;\n}\n`);
      let body = "";
      for (const el of splitTop(t)) {
        const sp = el.indexOf(" ");
        if (sp < 0) return null;
        const x = `v${vars++}`;
        const sub = gen(el.slice(sp + 1).trim(), x);
        if (sub === null) return null;
        body += `const ${x} = ${v}[${lit(el.slice(0, sp))}];\n${sub}`;
      }
      return `if (${v} == null) L[${g}]++;
else if (typeof ${v} !== "object" || Array.isArray(${v})) return false;
else {\nif (L[${g}] > 0) {\n${d}L[${g}] = 0;\n}\n${body}}\n`;
    }
    if ((t = inner(type, "Array")) !== null) {
      const at = streams++;
      const o = offsets++;
      const x = `v${vars++}`;
      const i = `i${vars++}`;
      const sub = gen(t, x);
      if (sub === null) return null;
      return `if (${v} != null) {
if (!Array.isArray(${v})) return false;
for (let ${i} = 0; ${i} < ${v}.length; ${i}++) {\nconst ${x} = ${v}[${i}];\n${sub}}
O[${o}] += ${v}.length;
}
C[${at}].u64(O[${o}]);\n`;
    }
    if ((t = inner(type, "Map")) !== null) {
      const [k, val] = splitTop(t).map((x) => x.trim());
      if (k !== "String") return null;
      const at = streams++;
      const o = offsets++;
      const keys = streams++;
      const key = `k${vars++}`;
      const x = `v${vars++}`;
      const n = `n${vars++}`;
      const sub = gen(val, x);
      if (sub === null) return null;
      return `if (${v} != null) {
if (typeof ${v} !== "object" || Array.isArray(${v})) return false;
let ${n} = 0;
for (const ${key} in ${v}) {\nconst ${x} = ${v}[${key}];\nC[${keys}].str(${key});\n${sub}${n}++;\n}
O[${o}] += ${n};
}
C[${at}].u64(O[${o}]);\n`;
    }
    const at = streams++;
    if (type === "String") {
      return `if (typeof ${v} !== "string") return false;\nC[${at}].str(${v});\n`;
    }
    if (type in UINT) {
      const [size, max] = UINT[type];
      const write = size === 1
        ? "u8"
        : size === 2
        ? "u16"
        : size === 4
        ? "u32"
        : "u64";
      return `if (typeof ${v} !== "number" || !Number.isInteger(${v}) || ${v} < 0 || ${v} > ${max}) return false;
C[${at}].${write}(${v});\n`;
    }
    if (type === "Float64") {
      return `if (typeof ${v} !== "number") return false;\nC[${at}].f64(${v});\n`;
    }
    if ((t = inner(type, "Enum8")) !== null) {
      let cases = "";
      for (const item of splitTop(t)) {
        const m = /^'((?:[^'\\]|\\.)*)'\s*=\s*(-?\d+)$/.exec(item);
        if (!m || m[1].includes("\\")) return null;
        cases += `case ${lit(m[1])}: C[${at}].u8(${
          Number(m[2]) & 0xff
        }); break;\n`;
      }
      return `switch (${v}) {\n${cases}default: return false;\n}\n`;
    }
    const e = type === "UUID"
      ? encodeUuid
      : type === "IPv6"
      ? encodeIp
      : type === "DateTime64(3, 'UTC')" || type === "DateTime64(3)"
      ? encodeTime
      : null;
    if (!e) return null;
    E.push(e);
    return `if (!leaf(${at}, E[${E.length - 1}], ${v})) return false;\n`;
  };

  const names: string[] = [];
  const types: string[] = [];
  const ranges: [number, number][] = [];
  let code = "";
  for (const col of columns) {
    if (DB_FILLED.has(col.name)) continue;
    const type = col.type.trim();
    const v = `v${vars++}`;
    const read = columnRead(col.name, type, v);
    const first = streams;
    const body = gen(type, v);
    if (body === null) return null;
    names.push(col.name);
    types.push(type);
    ranges.push([first, streams]);
    code += read + body;
  }
  // Streams as parallel arrays (buffer, view, position): a row's
  // positions are saved and restored with one typed-array copy each.
  const B: Uint8Array[] = [];
  const V: DataView[] = [];
  for (let k = 0; k < streams; k++) {
    B.push(new Uint8Array(1 << 12));
    V.push(new DataView(B[k].buffer));
  }
  const P = new Int32Array(streams);
  const scratch = new ByteWriter(1 << 12);
  const grow = (k: number, n: number) => {
    let size = B[k].length * 2;
    while (size < P[k] + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(B[k].subarray(0, P[k]));
    B[k] = next;
    V[k] = new DataView(next.buffer);
  };
  const u8 = (k: number, v: number) => {
    const p = P[k];
    if (p >= B[k].length) grow(k, 1);
    B[k][p] = v;
    P[k] = p + 1;
  };
  const u16 = (k: number, v: number) => {
    const p = P[k];
    if (p + 2 > B[k].length) grow(k, 2);
    V[k].setUint16(p, v, true);
    P[k] = p + 2;
  };
  const u32 = (k: number, v: number) => {
    const p = P[k];
    if (p + 4 > B[k].length) grow(k, 4);
    V[k].setUint32(p, v, true);
    P[k] = p + 4;
  };
  const u64 = (k: number, v: number) => {
    const p = P[k];
    if (p + 8 > B[k].length) grow(k, 8);
    const view = V[k];
    view.setUint32(p, v >>> 0, true);
    view.setUint32(p + 4, Math.floor(v / 4294967296), true);
    P[k] = p + 8;
  };
  const f64 = (k: number, v: number) => {
    const p = P[k];
    if (p + 8 > B[k].length) grow(k, 8);
    V[k].setFloat64(p, v, true);
    P[k] = p + 8;
  };
  const zero = (k: number, n: number) => {
    const p = P[k];
    if (p + n > B[k].length) grow(k, n);
    const buf = B[k];
    for (let i = p; i < p + n; i++) buf[i] = 0;
    P[k] = p + n;
  };
  const fill = (k: number, b: number, n: number) => {
    const p = P[k];
    if (p + n > B[k].length) grow(k, n);
    B[k].fill(b, p, p + n);
    P[k] = p + n;
  };
  const rep64 = (k: number, v: number, n: number) => {
    for (let i = 0; i < n; i++) u64(k, v);
  };
  /** Copies what a ByteWriter-based writer put in `scratch`. */
  const copy = (k: number) => {
    const n = scratch.pos;
    const p = P[k];
    if (p + n > B[k].length) grow(k, n);
    const buf = B[k];
    const src = scratch.buf;
    if (n <= 64) { for (let i = 0; i < n; i++) buf[p + i] = src[i]; }
    else buf.set(src.subarray(0, n), p);
    P[k] = p + n;
  };
  const str = (k: number, s: string) => {
    const n = s.length;
    if (n < 128) {
      // Short ASCII (the usual case) straight into the stream.
      const p = P[k];
      if (p + n + 1 > B[k].length) grow(k, n + 1);
      const buf = B[k];
      let q = p + 1;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          q = -1;
          break;
        }
        buf[q++] = c;
      }
      if (q >= 0) {
        buf[p] = n;
        P[k] = q;
        return;
      }
    }
    scratch.reset();
    scratch.str(s);
    copy(k);
  };
  const leaf = (
    k: number,
    e: (w: ByteWriter, v: unknown) => boolean,
    v: unknown,
  ) => {
    scratch.reset();
    if (!e(scratch, v)) return false;
    copy(k);
    return true;
  };
  const helpers = { u8, u16, u32, u64, f64, zero, str, leaf, fill, rep64 };
  const compile = (params: string, body: string) =>
    new Function(
      "E",
      "payloadText",
      ...Object.keys(helpers),
      `"use strict";\nreturn function (${params}) {\n${
        body.replace(
          /C\[(\d+)\]\.(u8|u16|u32|u64|f64|str|zero)\(/g,
          "$2($1, ",
        )
      }};`,
    )(E, payloadText, ...Object.values(helpers));
  const flushAll = compile("O, L", flushes.join("")) as (
    O: Float64Array,
    L: Float64Array,
  ) => void;
  const row = compile("O, L, r, line", code + "return true;\n") as (
    O: Float64Array,
    L: Float64Array,
    r: AnyRecord,
    line: string,
  ) => boolean;

  const offs = new Float64Array(offsets);
  const savedPos = new Int32Array(streams);
  const savedOffs = new Float64Array(offsets);
  const owed = new Float64Array(lags);
  const savedOwed = new Float64Array(lags);
  let rows = 0;
  return {
    columns: names,
    structure: names.map((n, i) => `\`${n}\` ${types[i]}`).join(", "),
    get rows() {
      return rows;
    },
    add(record, line) {
      savedPos.set(P);
      savedOffs.set(offs);
      savedOwed.set(owed);
      if (row(offs, owed, record, line)) {
        rows++;
        return true;
      }
      P.set(savedPos);
      offs.set(savedOffs);
      owed.set(savedOwed);
      return false;
    },
    finish() {
      flushAll(offs, owed);
      let size = 20;
      for (let c = 0; c < names.length; c++) {
        size += names[c].length * 3 + types[c].length * 3 + 20;
      }
      for (let k = 0; k < streams; k++) size += P[k];
      const out = new ByteWriter(size);
      out.varint(names.length);
      out.varint(rows);
      for (let c = 0; c < names.length; c++) {
        out.str(names[c]);
        out.str(types[c]);
        for (let s = ranges[c][0]; s < ranges[c][1]; s++) {
          out.put(B[s].subarray(0, P[s]));
        }
      }
      P.fill(0);
      offs.fill(0);
      rows = 0;
      return out.bytes();
    },
  };
}
