/**
 * Stream adapters: stdin/stdout (`-`) and files (`file:PATH`). Input is
 * framed by the shared {@link LineFramer}; output is written batch by batch,
 * each write awaited, so a slow consumer slows the producer (back-pressure)
 * and nothing is buffered without bound.
 */
import { LineFramer } from "../ndjson.ts";
import type {
  InputBatch,
  OutputRecord,
  RecordSink,
  RecordSource,
} from "./types.ts";

const noCommit = () => Promise.resolve();

/** What {@link StreamSource} reads from: stdin or an open file. */
export interface ByteReader {
  read(p: Uint8Array): Promise<number | null>;
  close(): void;
}

/**
 * Read size. Direct reads into one reused buffer cost about a third of what a
 * ReadableStream does per byte (measured on stdin, pipe and file); the framer
 * copies whatever it keeps, so the buffer can be reused at once.
 */
const READ_BYTES = 1 << 20;

/** Reads NDJSON lines from stdin or a file. */
export class StreamSource implements RecordSource {
  readonly describe: string;
  readonly drainOnStop: boolean;
  readonly #open: () => Promise<ByteReader>;
  readonly #maxLineBytes: number;
  #reader: ByteReader | null = null;
  #closed = false;

  constructor(
    describe: string,
    open: () => Promise<ByteReader>,
    maxLineBytes: number,
    drainOnStop = false,
  ) {
    this.describe = describe;
    this.#open = open;
    this.#maxLineBytes = maxLineBytes;
    this.drainOnStop = drainOnStop;
  }

