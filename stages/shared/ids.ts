/**
 * Identifiers. Event ids are UUIDs; alert and dead-letter ids are
 * deterministic hashes so that a replay produces the same id and the sink
 * collapses duplicates.
 */
import { createHash } from "node:crypto";

/**
 * 32 lowercase hex chars (128 bits of SHA-256) over the given parts, joined
 * with a separator that cannot occur in them ambiguously.
 */
export function stableId(...parts: (string | number)[]): string {
  const h = createHash("sha256");
  for (const p of parts) {
    const s = String(p);
    h.update(`${s.length}:${s}|`);
  }
  return h.digest("hex").slice(0, 32);
}

/** A random RFC 4122 version 4 UUID. */
export function randomEventId(): string {
  return crypto.randomUUID();
}

const HEX: string[] = Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0"),
);

const UUID_BYTES = new Uint8Array(16);
const UUID_VIEW = new DataView(UUID_BYTES.buffer);

/**
 * A version 4 UUID whose bits come from `nextUint32` (a seeded generator), so
 * a seeded run yields the same ids every time.
 */
export function uuidFromRandom(nextUint32: () => number): string {
  // Module-level scratch: no allocation per id on the generator's hot path.
  const b = UUID_BYTES;
  const v = UUID_VIEW;
  for (let i = 0; i < 16; i += 4) v.setUint32(i, nextUint32() >>> 0);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  let s = "";
  for (let i = 0; i < 16; i++) {
    s += HEX[b[i]];
    if (i === 3 || i === 5 || i === 7 || i === 9) s += "-";
  }
  return s;
}
