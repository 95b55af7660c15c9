/**
 * Binary values for the Native encoder of the chDB store (native.ts): a
 * growable byte writer, checked in-place writers for the value forms every
 * stage writes (canonical UUIDs, dotted IPv4 addresses, RFC 3339 UTC times
 * with milliseconds), a payload's stored text, and the generated column
 * reads. Anything else is declined and takes the JSONEachRow path.
 */

/** A growable byte buffer. */
export class ByteWriter {
  buf: Uint8Array;
  view: DataView;
  pos = 0;

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

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
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
export function inner(type: string, name: string): string | null {
  return type.startsWith(name + "(") && type.endsWith(")")
    ? type.slice(name.length + 1, -1).trim()
    : null;
}

export const UINT_MAX: Record<string, number> = {
  UInt8: 0xff,
  UInt16: 0xffff,
  UInt32: 0xffffffff,
  UInt64: Number.MAX_SAFE_INTEGER,
};

/** Hex digit values by char code (< 128), -1 for anything else. */
const HEX = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) HEX[97 + c] = HEX[65 + c] = 10 + c;

// Byte b of a UUID in ClickHouse's binary form (two little-endian UInt64
// halves) is the
// hex pair at UUID_CHAR[b] of the 8-4-4-4-12 text.
const UUID_CHAR = [
  16,
  14,
  11,
  9,
  6,
  4,
  2,
  0,
  34,
  32,
  30,
  28,
  26,
  24,
  21,
  19,
];

/**
 * Writes a canonical 8-4-4-4-12 UUID's 16 bytes at `base`; false (with
 * bytes possibly written) for anything else.
 */
export function uuidAt(buf: Uint8Array, base: number, v: unknown): boolean {
  if (typeof v !== "string" || v.length !== 36) return false;
  if (
    v.charCodeAt(8) !== 45 || v.charCodeAt(13) !== 45 ||
    v.charCodeAt(18) !== 45 || v.charCodeAt(23) !== 45
  ) return false;
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
  return bad >= 0;
}

/**
 * Writes a dotted IPv4 address as the 16 bytes of its v4-mapped IPv6 form
 * at `base`; false (with bytes possibly written) for anything else.
 */
export function ipAt(buf: Uint8Array, base: number, v: unknown): boolean {
  if (typeof v !== "string" || v.length < 7 || v.length > 15) return false;
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
  for (let i = 0; i < 10; i++) buf[base + i] = 0;
  buf[base + 10] = 0xff;
  buf[base + 11] = 0xff;
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

/**
 * Writes a `YYYY-MM-DDTHH:MM:SS.sssZ` time as Int64 epoch milliseconds
 * (little-endian) at `at`; false (nothing written) for anything else.
 */
export function timeAt(view: DataView, at: number, v: unknown): boolean {
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
  const t = ((days * 24 + h) * 60 + mi) * 60000 + s * 1000 + ms;
  // Two's complement from two halves (no BigInt): exact for safe integers.
  view.setUint32(at, t >>> 0, true);
  view.setInt32(at + 4, Math.floor(t / 4294967296), true);
  return true;
}

/** One column of a table as `system.columns` describes it. */
export interface ColumnType {
  name: string;
  type: string;
}

/** Columns the database fills itself. */
export const DB_FILLED = new Set(["inserted_at"]);

/**
 * Generated code that reads column `name` of record `r` into variable `v`
 * (for the compiled encoders): the payload as its JSON text, its type, or
 * the field; a missing required field makes the record decline
 * (`return false`), one a Nullable/Tuple/Map/Array column can do without
 * does not.
 */
export function columnRead(name: string, type: string, v: string): string {
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
 * character TextEncoder writes for a lone surrogate on the Native path.
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
