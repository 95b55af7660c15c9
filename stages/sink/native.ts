/**
 * ClickHouse Native (columnar) encoding of whole blocks of records for the
 * embedded chDB store. The engine parses Native ~1.5 µs/row cheaper than
 * RowBinary on the events table (measured by `deno task bench --only sink`),
 * because each column arrives as one contiguous stream.
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
  type ColumnType,
  encodeIp,
  encodeTime,
  encodeUuid,
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

function inner(type: string, name: string): string | null {
  return type.startsWith(name + "(") && type.endsWith(")")
    ? type.slice(name.length + 1, -1).trim()
    : null;
}

/** Columns the database fills itself. */
const DB_FILLED = new Set(["inserted_at"]);

/**
 * Compiles a Native block encoder for a table, or returns null when a column
 * type is not supported (LowCardinality, unnamed tuples, …).
 */
export function compileNative(
  columns: readonly ColumnType[],
): BlockEncoder | null {
  let streams = 0;
  let offsets = 0;
  let vars = 0;
  const leaf: ((w: ByteWriter, v: unknown) => boolean)[] = [];
  const lit = (s: string) => JSON.stringify(s);

  /** Code writing type's default into its streams (starting at `s`). */
  const dflt = (type: string, s: { i: number; o: number }): string | null => {
    let t: string | null;
    if ((t = inner(type, "Nullable")) !== null) {
      const at = s.i++;
      const sub = dflt(t, s);
      return sub === null ? null : `C[${at}].u8(1);\n${sub}`;
    }
    if ((t = inner(type, "Tuple")) !== null) {
      let code = "";
      for (const el of splitTop(t)) {
        const sp = el.indexOf(" ");
        if (sp < 0) return null;
        const sub = dflt(el.slice(sp + 1).trim(), s);
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
      return `C[${at}].u64(O[${o}]);\n`;
    }
    if ((t = inner(type, "Map")) !== null) {
      const at = s.i++;
      const o = s.o++;
      for (const kv of splitTop(t)) skip(kv.trim(), s);
      return `C[${at}].u64(O[${o}]);\n`;
    }
    s.i++;
    if (type === "String") return `C[${s.i - 1}].u8(0);\n`;
    if (type in UINT || type.startsWith("Enum8(")) {
      const size = type in UINT ? UINT[type][0] : 1;
      return `C[${s.i - 1}].zero(${size});\n`;
    }
    if (type === "Float64") return `C[${s.i - 1}].zero(8);\n`;
    if (type === "UUID" || type === "IPv6") return `C[${s.i - 1}].zero(16);\n`;
    if (type.startsWith("DateTime64(3")) return `C[${s.i - 1}].zero(8);\n`;
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
      const s = { i: streams, o: offsets };
      const d = dflt(type, s);
      if (d === null) return null;
      let body = "";
      for (const el of splitTop(t)) {
        const sp = el.indexOf(" ");
        if (sp < 0) return null;
        const x = `v${vars++}`;
        const sub = gen(el.slice(sp + 1).trim(), x);
        if (sub === null) return null;
        body += `const ${x} = ${v}[${lit(el.slice(0, sp))}];\n${sub}`;
      }
      return `if (${v} == null) {\n${d}} else if (typeof ${v} !== "object" || Array.isArray(${v})) return false;
else {\n${body}}\n`;
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
    leaf.push(e);
    return `if (!E[${leaf.length - 1}](C[${at}], ${v})) return false;\n`;
  };

  const names: string[] = [];
  const types: string[] = [];
  const ranges: [number, number][] = [];
  let code = "";
  for (const col of columns) {
    if (DB_FILLED.has(col.name)) continue;
    const type = col.type.trim();
    const v = `v${vars++}`;
    let read: string;
    if (col.name === "payload_type") {
      read =
        `const ${v} = typeof r.payload === "object" ? "json" : "string";\n`;
    } else if (col.name === "payload") {
      read = `const ${v} = payloadText(r.payload, line);
if (${v} === undefined) return false;\n`;
    } else if (/^(Nullable|Tuple|Map|Array)\(/.test(type)) {
      read = `const ${v} = r[${lit(col.name)}];\n`;
    } else {
      read = `const ${v} = r[${lit(col.name)}];
if (${v} === undefined) return false;\n`;
    }
    const first = streams;
    const body = gen(type, v);
    if (body === null) return null;
    names.push(col.name);
    types.push(type);
    ranges.push([first, streams]);
    code += read + body;
  }
  const row = new Function(
    "E",
    "payloadText",
    `"use strict";\nreturn function addRow(C, O, r, line) {\n${code}return true;\n};`,
  )(leaf, payloadText) as (
    C: ByteWriter[],
    O: Float64Array,
    r: AnyRecord,
    line: string,
  ) => boolean;

  const cols = Array.from({ length: streams }, () => new ByteWriter(1 << 12));
  const offs = new Float64Array(offsets);
  const savedPos = new Int32Array(streams);
  const savedOffs = new Float64Array(offsets);
  let rows = 0;
  return {
    columns: names,
    structure: names.map((n, i) => `\`${n}\` ${types[i]}`).join(", "),
    get rows() {
      return rows;
    },
    add(record, line) {
      for (let i = 0; i < streams; i++) savedPos[i] = cols[i].pos;
      savedOffs.set(offs);
      if (row(cols, offs, record, line)) {
        rows++;
        return true;
      }
      for (let i = 0; i < streams; i++) cols[i].pos = savedPos[i];
      offs.set(savedOffs);
      return false;
    },
    finish() {
      let size = 20;
      for (let c = 0; c < names.length; c++) {
        size += names[c].length * 3 + types[c].length * 3 + 20;
      }
      for (const w of cols) size += w.pos;
      const out = new ByteWriter(size);
      out.varint(names.length);
      out.varint(rows);
      for (let c = 0; c < names.length; c++) {
        out.str(names[c]);
        out.str(types[c]);
        for (let s = ranges[c][0]; s < ranges[c][1]; s++) {
          out.put(cols[s].bytes());
        }
      }
      for (const w of cols) w.reset();
      offs.fill(0);
      rows = 0;
      return out.bytes();
    },
  };
}
