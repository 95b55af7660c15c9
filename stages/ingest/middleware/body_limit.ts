/**
 * Reads the request body within a byte limit: 413 at once when
 * Content-Length announces too much, and 413 as soon as a chunked body
 * grows past the limit while it is read, so a client cannot make ingest
 * buffer more than the limit. A body that cannot be read to its end (the
 * connection broke mid-body, or the server began shutting down while the
 * client was still sending) is 503 with Retry-After: nothing was accepted
 * and the client may send it again, which a 500 would not tell it.
 *
 * A body with a `Content-Encoding` (gzip, deflate, br) is decoded here,
 * within the same limit for its decoded size (see content_encoding.ts);
 * another coding is 415 with `Accept-Encoding` (RFC 7694), and a body that
 * does not decode is 400 `undecodable_body`.
 */
import { createMiddleware } from "hono/factory";
import { errorResponse, type IngestEnv } from "../http_env.ts";
import { readAllBounded } from "../../shared/bytes.ts";
import {
  ACCEPTED_ENCODINGS,
  decodeBody,
  DecodedTooLarge,
  parseContentEncoding,
} from "../content_encoding.ts";

/** Options of {@link boundedBody}. */
export interface BodyLimitOptions {
  maxBytes: number;
  /** Called on every refusal (for metrics). */
  onTooLarge?: () => void;
  /** Called when the body could not be read to its end (for metrics). */
  onUnreadable?: () => void;
  /** Called on a 415 for a Content-Encoding not supported (for metrics). */
  onUnsupportedEncoding?: () => void;
  /** Called on a 400 for a body that does not decode (for metrics). */
  onUndecodable?: () => void;
  /**
   * Retry-After (seconds) of the 503 answered for an unreadable body.
   * @default 1
   */
  retryAfterSeconds?: number;
}

/** Thrown by {@link readBounded} when the body exceeds the limit. */
export class BodyTooLarge extends Error {}

/**
 * Reads a stream up to `maxBytes` and decodes it as UTF-8 (invalid bytes
 * become U+FFFD). Throws {@link BodyTooLarge} past the limit, cancelling the
 * rest of the stream.
 */
export async function readBounded(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<string> {
  return new TextDecoder().decode(await readBoundedBytes(body, maxBytes));
}

/** The bytes of {@link readBounded}, not decoded. */
function readBoundedBytes(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<Uint8Array> {
  if (body === null) return Promise.resolve(new Uint8Array(0));
  return readAllBounded(
    body,
    maxBytes,
    () => new BodyTooLarge(`body exceeds ${maxBytes} bytes`),
  );
}

/**
 * Reads the body into the `body` variable, or answers 413 (too large) or
 * 503 `body_unreadable` (the body stopped arriving; see the module doc).
 */
export function boundedBody(opts: BodyLimitOptions) {
  const retryAfter = String(opts.retryAfterSeconds ?? 1);
  const tooLarge = (c: Parameters<typeof errorResponse>[0], got: string) => {
    opts.onTooLarge?.();
    return errorResponse(
      c,
      413,
      "payload_too_large",
      `the request body ${got} exceeds the limit of ${opts.maxBytes} bytes`,
    );
  };
  const unreadable = (c: Parameters<typeof errorResponse>[0], e: unknown) => {
    opts.onUnreadable?.();
    return errorResponse(
      c,
      503,
      "body_unreadable",
      `the request body could not be read to its end (${
        e instanceof Error ? e.message : String(e)
      }); nothing was accepted, retry later`,
      undefined,
      { "retry-after": retryAfter },
    );
  };
  /** Reads and decodes a body sent with a Content-Encoding. */
  const decoded = async (
    c: Parameters<typeof errorResponse>[0],
    encoding: string,
    declared: string | null,
  ): Promise<string | Response> => {
    const parsed = parseContentEncoding(encoding);
    if ("unsupported" in parsed) {
      opts.onUnsupportedEncoding?.();
      return errorResponse(
        c,
        415,
        "unsupported_encoding",
        `Content-Encoding ${
          JSON.stringify(parsed.unsupported)
        } is not supported; send the body as is or in one of: ${ACCEPTED_ENCODINGS}`,
        undefined,
        { "accept-encoding": ACCEPTED_ENCODINGS },
      );
    }
    let raw: Uint8Array;
    try {
      raw = declared !== null
        ? new Uint8Array(await c.req.raw.arrayBuffer())
        : await readBoundedBytes(c.req.raw.body, opts.maxBytes);
    } catch (e) {
      if (e instanceof BodyTooLarge) return tooLarge(c, "(streamed)");
      return unreadable(c, e);
    }
    try {
      return new TextDecoder().decode(
        await decodeBody(raw, parsed.codings, opts.maxBytes),
      );
    } catch (e) {
      if (e instanceof DecodedTooLarge) {
        return tooLarge(c, `decompressed from ${(e as Error).message}`);
      }
      opts.onUndecodable?.();
      return errorResponse(
        c,
        400,
        "undecodable_body",
        `${(e as Error).message}; nothing was accepted`,
      );
    }
  };
  return createMiddleware<IngestEnv>(async (c, next) => {
    const req = c.req.raw;
    const declared = req.headers.get("content-length");
    if (declared !== null) {
      const n = Number(declared);
      if (n > opts.maxBytes) return tooLarge(c, `(${n} bytes)`);
    }
    const encoding = req.headers.get("content-encoding");
    let body: string;
    if (encoding !== null) {
      const r = await decoded(c, encoding, declared);
      if (r instanceof Response) return r;
      body = r;
    } else if (declared !== null) {
      // The HTTP server frames the body by Content-Length, so it cannot
      // exceed what was announced: the fast path is safe.
      try {
        body = await req.text();
      } catch (e) {
        return unreadable(c, e);
      }
    } else {
      try {
        body = await readBounded(req.body, opts.maxBytes);
      } catch (e) {
        if (e instanceof BodyTooLarge) return tooLarge(c, "(streamed)");
        return unreadable(c, e);
      }
    }
    c.set("body", body);
    await next();
  });
}
