/**
 * Per-tenant client credentials (bearer tokens or API keys) and their
 * constant-time check.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { TenantSecret } from "../shared/token_list.ts";

/** One accepted secret and the tenant it authenticates. */
export type Credential = TenantSecret;

export { parseTokenList } from "../shared/token_list.ts";

/** Shortest secret accepted, so guessable tokens never reach production. */
export const MIN_SECRET_LENGTH = 16;

const TENANT_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** True when `t` is an acceptable tenant name. */
export function isTenantName(t: string): boolean {
  return TENANT_RE.test(t);
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

/**
 * The credentials ingest accepts. Presented secrets are hashed and compared
 * against every stored hash with `timingSafeEqual`, without stopping at the
 * first match, so timing reveals neither the secret nor which one matched.
 */
export class CredentialStore {
  readonly #entries: { tenant: string; hash: Buffer }[];

  constructor(credentials: Credential[]) {
    this.#entries = credentials.map((c) => {
      if (!isTenantName(c.tenant)) {
        throw new Error(`invalid tenant name ${JSON.stringify(c.tenant)}`);
      }
      if (c.secret.length < MIN_SECRET_LENGTH) {
        throw new Error(
          `the secret for tenant ${c.tenant} is shorter than ${MIN_SECRET_LENGTH} characters`,
        );
      }
      return { tenant: c.tenant, hash: digest(c.secret) };
    });
  }

  /** Number of credentials. */
  get size(): number {
    return this.#entries.length;
  }

  /** The tenant `presented` authenticates, or undefined. */
  match(presented: string): string | undefined {
    const h = digest(presented);
    let tenant: string | undefined;
    for (const e of this.#entries) {
      if (timingSafeEqual(h, e.hash) && tenant === undefined) {
        tenant = e.tenant;
      }
    }
    return tenant;
  }
}

/**
 * Parses an auth file: `{"tenants": {"acme": ["secret", …], …}}`. Throws an
 * Error saying what is wrong and where.
 */
export function parseAuthFile(text: string, where = "auth file"): Credential[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: not JSON: ${(e as Error).message}`);
  }
  const tenants = (doc as { tenants?: unknown })?.tenants;
  if (
    typeof tenants !== "object" || tenants === null || Array.isArray(tenants)
  ) {
    throw new Error(
      `${where}: expected {"tenants": {"<tenant>": ["<secret>", …]}}`,
    );
  }
  const out: Credential[] = [];
  for (const [tenant, secrets] of Object.entries(tenants)) {
    if (!Array.isArray(secrets) || secrets.some((s) => typeof s !== "string")) {
      throw new Error(
        `${where}: tenants.${tenant} must be an array of strings`,
      );
    }
    for (const secret of secrets) out.push({ tenant, secret });
  }
  return out;
}
