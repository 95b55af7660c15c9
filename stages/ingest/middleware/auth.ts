/**
 * Authentication middleware: a bearer token (`Authorization: Bearer …`) or
 * an API key (`X-API-Key: …`) must match a tenant's credential. The tenant
 * of the matching credential becomes the events' tenant; an `X-Tenant`
 * naming another tenant is refused with 403 (a credential never writes
 * into another tenant, and a misrouted client hears about it).
 */
import { createMiddleware } from "hono/factory";
import type { CredentialStore } from "../credentials.ts";
import { errorResponse, type IngestEnv } from "../http_env.ts";

/** Options of {@link auth}. */
export interface AuthOptions {
  credentials: CredentialStore;
  /** Called on every refusal (for metrics). */
  onRefused?: (reason: "missing" | "invalid" | "tenant_mismatch") => void;
}

const CHALLENGE = { "www-authenticate": 'Bearer realm="sentinel-ingest"' };

/** The presented secret, or undefined when none was sent. */
export function presentedSecret(headers: Headers): string | undefined {
  const authz = headers.get("authorization");
  if (authz !== null) {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authz);
    return m ? m[1] : "";
  }
  const key = headers.get("x-api-key");
  return key === null ? undefined : key.trim();
}

/**
 * Refuses requests without a valid credential with 401, and those whose
 * `X-Tenant` is not the credential's tenant with 403.
 */
export function auth(opts: AuthOptions) {
  return createMiddleware<IngestEnv>(async (c, next) => {
    const secret = presentedSecret(c.req.raw.headers);
    if (secret === undefined) {
      opts.onRefused?.("missing");
      return errorResponse(
        c,
        401,
        "unauthorized",
        "authentication required: send Authorization: Bearer <token> or X-API-Key: <key>",
        undefined,
        CHALLENGE,
      );
    }
    const tenant = secret.length > 0
      ? opts.credentials.match(secret)
      : undefined;
    if (tenant === undefined) {
      opts.onRefused?.("invalid");
      return errorResponse(
        c,
        401,
        "unauthorized",
        "the token or API key is not valid",
        undefined,
        CHALLENGE,
      );
    }
    const asked = c.req.raw.headers.get("x-tenant");
    if (asked !== null && asked !== tenant) {
      opts.onRefused?.("tenant_mismatch");
      return errorResponse(
        c,
        403,
        "tenant_mismatch",
        "X-Tenant names a tenant other than the one of the credential",
      );
    }
    c.set("tenant", tenant);
    c.set("clientKey", `tenant:${tenant}`);
    await next();
  });
}
