/**
 * NDJSON framing: bytes in, lines out, with a maximum line size, and the
 * matching buffered writer. The one implementation every stage uses.
 */

/** Default maximum size of one line, in bytes (1 MiB): raw events. */
export const DEFAULT_MAX_LINE_BYTES = 1 << 20;

/**
 * Default line limit of stages downstream of the parser (4 MiB). An enriched
 * event carries the original payload (up to the parser's own limit) plus
 * everything extracted from it, so a record the parser accepted must never be
 * too long for the detector or the sink.
 */
export const ENRICHED_MAX_LINE_BYTES = 4 << 20;

/** A line that exceeded the maximum size. */
export interface OversizeLine {
  /** 1-based line number. */
  line: number;
  /** Total bytes of the line (without the newline). */
  bytes: number;
  /** The first bytes of the line, decoded. */
  head: string;
}

/** What one {@link LineFramer.push} produced. */
export interface FramedLines {
  /** Complete, non-blank lines (without newline or trailing `\r`). */
  lines: string[];
  /** 1-based line number of each entry in `lines`. */
  numbers: number[];
  /** Lines over the size limit; they are absent from `lines`. */
  oversize: OversizeLine[];
}

const HEAD_BYTES = 4096;

/**
 * Splits a byte stream into lines. Blank lines are skipped (but counted).
 * A trailing `\r` is removed. Invalid UTF-8 becomes U+FFFD rather than an
 * error: the line still reaches the stage, which can keep or reject it.
 * Lines longer than `maxLineBytes` are never buffered whole: the framer keeps
 * their first bytes for the dead letter and skips to the next newline.
 */
export class LineFramer {
  readonly #max: number;
  readonly #decoder = new TextDecoder();
  #carry: Uint8Array | null = null;
  #lineNo = 0;
  // Oversize state: skipping the rest of a line that is too long.
  #skipping = false;
  #skipBytes = 0;
  #skipHead = "";
  /** Whether the last byte skipped was a `\r` (of a CRLF, not counted). */
  #skipCr = false;

  constructor(maxLineBytes: number = DEFAULT_MAX_LINE_BYTES) {
    this.#max = maxLineBytes;
  }

  /** Frames one chunk. */
  push(chunk: Uint8Array): FramedLines {
    const out: FramedLines = { lines: [], numbers: [], oversize: [] };
    let start = 0;
    if (this.#skipping) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        this.#skipBytes += chunk.length;
        if (chunk.length) this.#skipCr = chunk[chunk.length - 1] === 13;
        return out;
      }
      this.#skipBytes += nl;
      if (nl > 0) this.#skipCr = chunk[nl - 1] === 13;
      this.#finishOversize(out);
      start = nl + 1;
    }
    const last = chunk.lastIndexOf(10);
    if (last < start) {
      this.#appendCarry(chunk.subarray(start));
      return out;
    }
    // Complete lines: carry + chunk[start..last]. Decode as one string when
    // there is no carry (the common case), which is much faster than one
    // decode per line.
    if (this.#carry) {
      const firstNl = chunk.indexOf(10, start);
      const head = concat(this.#carry, chunk.subarray(start, firstNl));
      this.#carry = null;
      if (contentBytes(head, 0, head.length) > this.#max) {
        this.#lineNo++;
        this.#recordOversize(out, head.length, head.subarray(0, HEAD_BYTES));
      } else {
        this.#addLine(out, this.#decoder.decode(head));
      }
      start = firstNl + 1;
    }
    if (start <= last) {
      const parts = this.#decoder.decode(chunk.subarray(start, last)).split(
        "\n",
      );
      // A part's length in UTF-16 units is at most its byte length, and at
      // least a third of it; measure exactly only when it could be too long,
      // in the input bytes (invalid UTF-8 decodes to 3-byte U+FFFD, so the
      // decoded text would overstate the line). Parts and `\n`-separated
      // byte ranges correspond one to one: a newline byte is always its own
      // character.
      const maybeLong = this.#max / 3;
      // Byte offset of part `fromPart`, advanced only when a long part needs
      // measuring (rare), so ordinary lines are not scanned twice.
      let from = start;
      let fromPart = 0;
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i];
        if (p.length > maybeLong) {
          for (; fromPart < i; fromPart++) from = chunk.indexOf(10, from) + 1;
          const to = i === parts.length - 1 ? last : chunk.indexOf(10, from);
          const bytes = contentBytes(chunk, from, to);
          const at = from;
          from = to + 1;
          fromPart = i + 1;
          if (bytes > this.#max) {
            this.#lineNo++;
            this.#recordOversize(
              out,
              bytes,
              chunk.subarray(at, Math.min(to, at + HEAD_BYTES)),
            );
            continue;
          }
        }
        this.#addLine(out, p);
      }
    }
    this.#appendCarry(chunk.subarray(last + 1));
    return out;
  }

  /** End of input: frames a final line without a newline. */
  end(): FramedLines {
    const out: FramedLines = { lines: [], numbers: [], oversize: [] };
    if (this.#skipping) this.#finishOversize(out);
    else if (this.#carry && this.#carry.length) {
      const c = this.#carry;
      this.#carry = null;
      this.#addLine(out, this.#decoder.decode(c));
    }
    return out;
  }

  #addLine(out: FramedLines, raw: string) {
    this.#lineNo++;
    const line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
    // Blank or whitespace-only lines carry nothing; a record starts with `{`.
    if (line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim() === "")) {
      return;
    }
    out.lines.push(line);
    out.numbers.push(this.#lineNo);
  }

  #appendCarry(rest: Uint8Array) {
    if (rest.length === 0) return;
    const total = (this.#carry?.length ?? 0) + rest.length;
    // One byte of slack: the line may end in the `\r` of a CRLF.
    if (total > this.#max + 1 || (total > this.#max && rest.at(-1) !== 13)) {
      const head = this.#carry
        ? concat(this.#carry, rest.subarray(0, HEAD_BYTES))
        : rest;
      this.#carry = null;
      this.#skipping = true;
      this.#skipBytes = total;
      this.#skipCr = rest[rest.length - 1] === 13;
      this.#skipHead = this.#decoder.decode(head.subarray(0, HEAD_BYTES));
      return;
    }
    // Copy: the caller may reuse the chunk's buffer.
    this.#carry = this.#carry ? concat(this.#carry, rest) : rest.slice();
  }

  #finishOversize(out: FramedLines) {
    this.#lineNo++;
    out.oversize.push({
      line: this.#lineNo,
      bytes: this.#skipBytes - (this.#skipCr ? 1 : 0),
      head: this.#skipHead,
    });
    this.#skipCr = false;
    this.#skipping = false;
    this.#skipBytes = 0;
    this.#skipHead = "";
  }

  #recordOversize(out: FramedLines, bytes: number, head: Uint8Array) {
    out.oversize.push({
      line: this.#lineNo,
      bytes,
      head: this.#decoder.decode(head),
    });
  }
}

/** Bytes of the line in `buf[from, to)`, without the `\r` of a CRLF. */
function contentBytes(buf: Uint8Array, from: number, to: number): number {
  return to > from && buf[to - 1] === 13 ? to - from - 1 : to - from;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const r = new Uint8Array(a.length + b.length);
  r.set(a, 0);
  r.set(b, a.length);
  return r;
}