  async *batches(): AsyncIterable<InputBatch> {
    if (this.#closed) return;
    const framer = new LineFramer(this.#maxLineBytes);
    this.#reader = await this.#open();
    const buf = new Uint8Array(READ_BYTES);
    while (!this.#closed) {
      let n: number | null;
      try {
        n = await this.#reader.read(buf);
      } catch (e) {
        // close() aborts a pending read by closing the resource.
        if (this.#closed) break;
        throw e;
      }
      if (n === null) break;
      const f = framer.push(buf.subarray(0, n));
      if (f.lines.length || f.oversize.length) yield toBatch(f);
    }
    const f = framer.end();
    if (f.lines.length || f.oversize.length) yield toBatch(f);
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    try {
      this.#reader?.close();
    } catch {
      // already closed
    }
    return Promise.resolve();
  }
}

function toBatch(
  f: {
    lines: string[];
    numbers: number[];
    oversize: { line: number; bytes: number; head: string }[];
  },
): InputBatch {
  return {
    lines: f.lines,
    numbers: f.numbers,
    oversize: f.oversize,
    commit: noCommit,
  };
}

const encoder = new TextEncoder();

/**
 * Initial size of a sink's encoding buffer. It grows with the text's length
 * in UTF-16 units (ASCII batches then fit whole; other text may go out in
 * two or three pieces) and is kept for the next batch.
 */
const OUT_BUFFER = 1 << 20;
/** The encoding buffer grows no further: longer text is written in pieces. */
const MAX_OUT_BUFFER = 16 << 20;

/** A file a sink can cut back to where a failed write began. */
interface Rewindable {
  truncate(len: number): Promise<void>;
  seek(offset: number, whence: Deno.SeekMode): Promise<number>;
}

/** Writes NDJSON lines to a byte sink (stdout or a file). */
export class StreamSink implements RecordSink {
  readonly describe: string;
  readonly #file: { write(p: Uint8Array): Promise<number>; close?(): void };
  readonly #closeFile: boolean;
  /** Set for a regular file: failed writes are cut back (no torn lines). */
  readonly #rewind: Rewindable | undefined;
  /** Bytes in the file: where the next write begins. */
  #size: number;
  /** Set once the reader of a pipe is gone: no write can succeed again. */
  #broken: Error | null = null;
  /** Encoding buffer, reused by every write (they are queued). */
  #buf = new Uint8Array(OUT_BUFFER);
  #queue: Promise<void> = Promise.resolve();

  constructor(
    describe: string,
    file: { write(p: Uint8Array): Promise<number>; close?(): void },
    closeFile: boolean,
    rewind?: { file: Rewindable; size: number },
  ) {
    this.describe = describe;
    this.#file = file;
    this.#closeFile = closeFile;
    this.#rewind = rewind?.file;
    this.#size = rewind?.size ?? 0;
  }

  async write(records: OutputRecord[]): Promise<void> {
    if (records.length === 0) return;
    let text = "";
    for (let i = 0; i < records.length; i++) text += records[i].line + "\n";
    await this.writeText(text);
  }

  /**
   * Writes already-serialized NDJSON text (used by stages that build lines
   * themselves). Writes are queued: each goes out whole, in call order.
   */
  writeText(text: string): Promise<void> {
    const run = async () => {
      if (this.#broken) throw this.#broken;
      const start = this.#size;
      try {
        await this.#writeEncoded(text);
      } catch (e) {
        if (e instanceof Deno.errors.BrokenPipe) {
          this.#broken = new Error(
            `${this.describe}: the reader closed the pipe`,
          );
          throw this.#broken;
        }
        // E.g. a full disk part-way through: the file is cut back to where
        // this write began, so a batch lands whole or not at all and a
        // later write (once there is room) does not follow a torn line.
        if (this.#rewind && this.#size > start) {
          try {
            await this.#rewind.truncate(start);
            await this.#rewind.seek(start, Deno.SeekMode.Start);
            this.#size = start;
          } catch (cut) {
            this.#broken = new Error(
              `${this.describe}: a write failed (${
                (e as Error).message
              }) and the partial write could not be removed (${
                (cut as Error).message
              })`,
            );
            throw this.#broken;
          }
        }
        throw e;
      }
    };
    const done = this.#queue.then(run, run);
    this.#queue = done.catch(() => {});
    return done;
  }

  /**
   * UTF-8 of `text` through one reused buffer: `encodeInto` a buffer that
   * is already there costs a third of `encode`, which allocates (and
   * zeroes) a new one per batch. Text longer than the buffer's cap goes
   * out in pieces (`encodeInto` never splits a character).
   */
  async #writeEncoded(text: string): Promise<void> {
    if (this.#buf.length < text.length && this.#buf.length < MAX_OUT_BUFFER) {
      let size = this.#buf.length * 2;
      while (size < text.length && size < MAX_OUT_BUFFER) size *= 2;
      this.#buf = new Uint8Array(size);
    }
    let rest = text;
    while (rest.length > 0) {
      const { read, written } = encoder.encodeInto(rest, this.#buf);
      await this.#writeAll(this.#buf.subarray(0, written));
      rest = read < rest.length ? rest.slice(read) : "";
    }
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) {
      const n = await this.#file.write(bytes.subarray(off));
      off += n;
      this.#size += n;
    }
  }

  /** Resolves once every queued write has gone out (or failed). */
  flush(): Promise<void> {
    return this.#queue;
  }

  async close(): Promise<void> {
    await this.#queue;
    if (this.#closeFile) {
      try {
        this.#file.close?.();
      } catch {
        // already closed
      }
    }
  }

  ready(): boolean {
    return this.#broken === null;
  }

  /** Why no write can succeed again (the pipe's reader is gone), if so. */
  get lost(): Error | null {
    return this.#broken;
  }
}

/** stdin as a source (drained on a signal unless it is a terminal). */
export function stdinSource(maxLineBytes: number): StreamSource {
  return new StreamSource(
    "stdin",
    () => Promise.resolve(Deno.stdin),
    maxLineBytes,
    !Deno.stdin.isTerminal(),
  );
}

/** A file as a source. */
export function fileSource(path: string, maxLineBytes: number): StreamSource {
  return new StreamSource(
    `file:${path}`,
    () => Deno.open(path, { read: true }),
    maxLineBytes,
  );
}

/** stdout as a sink. */
export function stdoutSink(): StreamSink {
  return new StreamSink("stdout", Deno.stdout, false);
}

/** A file as a sink (created or truncated, like the shell's `>`). */
export async function fileSink(
  path: string,
  append = false,
): Promise<StreamSink> {
  const f = await Deno.open(path, {
    write: true,
    create: true,
    truncate: !append,
    append,
  });
  // A regular file can be cut back after a failed write; a device or a
  // named pipe cannot (and needs not: nothing is kept there).
  const info = await f.stat();
  return new StreamSink(
    `file:${path}`,
    f,
    true,
    info.isFile ? { file: f, size: info.size } : undefined,
  );
}
