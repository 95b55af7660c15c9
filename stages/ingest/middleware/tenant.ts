/**
 * Tenant resolution when no credential decided it: the `X-Tenant` header,
 * else the configured default.
 */
import { createMiddleware } from "hono/factory";
import { isTenantName } from "../credentials.ts";
import { errorResponse, type IngestEnv, peerAddress } from "../http_env.ts";

/** Options of {@link tenant}. */
export interface TenantOptions {
  /** @default "default" */
  defaultTenant?: string;
}

/**
 * Sets the request's tenant (unless auth already did) and its client key
 * for rate limiting (the peer address).
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
      c.set("tenant", header ?? fallback);
      c.set("clientKey", `ip:${peerAddress(c)}`);
    }
    await next();
  });
}
