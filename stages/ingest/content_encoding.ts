/**
 * Compressed request bodies (`Content-Encoding`), as log shippers send
 * them: Vector's `compression = "gzip"` / `"zlib"`, Fluent Bit's
 * `compress gzip`, Logstash's `http_compression`, the OpenTelemetry
 * collector. Without this a gzip body was taken for text: a single event
 * was accepted (202) with binary junk for a payload, and a batch was
 * refused as malformed JSON, so the shipper retried it forever.
 *
 * The limits hold for what comes out as well as what goes in: the
 * compressed body is read within the route's byte limit, and decoding stops
 * (413) as soon as the output passes the same limit, so a small body that
 * expands to gigabytes (a "zip bomb") costs at most the limit. A body that
 * does not decode, truncated ones included, is refused (400): a truncated
 * stream must not become a shorter batch accepted as whole.
 */
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";
import { readAllBounded } from "../shared/bytes.ts";

/** Thrown by {@link decodeBody} when the body is not valid in its coding. */
export class UndecodableBody extends Error {}

/** Thrown by {@link decodeBody} when the decoded body passes the limit. */
export class DecodedTooLarge extends Error {}

type Decoder = (body: Uint8Array, maxBytes: number) => Promise<Uint8Array>;

/**
 * Decodes with node:zlib, whose gzip and zlib readers check the trailer
 * (a truncated body is an error), read a gzip body of several members as
 * `gunzip` does, and stop at `maxOutputLength`. The web
 * DecompressionStream does none of these (it refuses a second gzip member,
 * passes a truncated zlib stream as a shorter body, and decodes a whole
 * input chunk before its size can be checked).
 */
function zlibDecoder(
  decode: (b: Uint8Array, o: { maxOutputLength: number }) => Uint8Array,
): Decoder {
  return (body, maxBytes) => {
    try {
      // node:zlib refuses output longer than maxOutputLength: exactly the
      // limit passes, one byte more does not (as for a plain body).
      return Promise.resolve(decode(body, { maxOutputLength: maxBytes }));
    } catch (e) {
      if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
        throw new DecodedTooLarge();
      }
      throw new UndecodableBody((e as Error).message);
    }
  };
}

/**
 * brotli needs both decoders. node:zlib stops at `maxOutputLength` (the web
 * DecompressionStream hands over all the output of an input chunk at once,
 * so a 1.6 KB body of 1 GiB of zeros took 2 GB before any check), but it
 * passes a truncated stream as a shorter body, which the web decoder
 * reports. So: node:zlib first, bounded; then, its output known to fit,
 * the web decoder to check the stream is whole.
 */
const brotliBounded = zlibDecoder(brotliDecompressSync);
const brotliDecoder: Decoder = async (body, maxBytes) => {
  await brotliBounded(body, maxBytes);
  const whole = new Blob([body as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("brotli" as CompressionFormat));
  try {
    return await readAllBounded(whole, maxBytes, () => new DecodedTooLarge());
  } catch (e) {
    if (e instanceof DecodedTooLarge) throw e;
    throw new UndecodableBody((e as Error).message);
  }
};

const gzip = zlibDecoder(gunzipSync);

/** Decoders by coding name. HTTP's `deflate` is the zlib format (RFC 9110 §8.4.1.2). */
const DECODERS: Readonly<Record<string, Decoder>> = {
  gzip,
  "x-gzip": gzip,
  deflate: zlibDecoder(inflateSync),
  br: brotliDecoder,
};

/** Every `Content-Encoding` coding decoded (`x-gzip` is gzip's old name). */
export const CONTENT_CODINGS: readonly string[] = Object.keys(DECODERS);

/** The codings accepted, as sent in `Accept-Encoding` with a 415. */
export const ACCEPTED_ENCODINGS = CONTENT_CODINGS
  .filter((c) => c !== "x-gzip").join(", ");

/**
 * The codings of a `Content-Encoding` header in the order they were
 * applied (`identity` dropped), or the first one not supported.
 */
export function parseContentEncoding(
  header: string,
): { codings: string[] } | { unsupported: string } {
  const codings: string[] = [];
  for (const part of header.split(",")) {
    const c = part.trim().toLowerCase();
    if (c === "" || c === "identity") continue;
    if (DECODERS[c] === undefined) return { unsupported: part.trim() };
    codings.push(c);
  }
  return { codings };
}

/**
 * Undoes `codings` (as listed in the header: the last applied is undone
 * first), each step's output limited to `maxBytes`. Throws
 * {@link DecodedTooLarge} (its message: the coding) or
 * {@link UndecodableBody} (naming the coding and what is wrong).
 */
export async function decodeBody(
  body: Uint8Array,
  codings: readonly string[],
  maxBytes: number,
): Promise<Uint8Array> {
  let out = body;
  for (let i = codings.length - 1; i >= 0; i--) {
    try {
      out = await DECODERS[codings[i]](out, maxBytes);
    } catch (e) {
      if (e instanceof DecodedTooLarge) throw new DecodedTooLarge(codings[i]);
      throw new UndecodableBody(
        `the request body is not valid ${codings[i]} (${(e as Error).message})`,
      );
    }
  }
  return out;
}
