/**
 * Syslog over TCP framing (RFC 6587). Senders use either octet counting
 * (`MSG-LEN SP SYSLOG-MSG`) or non-transparent framing (messages ended by
 * LF). The method is detected per frame from its first byte, as RFC 6587
 * §3.4 suggests: a digit starts an octet count, anything else (normally
 * `<`) a line.
 */

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const NUL = 0x00;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/** A frame that could not be delivered, with a readable reason. */
export interface SyslogFrameReject {
  code: "oversize" | "unparseable";
  reason: string;
  /** The start of the offending bytes, decoded, for a dead letter. */
  input: string;
  /** Size of the whole frame in bytes, when known. */
  bytes?: number;
}

/** Frames and rejects found in the bytes pushed so far. */
export interface SyslogFrames {
  messages: string[];
  rejects: SyslogFrameReject[];
}

/** Default largest syslog message accepted (RFC 5425 asks for ≥ 8192). */
export const DEFAULT_MAX_SYSLOG_BYTES = 64 * 1024;

/** Longest octet count prefix accepted (10 digits is beyond any limit). */
const MAX_COUNT_DIGITS = 10;

/**
 * Incremental decoder for one TCP connection. Push chunks as they arrive;
 * call {@link end} when the connection closes.
 */
export class SyslogFrameDecoder {
  readonly #max: number;
  readonly #decoder = new TextDecoder();
  #buf: Uint8Array = new Uint8Array(0);
  /** Bytes of an oversize frame still to skip (octet-counted). */
  #skipBytes = 0;
  /** Skipping an oversize line until its LF. */
  #skipLine = false;

  constructor(maxMessageBytes = DEFAULT_MAX_SYSLOG_BYTES) {
    this.#max = maxMessageBytes;
  }

  /** Adds received bytes; returns the messages completed by them. */
  push(chunk: Uint8Array): SyslogFrames {
    const out: SyslogFrames = { messages: [], rejects: [] };
    let buf = chunk;
    if (this.#buf.length > 0) {
      buf = new Uint8Array(this.#buf.length + chunk.length);
      buf.set(this.#buf);
      buf.set(chunk, this.#buf.length);
    }
    let i = 0;
    const n = buf.length;
    while (i < n) {
      if (this.#skipBytes > 0) {
        const take = Math.min(this.#skipBytes, n - i);
        this.#skipBytes -= take;
        i += take;
        continue;
      }
      if (this.#skipLine) {
        const lf = buf.indexOf(LF, i);
        if (lf === -1) {
          i = n;
          break;
        }
        this.#skipLine = false;
        i = lf + 1;
        continue;
      }
      const c = buf[i];
      // Stray separators between frames (some senders add LF after an
      // octet-counted frame).
      if (c === LF || c === CR || c === NUL || c === SP) {
        i++;
        continue;
      }
      if (c >= DIGIT_0 && c <= DIGIT_9) {
        // Octet counting: digits, one space, then exactly that many bytes.
        let j = i;
        let len = 0;
        while (j < n && buf[j] >= DIGIT_0 && buf[j] <= DIGIT_9) {
          len = len * 10 + (buf[j] - DIGIT_0);
          j++;
          if (j - i > MAX_COUNT_DIGITS) break;
        }
        if (j - i > MAX_COUNT_DIGITS || (j < n && buf[j] !== SP)) {
          // Not an octet count after all: a line that starts with a digit.
          const end = this.#lineEnd(buf, i, out);
          if (end === -1) break;
          i = end;
          continue;
        }
        if (j === n) break; // need more bytes to see the space
        const start = j + 1;
        if (len > this.#max) {
          out.rejects.push({
            code: "oversize",
            reason:
              `syslog frame of ${len} bytes exceeds the limit of ${this.#max} bytes`,
            input: this.#decoder.decode(
              buf.subarray(start, Math.min(n, start + 256)),
            ),
            bytes: len,
          });
          this.#skipBytes = len;
          i = start;
          continue;
        }
        if (n - start < len) break; // incomplete frame
        out.messages.push(
          this.#decoder.decode(buf.subarray(start, start + len)),
        );
        i = start + len;
        continue;
      }
      const end = this.#lineEnd(buf, i, out);
      if (end === -1) break;
      i = end;
    }
    this.#buf = i < n ? buf.slice(i) : new Uint8Array(0);
    return out;
  }

  /**
   * Emits the LF-terminated line starting at `i`; returns the index after
   * it, or -1 when the line is not complete yet (it stays buffered unless it
   * is already oversize, in which case it is rejected and skipped).
   */
  #lineEnd(buf: Uint8Array, i: number, out: SyslogFrames): number {
    const lf = buf.indexOf(LF, i);
    const end = lf === -1 ? buf.length : lf;
    if (end - i > this.#max) {
      out.rejects.push({
        code: "oversize",
        reason: `syslog line longer than the limit of ${this.#max} bytes`,
        input: this.#decoder.decode(buf.subarray(i, i + 256)),
        // Unknown while the rest of the line is still to come.
        bytes: lf === -1 ? undefined : end - i,
      });
      if (lf === -1) {
        this.#skipLine = true;
        return buf.length;
      }
      return lf + 1;
    }
    if (lf === -1) return -1;
    let stop = lf;
    if (stop > i && buf[stop - 1] === CR) stop--;
    out.messages.push(this.#decoder.decode(buf.subarray(i, stop)));
    return lf + 1;
  }

  /**
   * End of the connection: a final line without LF is still a message; an
   * incomplete octet-counted frame is rejected.
   */
  end(): SyslogFrames {
    const out: SyslogFrames = { messages: [], rejects: [] };
    const buf = this.#buf;
    this.#buf = new Uint8Array(0);
    if (buf.length === 0 || this.#skipLine || this.#skipBytes > 0) return out;
    const text = this.#decoder.decode(buf).replace(/[\r\n\0 ]+$/, "");
    if (text.length === 0) return out;
    if (/^\d+ /.test(text)) {
      out.rejects.push({
        code: "unparseable",
        reason: "connection closed inside an octet-counted syslog frame",
        input: text.slice(0, 256),
      });
    } else {
      out.messages.push(text);
    }
    return out;
  }
}

/**
 * One UDP datagram is one message (RFC 5426); trailing line breaks and NULs
 * some senders add are dropped.
 */
export function syslogDatagramMessage(datagram: Uint8Array): string {
  let end = datagram.length;
  while (
    end > 0 &&
    (datagram[end - 1] === LF || datagram[end - 1] === CR ||
      datagram[end - 1] === NUL)
  ) end--;
  return new TextDecoder().decode(datagram.subarray(0, end));
}
