/**
 * RowBinary encoding of records for the embedded chDB store. ClickHouse's
 * JSONEachRow parser costs ~400 ns per value on the sink's enriched events
 * (keys matched per value, nested tuples, timestamps parsed best-effort);
 * RowBinary needs no parsing at all, and the record is already decoded in JS.
 *
 * The encoder is compiled from the table's own column types (read from
 * `system.columns`), so it follows init.sql. It is deliberately strict: any
 * value it is not certain to store exactly as the JSONEachRow path would
 * (an unusual timestamp form, an IPv6 text, a number where a string belongs,
 * a missing required column) makes it decline the record, which then takes
 * the JSONEachRow path with ClickHouse's own conversions and error messages.
 */
import type { AnyRecord } from "../shared/records.ts";

/** A growable byte buffer with little-endian writers. */
export class ByteWriter {
  buf: Uint8Array;
  view: DataView;
  pos = 0;
  /**
   * Room every variable-length write keeps free after itself, so that the
   * fixed-size writes of a compiled row (at most this many bytes between
   * two variable-length ones) need no bounds check of their own.
   */
  slack = 0;

  constructor(size = 1 << 20) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }

  /** The bytes written so far (a view, not a copy). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  reset(): void {
    this.pos = 0;
  }

  /** Makes room for `n` more bytes, plus {@link slack}. */
  ensure(n: number): void {
    n += this.slack;
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** Appends raw bytes. */
  put(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** `n` zero bytes. */
  zero(n: number): void {
    this.ensure(n);
    const buf = this.buf;
    for (let i = this.pos, end = this.pos + n; i < end; i++) buf[i] = 0;
    this.pos += n;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  varint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  /** A non-negative safe integer as UInt64 (or an Int64 ≥ 0). */
  u64(v: number): void {
    this.ensure(8);
    this.view.setUint32(this.pos, v >>> 0, true);
    this.view.setUint32(this.pos + 4, Math.floor(v / 4294967296), true);
    this.pos += 8;
  }

  /** A safe integer (possibly negative) as Int64. */
  i64(v: number): void {
    this.ensure(8);
    // Two's complement from two halves (no BigInt): exact for safe integers.
    this.view.setUint32(this.pos, v >>> 0, true);
    this.view.setInt32(this.pos + 4, Math.floor(v / 4294967296), true);
    this.pos += 8;
  }

  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** A String: varint byte length, then UTF-8. */
  str(s: string): void {
    const n = s.length;
    this.ensure(n * 3 + 10);
    const start = this.pos;
    if (n > STR_JS_MAX) {
      // Long strings: the native encoder, after room for the longest prefix.
      const room = varintSize(n * 3);
      const r = ENCODER.encodeInto(s, this.buf.subarray(start + room));
      const size = varintSize(r.written);
      this.varint(r.written);
      if (size !== room) {
        this.buf.copyWithin(this.pos, start + room, start + room + r.written);
      }
      this.pos += r.written;
      return;
    }
    // Short strings: ASCII copied in JS (cheaper than a native call).
    this.varint(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.pos = start;
        const bytes = ENCODER.encode(s);
        this.varint(bytes.length);
        buf.set(bytes, this.pos);
        this.pos += bytes.length;
        return;
      }
      buf[p++] = c;
    }
    this.pos = p;
  }
}

/**
 * Longest string copied char by char in JS (longer: `encodeInto`). Log
 * lines (payloads) are mostly 40-200 chars; measured on the seed events,
 * 200 saves ~0.1 µs/row over 48.
 */
const STR_JS_MAX = 200;

function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

const ENCODER = new TextEncoder();

/** Writes one value; returns false when the value must take the JSON path. */
type ValueEncoder = (w: ByteWriter, v: unknown) => boolean;

/** Splits `a, b(c, d), e` at top-level commas. */
export function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "'" && s[i - 1] !== "\\") quoted = !quoted;
    else if (quoted) continue;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(s.slice(start).trim());
  return out;
}

