/**
 * Flattening of JSON values into the `fields` string map with dotted keys.
 * Bounded in depth and size so a hostile document cannot blow up an event.
 */
import type { Ev } from "./_event.ts";

const MAX_DEPTH = 8;
const MAX_FIELDS = 512;

/**
 * The `detail` of an AWS EventBridge event (`detail-type`, `detail`), the
 * envelope CloudTrail's and Okta's streaming deliver records in; null when
 * `o` is none.
 */
export function eventBridgeDetail(
  o: Record<string, unknown>,
): Record<string, unknown> | null {
  return typeof o["detail-type"] === "string" ? asObject(o.detail) : null;
}

/** `v` as a plain JSON object (not null, not an array), else null. */
export function asObject(v: unknown): Record<string, unknown> | null {
  return typeof v === "object" && v !== null && !Array.isArray(v)
    ? v as Record<string, unknown>
    : null;
}

/** Stringifies a JSON scalar; null for null/undefined. */
export function scalarText(v: unknown): string | null {
  switch (typeof v) {
    case "string":
      return v;
    case "number":
    case "boolean":
    case "bigint":
      return String(v);
  }
  return null;
}

/**
 * Adds `value` under `key` (and, for objects, `key.sub…`) to `ev.fields`.
 * Arrays of scalars are joined with ","; arrays of objects are indexed
 * (`answers.0.data`).
 */
export function flattenInto(
  ev: Ev,
  key: string,
  value: unknown,
  depth = 0,
): void {
  const f = ev.fields;
  if (value === null || value === undefined) return;
  if (typeof value !== "object") {
    f[key] = typeof value === "string" ? value : String(value);
    return;
  }
  if (depth >= MAX_DEPTH) {
    f[key] = JSON.stringify(value);
    return;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return;
    let scalars = true;
    for (let i = 0; i < value.length; i++) {
      const t = typeof value[i];
      if (t === "object" && value[i] !== null) {
        scalars = false;
        break;
      }
    }
    if (scalars) {
      f[key] = value.join(",");
      return;
    }
    for (let i = 0; i < value.length && i < 64; i++) {
      flattenInto(ev, `${key}.${i}`, value[i], depth + 1);
    }
    return;
  }
  let count = 0;
  for (const k in value as Record<string, unknown>) {
    if (++count > MAX_FIELDS) break;
    flattenInto(
      ev,
      `${key}.${k}`,
      (value as Record<string, unknown>)[k],
      depth + 1,
    );
  }
}

/**
 * Longest value (in UTF-16 code units) kept in `fields`. The payload is kept
 * whole next to `fields`, so copying a 600 KB JSON string value would double
 * the event and push it over the downstream line limit (where it would be
 * dead-lettered as oversize and never evaluated). Rules still reach the whole
 * value through the payload.
 */
export const FIELD_VALUE_MAX = 4096;

/**
 * Key listing (comma-separated, in insertion order) the `fields` values that
 * {@link capFields} cut to {@link FIELD_VALUE_MAX}.
 */
export const TRUNCATED_KEY = "parser.truncated";

/**
 * Cuts every `fields` value longer than {@link FIELD_VALUE_MAX} (never in the
 * middle of a surrogate pair) and names the cut keys in
 * `fields["parser.truncated"]`.
 */
export function capFields(ev: Ev): void {
  const f = ev.fields;
  let cut: string | undefined;
  for (const k in f) {
    const v = f[k];
    if (v.length <= FIELD_VALUE_MAX) continue;
    const c = v.charCodeAt(FIELD_VALUE_MAX - 1);
    const end = c >= 0xd800 && c <= 0xdbff
      ? FIELD_VALUE_MAX - 1
      : FIELD_VALUE_MAX;
    f[k] = v.slice(0, end);
    cut = cut === undefined ? k : `${cut},${k}`;
  }
  if (cut !== undefined) f[TRUNCATED_KEY] = cut;
}
