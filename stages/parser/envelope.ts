/**
 * Cheap check of the RawEvent envelope against raw_event.schema.json, at the
 * parser's boundary. The parser copies the envelope into every enriched
 * event, so an envelope the schema refuses (an event_id "abc", a transport
 * "pigeon", a 300-character tenant) would yield enriched events that fail
 * validation downstream. A compiled ajv validator per record costs more than
 * the parse itself; these hand-written checks mirror the schema's
 * constraints for the envelope fields (the payload is the parser's job).
 */
import type { RawEvent } from "../shared/contracts/mod.ts";

/**
 * The schema's `uuid` format (ajv-formats:
 * `^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$`, any case),
 * checked by char code: every record goes through here.
 */
export function isUuid(s: string): boolean {
  let i = 0;
  if (s.length === 45) {
    if (s.slice(0, 9).toLowerCase() !== "urn:uuid:") return false;
    i = 9;
  } else if (s.length !== 36) return false;
  for (let k = 0; k < 36; k++) {
    const c = s.charCodeAt(i + k);
    if (k === 8 || k === 13 || k === 18 || k === 23) {
      if (c !== 45) return false;
    } else if (
      !((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))
    ) return false;
  }
  return true;
}

const TRANSPORTS = new Set([
  "http",
  "syslog",
  "kafka",
  "stdin",
  "file",
  "generator",
  "replay",
]);

/** Tenant length bound (common.schema.json Tenant). */
export const TENANT_MAX = 128;
const NAME_MAX = 256;
const FORMAT_MAX = 64;

function nameProblem(field: string, v: unknown, max: number): string | null {
  if (typeof v !== "string") return `${field} must be a string`;
  if (v.length === 0) return `${field} must not be empty`;
  if (v.length > max) {
    return `${field} is ${v.length} characters long, at most ${max} allowed`;
  }
  return null;
}

/**
 * The first envelope field of `raw` the schema refuses, as a reason, or
 * null. `received_at` and the payload are checked by the parser itself; a
 * missing or empty tenant is allowed (the parser's default tenant applies).
 */
export function envelopeProblem(raw: RawEvent): string | null {
  const id = raw.event_id as unknown;
  if (typeof id !== "string" || !isUuid(id)) {
    return `event_id ${JSON.stringify(id)} is not a UUID`;
  }
  const tenant = raw.tenant as unknown;
  if (tenant !== undefined && tenant !== "") {
    const p = nameProblem("tenant", tenant, TENANT_MAX);
    if (p !== null) return p;
  }
  let p = nameProblem("source_name", raw.source_name, NAME_MAX) ??
    nameProblem("ingest_node", raw.ingest_node, NAME_MAX);
  if (p !== null) return p;
  if (!TRANSPORTS.has(raw.transport)) {
    return `transport ${JSON.stringify(raw.transport)} is not one of ${
      [...TRANSPORTS].join(", ")
    }`;
  }
  if (raw.format !== undefined) {
    p = nameProblem("format", raw.format, FORMAT_MAX);
    if (p !== null) return p;
  }
  const gt = raw.ground_truth as unknown;
  if (gt !== undefined) {
    if (typeof gt !== "object" || gt === null || Array.isArray(gt)) {
      return "ground_truth must be an object";
    }
    for (const k in gt) {
      const v = (gt as Record<string, unknown>)[k];
      if (k === "scenario") {
        if (typeof v !== "string" || v === "") {
          return "ground_truth.scenario must be a non-empty string";
        }
      } else if (k === "role") {
        if (typeof v !== "string") return "ground_truth.role must be a string";
      } else return `ground_truth has an unknown key ${JSON.stringify(k)}`;
    }
    if ((gt as Record<string, unknown>).scenario === undefined) {
      return "ground_truth.scenario is required";
    }
  }
  return null;
}