/** The argument of `Name(…)`, trimmed, or null when `type` is not one. */
function inner(type: string, name: string): string | null {
  return type.startsWith(name + "(") && type.endsWith(")")
    ? type.slice(name.length + 1, -1).trim()
    : null;
}

const UINT_MAX: Record<string, number> = {
  UInt8: 0xff,
  UInt16: 0xffff,
  UInt32: 0xffffffff,
  UInt64: Number.MAX_SAFE_INTEGER,
};

/**
 * Compiles the encoder of one ClickHouse type, or returns null when the type
 * is not supported (the table then always uses JSONEachRow).
 */
export function compileType(type: string): ValueEncoder | null {
  type = type.trim();
  let t: string | null;
  if ((t = inner(type, "LowCardinality")) !== null) return compileType(t);
  if ((t = inner(type, "Nullable")) !== null) {
    const e = compileType(t);
    if (!e) return null;
    return (w, v) => {
      if (v === undefined || v === null) {
        w.u8(1);
        return true;
      }
      w.u8(0);
      return e(w, v);
    };
  }
  if (type === "String") {
    return (w, v) => {
      if (typeof v !== "string") return false;
      w.str(v);
      return true;
    };
  }
  if (type in UINT_MAX) {
    const max = UINT_MAX[type];
    const write = type === "UInt8"
      ? (w: ByteWriter, v: number) => w.u8(v)
      : type === "UInt16"
      ? (w: ByteWriter, v: number) => w.u16(v)
      : type === "UInt32"
      ? (w: ByteWriter, v: number) => w.u32(v)
      : (w: ByteWriter, v: number) => w.u64(v);
    return (w, v) => {
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max) {
        return false;
      }
      write(w, v);
      return true;
    };
  }
  if (type === "Float64") {
    return (w, v) => {
      if (typeof v !== "number") return false;
      w.f64(v);
      return true;
    };
  }
  if (type === "UUID") return encodeUuid;
  if (type === "IPv6") return encodeIp;
  if (type === "DateTime64(3, 'UTC')" || type === "DateTime64(3)") {
    return encodeTime;
  }
  if ((t = inner(type, "Enum8")) !== null) {
    const codes = new Map<string, number>();
    for (const item of splitTop(t)) {
      const m = /^'((?:[^'\\]|\\.)*)'\s*=\s*(-?\d+)$/.exec(item);
      if (!m || m[1].includes("\\")) return null;
      codes.set(m[1], Number(m[2]));
    }
    const refuse = enumRefusal("value", [...codes.keys()]);
    return (w, v) => {
      const c = typeof v === "string" ? codes.get(v) : undefined;
      if (c === undefined) {
        if (v !== undefined && typeof v !== "string") refuse(w, v);
        return false;
      }
      w.u8(c & 0xff);
      return true;
    };
  }
  if ((t = inner(type, "Array")) !== null) {
    const e = compileType(t);
    if (!e) return null;
    return (w, v) => {
      if (v === undefined || v === null) {
        w.u8(0);
        return true;
      }
      if (!Array.isArray(v)) return false;
      w.varint(v.length);
      for (let i = 0; i < v.length; i++) if (!e(w, v[i])) return false;
      return true;
    };
  }
  if ((t = inner(type, "Map")) !== null) {
    const [k, val] = splitTop(t);
    const ek = compileType(k);
    const ev = compileType(val);
    if (!ek || !ev || k !== "String") return null;
    return (w, v) => {
      if (v === undefined || v === null) {
        w.u8(0);
        return true;
      }
      if (typeof v !== "object" || Array.isArray(v)) return false;
      const o = v as Record<string, unknown>;
      let n = 0;
      for (const _ in o) n++;
      w.varint(n);
      for (const key in o) {
        w.str(key);
        if (!ev(w, o[key])) return false;
      }
      return true;
    };
  }
  if ((t = inner(type, "Tuple")) !== null) {
    const names: string[] = [];
    const encs: ValueEncoder[] = [];
    for (const el of splitTop(t)) {
      const sp = el.indexOf(" ");
      if (sp < 0) return null; // unnamed tuple
      const e = compileType(el.slice(sp + 1));
      if (!e) return null;
      names.push(el.slice(0, sp));
      encs.push(e);
    }
    const n = names.length;
    return (w, v) => {
      // An absent entity: every element takes its default (NULL, [], {}),
      // as JSONEachRow does for missing named-tuple elements.
      let o: Record<string, unknown>;
      if (v === undefined || v === null) o = EMPTY;
      else if (typeof v !== "object" || Array.isArray(v)) return false;
      else o = v as Record<string, unknown>;
      for (let i = 0; i < n; i++) if (!encs[i](w, o[names[i]])) return false;
      return true;
    };
  }
  return null;
}

