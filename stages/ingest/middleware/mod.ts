/**
 * The ingest middleware, each a small piece with its own tests.
 *
 * @module
 */
export { auth, type AuthOptions, presentedSecret } from "./auth.ts";
export { tenant, type TenantOptions } from "./tenant.ts";
export {
  rateLimit,
  type RateLimitOptions,
  TokenBuckets,
} from "./rate_limit.ts";
export { contentType } from "./content_type.ts";
export {
  type BodyLimitOptions,
  BodyTooLarge,
  boundedBody,
  readBounded,
} from "./body_limit.ts";
export { requestMetrics } from "./metrics.ts";
