/**
 * Flattening of JSON values into the `fields` string map with dotted keys.
 * Bounded in depth and size so a hostile document cannot blow up an event.
 */
import type { Ev } from "./_event.ts";

const MAX_DEPTH = 8;
const MAX_FIELDS = 512;

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