const EMPTY: Record<string, unknown> = Object.freeze({}) as Record<
  string,
  unknown
>;

/** Hex digit values by char code (< 128), -1 for anything else. */
const HEX = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) HEX[97 + c] = HEX[65 + c] = 10 + c;

// Byte b of a UUID in RowBinary (two little-endian UInt64 halves) is the
// hex pair at UUID_CHAR[b] of the 8-4-4-4-12 text.
const UUID_CHAR = [16, 14, 11, 9, 6, 4, 2, 0, 34, 32, 30, 28, 26, 24, 21, 19];

/** A canonical 8-4-4-4-12 UUID. */
export function encodeUuid(w: ByteWriter, v: unknown): boolean {
  if (typeof v !== "string" || v.length !== 36) return false;
  if (
    v.charCodeAt(8) !== 45 || v.charCodeAt(13) !== 45 ||
    v.charCodeAt(18) !== 45 || v.charCodeAt(23) !== 45
  ) return false;
  w.ensure(16);
  const buf = w.buf;
  const base = w.pos;
  // A char ≥ 128 or a non-hex one makes `bad` negative.
  let bad = 0;
  for (let b = 0; b < 16; b++) {
    const i = UUID_CHAR[b];
    const c0 = v.charCodeAt(i);
    const c1 = v.charCodeAt(i + 1);
    const hi = c0 < 128 ? HEX[c0] : -1;
    const lo = c1 < 128 ? HEX[c1] : -1;
    bad |= hi | lo;
    buf[base + b] = (hi << 4) | lo;
  }
  if (bad < 0) return false;
  w.pos += 16;
  return true;
}

