/**
 * Content-type negotiation for POST bodies: maps the media type to how the
 * body is framed, 415 for anything else.
 */
import { createMiddleware } from "hono/factory";
import type { BodyKind } from "../event_input.ts";
import { errorResponse, type IngestEnv } from "../http_env.ts";

/** Options of {@link contentType}. */
export interface ContentTypeOptions {
  /** Called on every 415 (for metrics). */
  onRefused?: () => void;
}

/**
 * Sets `bodyKind` from the Content-Type (parameters ignored except a
 * charset, which must be UTF-8), or answers 415 with the accepted media
 * types in the message and in an `Accept-Post` header (as a client or
 * tool can read them without parsing prose).
 */
export function contentType(
  accepted: Record<string, BodyKind>,
  opts: ContentTypeOptions = {},
) {
  const list = Object.keys(accepted).join(", ");
  return createMiddleware<IngestEnv>(async (c, next) => {
    const header = c.req.raw.headers.get("content-type");
    let kind: BodyKind | undefined;
    if (header !== null) {
      const semi = header.indexOf(";");
      const media = (semi === -1 ? header : header.slice(0, semi)).trim()
        .toLowerCase();
      kind = accepted[media];
      if (kind !== undefined && semi !== -1) {
        const charset = /charset\s*=\s*"?([^";\s]+)/i.exec(header.slice(semi));
        if (charset && !/^utf-?8$/i.test(charset[1])) kind = undefined;
      }
    }
    if (kind === undefined) {
      opts.onRefused?.();
      const problem = header === null
        ? "the request has no Content-Type"
        : `Content-Type ${JSON.stringify(header)} is not accepted here`;
      return errorResponse(
        c,
        415,
        "unsupported_media_type",
        `${problem}; use one of: ${list} (UTF-8)`,
        undefined,
        { "accept-post": list },
      );
    }
    c.set("bodyKind", kind);
    await next();
  });
}
