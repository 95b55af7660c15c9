/**
 * Tenant resolution when no credential decided it: the `X-Tenant` header,
 * else the configured default.
 */
import { createMiddleware } from "hono/factory";
import { isTenantName } from "../credentials.ts";
import { errorResponse, type IngestEnv } from "../http_env.ts";

/** Options of {@link tenant}. */
export interface TenantOptions {
  /** @default "default" */
  defaultTenant?: string;
}

/**
 * Sets the request's tenant (unless auth already did).
 */
export function tenant(opts: TenantOptions = {}) {
  const fallback = opts.defaultTenant ?? "default";
  return createMiddleware<IngestEnv>(async (c, next) => {
    if (c.get("tenant") === undefined) {
      const header = c.req.raw.headers.get("x-tenant");
      if (header !== null && !isTenantName(header)) {
        return errorResponse(
          c,
          400,
          "invalid_tenant",
          "X-Tenant must be 1-128 characters of letters, digits, '.', '_' or '-'",
        );
      }
      // No clientKey here: the rate limit (when on) keys by the peer
      // address itself, which costs a call into the server per request.
      c.set("tenant", header ?? fallback);
    }
    await next();
  });
}