/** A dotted IPv4 address (stored v4-mapped). IPv6 text takes the JSON path. */
export function encodeIp(w: ByteWriter, v: unknown): boolean {
  if (typeof v !== "string" || v.length < 7 || v.length > 15) return false;
  w.ensure(16);
  const buf = w.buf;
  const base = w.pos;
  let octet = 0;
  let digits = 0;
  let k = 0;
  for (let i = 0; i <= v.length; i++) {
    const c = i < v.length ? v.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || octet > 255 || k > 3) return false;
      buf[base + 12 + k++] = octet;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      // No leading zeros: their meaning (octal or decimal) is ambiguous.
      if (digits === 1 && octet === 0) return false;
      octet = octet * 10 + c - 48;
      digits++;
    } else return false;
  }
  if (k !== 4) return false;
  buf.fill(0, base, base + 10);
  buf[base + 10] = 0xff;
  buf[base + 11] = 0xff;
  w.pos += 16;
  return true;
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digitsAt(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** `YYYY-MM-DDTHH:MM:SS.sssZ` (what every stage writes) as epoch milliseconds. */
export function encodeTime(w: ByteWriter, v: unknown): boolean {
  if (typeof v !== "string" || v.length !== 24) return false;
  if (
    v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 ||
    v.charCodeAt(10) !== 84 || v.charCodeAt(13) !== 58 ||
    v.charCodeAt(16) !== 58 || v.charCodeAt(19) !== 46 ||
    v.charCodeAt(23) !== 90
  ) return false;
  const y = digitsAt(v, 0, 4);
  const mo = digitsAt(v, 5, 2);
  const d = digitsAt(v, 8, 2);
  const h = digitsAt(v, 11, 2);
  const mi = digitsAt(v, 14, 2);
  const s = digitsAt(v, 17, 2);
  const ms = digitsAt(v, 20, 3);
  if (
    y < 1900 || y > 2262 || mo < 1 || mo > 12 || d < 1 || d > DAYS[mo - 1] ||
    h > 23 || mi > 59 || s > 59 || ms < 0
  ) return false;
  if (mo === 2 && d === 29 && (y % 4 !== 0 || (y % 100 === 0 && y % 400))) {
    return false;
  }
  // Days since 1970 from the civil date (H. Hinnant's algorithm): integer
  // arithmetic instead of a Date.UTC call.
  const yy = mo <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5) + d - 1;
  const days = era * 146097 + yoe * 365 + Math.floor(yoe / 4) -
    Math.floor(yoe / 100) + doy - 719468;
  w.i64(((days * 24 + h) * 60 + mi) * 60000 + s * 1000 + ms);
  return true;
}

/** One column of a table as `system.columns` describes it. */
export interface ColumnType {
  name: string;
  type: string;
}

/** Encodes whole records of one table; see {@link compileTable}. */
export interface RecordEncoder {
  /** The columns written, in order (for `INSERT INTO t (…)`). */
  readonly columns: readonly string[];
  /** `name Type, …` of the written columns (a `file()` structure). */
  readonly structure: string;
  /**
   * Appends one row; returns false (and restores `w`) when the record must
   * take the JSONEachRow path instead. Throws {@link RefusedValue} (and
   * restores `w`) for a value no path may store.
   */
  encode(w: ByteWriter, record: AnyRecord, line: string): boolean;
}

/**
 * A value the store must refuse although ClickHouse would take it: a
 * non-string for an Enum8 column, which JSONEachRow reads as the value's
 * index (`"severity": 5` stored as 'critical'). Only with --trust-input
 * does one get this far; schema validation refuses it otherwise.
 */
export class RefusedValue extends Error {
  override name = "RefusedValue";
}

/** A leaf "encoder" that throws the {@link RefusedValue} for `path`. */
function enumRefusal(path: string, values: string[]): ValueEncoder {
  const allowed = values.map((x) => `'${x}'`).join(", ");
  return (_w, v) => {
    throw new RefusedValue(
      `${path}: ${
        JSON.stringify(v) ?? String(v)
      } is not one of the Enum8 values ${allowed} (a number is not taken as the value's index)`,
    );
  };
}

/** Columns the database fills itself. */
const DB_FILLED = new Set(["inserted_at"]);

/**
 * Compiles a RowBinary encoder for a table from its columns, or returns null
 * when a column type is not supported. Top-level columns are required (a
 * record without one takes the JSON path, which applies the column default);
 * `payload` may be a JSON object, stored as its original text with
 * `payload_type` 'json'.
 *
 * The row function is generated as source once per table so that every
 * entity field is read with a constant key (`o["ip"]`): V8 then uses inline
 * caches instead of generic keyed lookups, which halves the encoding time.
 */
