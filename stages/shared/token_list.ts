/**
 * Per-tenant secrets as given on a command line or in the environment: one
 * parser for the ingest (accepting them) and the generator (sending them).
 */

/** A tenant and a secret (bearer token or API key) that authenticates it. */
export interface TenantSecret {
  tenant: string;
  secret: string;
}

/**
 * Parses the compact form `tenant:secret[,tenant:secret…]` of ingest's
 * `--auth-tokens` and the generator's `--tenant-tokens`.
 */
export function parseTokenList(spec: string): TenantSecret[] {
  const out: TenantSecret[] = [];
  let n = 0;
  for (const part of spec.split(",")) {
    const item = part.trim();
    if (item.length === 0) continue;
    n++;
    const colon = item.indexOf(":");
    if (colon <= 0 || colon === item.length - 1) {
      // Never echo the entry: without its colon it may be a bare secret.
      throw new Error(
        `auth token entry ${n} is not tenant:secret (${
          colon <= 0 ? "no tenant before ':'" : "no secret after ':'"
        })`,
      );
    }
    out.push({ tenant: item.slice(0, colon), secret: item.slice(colon + 1) });
  }
  return out;
}
