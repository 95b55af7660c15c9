/**
 * Reads the request body within a byte limit: 413 at once when
 * Content-Length announces too much, and 413 as soon as a chunked body
 * grows past the limit while it is read, so a client cannot make ingest
 * buffer more than the limit. A body that cannot be read to its end (the
 * connection broke mid-body, or the server began shutting down while the
 * client was still sending) is 503 with Retry-After: nothing was accepted
 * and the client may send it again, which a 500 would not tell it.
 */
import { createMiddleware } from "hono/factory";
import { errorResponse, type IngestEnv } from "../http_env.ts";

/** Options of {@link boundedBody}. */
export interface BodyLimitOptions {
  maxBytes: number;
  /** Called on every refusal (for metrics). */
  onTooLarge?: () => void;
  /** Called when the body could not be read to its end (for metrics). */
  onUnreadable?: () => void;
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
  if (body === null) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLarge(`body exceeds ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return new TextDecoder().decode(chunks[0]);
  const all = new Uint8Array(total);
  let off = 0;
  for (const ch of chunks) {
    all.set(ch, off);
    off += ch.byteLength;
  }
  return new TextDecoder().decode(all);
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
  return createMiddleware<IngestEnv>(async (c, next) => {
    const req = c.req.raw;
    const declared = req.headers.get("content-length");
    let body: string;
    if (declared !== null) {
      const n = Number(declared);
      if (n > opts.maxBytes) return tooLarge(c, `(${n} bytes)`);
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