export function compileTable(
  columns: readonly ColumnType[],
): RecordEncoder | null {
  const names: string[] = [];
  const structure: string[] = [];
  const leaf: ValueEncoder[] = [];
  const defaults: Uint8Array[] = [];
  let vars = 0;
  let code = "";
  const lit = (s: string) => JSON.stringify(s);

  /** Upper bound of the fixed-size bytes written between two checked writes. */
  let fixed = 0;
  const UINT_WRITE: Record<string, (v: string) => string> = {
    UInt8: (v) => `w.buf[w.pos++] = ${v};`,
    UInt16: (v) => `w.view.setUint16(w.pos, ${v}, true); w.pos += 2;`,
    UInt32: (v) => `w.view.setUint32(w.pos, ${v}, true); w.pos += 4;`,
    UInt64: (v) =>
      `w.view.setUint32(w.pos, ${v} >>> 0, true); w.view.setUint32(w.pos + 4, Math.floor(${v} / 4294967296), true); w.pos += 8;`,
  };
  const FIXED_SIZE: Record<string, number> = {
    UInt8: 1,
    UInt16: 2,
    UInt32: 4,
    UInt64: 8,
  };

  /**
   * The statements for one element of an Array or Map (local `x`) and the
   * fixed-size bytes one element writes unchecked (`each`, ensured per
   * element). The container itself writes at most its empty length byte
   * after the preceding fixed-size values, so {@link fixed} becomes the
   * larger of the two runs.
   */
  const element = (
    type: string,
    x: string,
    path: string,
  ): { sub: string; each: number } | null => {
    const outer = fixed + 1; // the empty container's length byte
    fixed = 0;
    const sub = gen(type, x, path);
    const each = fixed;
    fixed = Math.max(outer, each);
    return sub === null ? null : { sub, each };
  };

  /**
   * Statements that encode local `v` of ClickHouse type `type`, each leaf
   * written in place: no per-value function dispatch, and fixed-size values
   * without bounds checks (see {@link ByteWriter.slack}).
   */
  const gen = (type: string, v: string, path: string): string | null => {
    let t: string | null;
    if ((t = inner(type, "LowCardinality")) !== null) {
      return gen(t.trim(), v, path);
    }
    if ((t = inner(type, "Nullable")) !== null) {
      fixed += 1;
      const sub = gen(t.trim(), v, path);
      if (sub === null) return null;
      return `if (${v} == null) w.buf[w.pos++] = 1;
else {\nw.buf[w.pos++] = 0;\n${sub}}\n`;
    }
    if ((t = inner(type, "Tuple")) !== null) {
      const whole = compileType(type);
      if (!whole) return null;
      const d = new ByteWriter(256);
      whole(d, undefined);
      const dflt = defaults.push(d.bytes().slice()) - 1;
      let body = "";
      for (const el of splitTop(t)) {
        const sp = el.indexOf(" ");
        if (sp < 0) return null;
        const x = `v${vars++}`;
        const sub = gen(
          el.slice(sp + 1).trim(),
          x,
          `${path}.${el.slice(0, sp)}`,
        );
        if (sub === null) return null;
        body += `const ${x} = ${v}[${lit(el.slice(0, sp))}];\n${sub}`;
      }
      // An absent entity's default bytes (a few dozen), copied in JS:
      // cheaper than a native TypedArray.set call.
      const len = defaults[dflt].length;
      return `if (${v} == null) {
w.ensure(${len});
const d = D[${dflt}], b = w.buf, p = w.pos;
for (let j = 0; j < ${len}; j++) b[p + j] = d[j];
w.pos = p + ${len};
} else if (typeof ${v} !== "object" || Array.isArray(${v})) return false;
else {\n${body}}\n`;
    }
    if (type === "String") {
      return `if (typeof ${v} !== "string") return false;\nw.str(${v});\n`;
    }
    if (type in UINT_MAX) {
      fixed += FIXED_SIZE[type];
      return `if (typeof ${v} !== "number" || !Number.isInteger(${v}) || ${v} < 0 || ${v} > ${
        UINT_MAX[type]
      }) return false;\n${UINT_WRITE[type](v)}\n`;
    }
    if (type === "Float64") {
      fixed += 8;
      return `if (typeof ${v} !== "number") return false;
w.view.setFloat64(w.pos, ${v}, true); w.pos += 8;\n`;
    }
    if ((t = inner(type, "Enum8")) !== null) {
      let cases = "";
      const values: string[] = [];
      for (const item of splitTop(t)) {
        const m = /^'((?:[^'\\]|\\.)*)'\s*=\s*(-?\d+)$/.exec(item);
        if (!m || m[1].includes("\\")) return null;
        values.push(m[1]);
        cases += `case ${lit(m[1])}: w.buf[w.pos++] = ${
          Number(m[2]) & 0xff
        }; break;\n`;
      }
      fixed += 1;
      // A string not among the values takes the JSON path (ClickHouse
      // refuses it with its own message); anything else is refused here,
      // since JSONEachRow would take a number as the value's index.
      const refusal = leaf.push(enumRefusal(path, values)) - 1;
      return `switch (${v}) {\n${cases}default:
if (${v} !== undefined && typeof ${v} !== "string") E[${refusal}](w, ${v});
return false;\n}\n`;
    }
    if ((t = inner(type, "Array")) !== null) {
      const x = `v${vars++}`;
      const i = `i${vars++}`;
      const el = element(t.trim(), x, `${path}[]`);
      if (el === null) return null;
      const { sub, each } = el;
      return `if (${v} == null) w.buf[w.pos++] = 0;
else if (!Array.isArray(${v})) return false;
else {
w.varint(${v}.length);
for (let ${i} = 0; ${i} < ${v}.length; ${i}++) {
const ${x} = ${v}[${i}];
${each ? `w.ensure(${each});\n` : ""}${sub}}
}\n`;
    }
    if ((t = inner(type, "Map")) !== null) {
      const [k, val] = splitTop(t);
      if (k !== "String") return null;
      const key = `k${vars++}`;
      const x = `v${vars++}`;
      const el = element(val.trim(), x, `${path}{}`);
      if (el === null) return null;
      const { sub, each } = el;
      const n = `n${vars++}`;
      // Object.keys would allocate an array per map; for-in twice does not.
      return `if (${v} == null) w.buf[w.pos++] = 0;
else if (typeof ${v} !== "object" || Array.isArray(${v})) return false;
else {
let ${n} = 0;
for (const ${key} in ${v}) ${n}++;
w.varint(${n});
for (const ${key} in ${v}) {
const ${x} = ${v}[${key}];
w.str(${key});
${each ? `w.ensure(${each});\n` : ""}${sub}}
}\n`;
    }
    // UUID, IPv6, DateTime64 (checked writes) and anything else compileType knows.
    const e = type === "UUID"
      ? encodeUuid
      : type === "IPv6"
      ? encodeIp
      : type === "DateTime64(3, 'UTC')" || type === "DateTime64(3)"
      ? encodeTime
      : compileType(type);
    if (!e) return null;
    leaf.push(e);
    return `if (!E[${leaf.length - 1}](w, ${v})) return false;\n`;
  };

  for (const col of columns) {
    if (DB_FILLED.has(col.name)) continue;
    const type = col.type.trim();
    names.push(col.name);
    structure.push(`\`${col.name}\` ${type}`);
    const v = `v${vars++}`;
    const read = columnRead(col.name, type, v);
    const body = gen(type, v, col.name);
    if (body === null) return null;
    code += read + body;
  }
  const row = new Function(
    "E",
    "D",
    "payloadText",
    `"use strict";\nreturn function encodeRow(w, r, line) {
w.slack = ${fixed};\nw.ensure(0);\n${code}return true;\n};`,
  )(leaf, defaults, payloadText) as (
    w: ByteWriter,
    r: AnyRecord,
    line: string,
  ) => boolean;
  return {
    columns: names,
    structure: structure.join(", "),
    encode(w, record, line) {
      const start = w.pos;
      try {
        if (row(w, record, line)) return true;
      } catch (e) {
        w.pos = start;
        throw e;
      }
      w.pos = start;
      return false;
    },
  };
}

