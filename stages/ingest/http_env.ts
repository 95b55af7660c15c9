/**
 * The Hono environment shared by the ingest app and its middleware, and the
 * one shape of every error answer.
 */
import type { Context } from "hono";
import type { BodyKind } from "./event_input.ts";

/** Per-request values middleware hands to the handlers. */
export interface IngestVariables {
  /** Tenant resolved by auth (or by the tenant header when auth is off). */
  tenant: string;
  /** Identity used for rate limiting: the credential's tenant, else the peer IP. */
  clientKey: string;
  /** The request body, read within the size limit. */
  body: string;
  /** How the body is framed, from its Content-Type. */
  bodyKind: BodyKind;
}

/** Hono env of the ingest app; bindings are Deno.serve's handler info. */
export interface IngestEnv {
  Bindings: Partial<Deno.ServeHandlerInfo>;
  Variables: IngestVariables;
}

/** The JSON body of every 4xx/5xx answer. */
export interface ErrorBody {
  /** Machine-readable code, e.g. "invalid_event". */
  error: string;
  /** What went wrong, for a human. */
  message: string;
  /** Field-level problems, when there are any. */
  details?: unknown[];
}

/** Answers with the uniform error body. */
export function errorResponse(
  _c: Context,
  status: number,
  error: string,
  message: string,
  details?: unknown[],
  headers?: Record<string, string>,
): Response {
  const body: ErrorBody = { error, message };
  if (details) body.details = details;
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** The peer address Deno.serve reported, or "unknown" (e.g. in app.request tests). */
export function peerAddress(c: Context<IngestEnv>): string {
  const addr = c.env?.remoteAddr as Deno.NetAddr | undefined;
  return addr?.hostname ?? "unknown";
}