/**
 * Generated code that reads column `name` of record `r` into variable `v`
 * (for the compiled encoders): the payload as its JSON text, its type, or
 * the field; a missing required field makes the record decline
 * (`return false`), one a Nullable/Tuple/Map/Array column can do without
 * does not.
 */
function columnRead(name: string, type: string, v: string): string {
  if (name === "payload_type") {
    return `const ${v} = typeof r.payload === "object" ? "json" : "string";\n`;
  }
  if (name === "payload") {
    return `const ${v} = payloadText(r.payload, line);
if (${v} === undefined) return false;\n`;
  }
  if (/^(Nullable|Tuple|Map|Array)\(/.test(type)) {
    return `const ${v} = r[${JSON.stringify(name)}];\n`;
  }
  return `const ${v} = r[${JSON.stringify(name)}];
if (${v} === undefined) return false;\n`;
}

/**
 * The stored text of a payload: the string itself, or a JSON object's
 * original text (only when re-serializing it gives exactly the input's text;
 * otherwise undefined, and the record takes the JSON path, which copies it).
 * (Measured: finding the object's raw text in the line with a JS scanner
 * instead costs as much as this, lines from JSON input being sliced strings
 * whose per-char reads are slow.)
 */
export function payloadText(p: unknown, line: string): string | undefined {
  if (typeof p === "string") return p;
  if (typeof p !== "object" || p === null || Array.isArray(p)) return undefined;
  const text = JSON.stringify(p);
  // Usually the payload is the line's last member: compare there first
  // instead of searching the whole line.
  if (!line.endsWith(text, line.length - 1) && !line.includes(text)) {
    return undefined;
  }
  // JSON.stringify writes `\u` only for control characters and lone
  // surrogates; the latter are stored as U+FFFD, as on the JSON path.
  return text.indexOf("\\u") < 0 ? text : wellFormedJsonText(text);
}

/** The value of 4 hex digits at `at`, or -1. */
function hex4(s: string, at: number): number {
  let v = 0;
  for (let i = at; i < at + 4; i++) {
    const c = s.charCodeAt(i);
    const d = c < 128 ? HEX[c] : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/**
 * JSON text with every escaped lone surrogate (`\ud800` without its low
 * half, or a `\udc00` without its high half) replaced by U+FFFD, the
 * character TextEncoder writes for a lone surrogate on the RowBinary path.
 * Such escapes are valid JSON but not Unicode text: ClickHouse refuses them
 * in some columns (CANNOT_PARSE_ESCAPE_SEQUENCE) and stores them as invalid
 * UTF-8 in others. Escaped pairs and escaped backslashes (`\\ud800`) are
 * kept. Returns `text` itself when there is nothing to replace.
 */
export function wellFormedJsonText(text: string): string {
  let out = "";
  let from = 0;
  // Every backslash in JSON text starts an escape (there are none outside
  // strings), so escapes are found by hopping from one to the next.
  let i = text.indexOf("\\");
  while (i >= 0) {
    if (text.charCodeAt(i + 1) !== 117) { // not \u
      i = text.indexOf("\\", i + 2);
      continue;
    }
    const unit = hex4(text, i + 2);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      if (
        text.charCodeAt(i + 6) === 92 && text.charCodeAt(i + 7) === 117
      ) {
        const low = hex4(text, i + 8);
        if (low >= 0xdc00 && low <= 0xdfff) { // a pair: kept
          i = text.indexOf("\\", i + 12);
          continue;
        }
      }
    } else if (unit < 0xdc00 || unit > 0xdfff) { // not a surrogate
      i = text.indexOf("\\", i + 6);
      continue;
    }
    out += text.slice(from, i) + "\uFFFD";
    from = i + 6;
    i = text.indexOf("\\", from);
  }
  return from === 0 ? text : out + text.slice(from);
}
