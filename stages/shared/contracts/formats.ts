/**
 * The string formats the contracts use (`date-time`, `uuid`, `ipv4`,
 * `ipv6`), with a fast path for the forms every stage writes.
 *
 * ajv-formats checks them with regular expressions (and, for `date-time`,
 * a split and two more): ~1.5 µs per enriched event in the sink, a fifth of
 * its validation. Each format here first tries a char-code check of the
 * canonical form (`2026-11-24T10:00:00.000Z`, a lower-case 8-4-4-4-12 UUID,
 * a dotted quad); that check only ever answers when ajv-formats would
 * answer the same, and anything it is not sure of goes to ajv-formats'
 * own validator. So the formats accept and reject exactly what
 * ajv-formats does.
 */
import { fullFormats } from "ajv-formats/dist/formats.js";

/** A format check: true or false when certain, undefined to defer. */
export type QuickCheck = (s: string) => boolean | undefined;

/** ajv-formats' own validator of format `name`, as a plain function. */
function reference(name: "date-time" | "uuid" | "ipv4" | "ipv6") {
  const f = fullFormats[name] as
    | RegExp
    | { validate: RegExp | ((s: string) => boolean) };
  const v = f instanceof RegExp ? f : f.validate;
  return v instanceof RegExp ? (s: string) => v.test(s) : v;
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Two decimal digits at `i`, or -1. */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48, b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * `YYYY-MM-DDTHH:MM:SS.sssZ`, a real calendar date and a time without a leap
 * second: valid. Anything else (other precisions, offsets, a lower-case
 * `t`, 23:59:60) is left to ajv-formats.
 */
export const quickDateTime: QuickCheck = (s) => {
  if (
    s.length !== 24 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 ||
    s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58 || s.charCodeAt(19) !== 46 ||
    s.charCodeAt(23) !== 90
  ) return undefined;
  const cy = two(s, 0), y = two(s, 2), mo = two(s, 5), d = two(s, 8);
  const h = two(s, 11), mi = two(s, 14), sec = two(s, 17);
  const ms = s.charCodeAt(22) - 48;
  if (
    (cy | y | mo | d | h | mi | sec) < 0 || two(s, 20) < 0 || ms < 0 ||
    ms > 9 || mo < 1 || mo > 12 || d < 1 || d > DAYS[mo - 1] || h > 23 ||
    mi > 59 || sec > 59
  ) return undefined;
  if (mo === 2 && d === 29) {
    const year = cy * 100 + y;
    if (year % 4 !== 0 || (year % 100 === 0 && year % 400 !== 0)) {
      return undefined;
    }
  }
  return true;
};

/** Lower-case hex digit. */
function hex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102);
}

/** A lower-case 8-4-4-4-12 UUID: valid. Upper case and `urn:uuid:` defer. */
export const quickUuid: QuickCheck = (s) => {
  if (s.length !== 36) return undefined;
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return undefined;
    } else if (!hex(c)) return undefined;
  }
  return true;
};

/**
 * A dotted quad of 0-255 without leading zeros: valid (ajv-formats' ipv4
 * pattern exactly). Anything else defers.
 */
export const quickIpv4: QuickCheck = (s) => {
  const n = s.length;
  if (n < 7 || n > 15) return undefined;
  let parts = 0, octet = 0, digits = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || octet > 255) return undefined;
      parts++;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && octet === 0) return undefined; // leading zero
      octet = octet * 10 + c - 48;
      if (++digits > 3) return undefined;
    } else return undefined;
  }
  return parts === 4 ? true : undefined;
};

/**
 * No `:` at all: not IPv6 (every form of ajv-formats' pattern has one).
 * This is what IPv4 addresses meet in `Ip`'s `anyOf`, which ajv evaluates
 * whole under `allErrors`.
 */
export const quickIpv6: QuickCheck = (s) =>
  s.indexOf(":") === -1 ? false : undefined;

/** A format validator: the quick check, else ajv-formats' answer. */
function withFallback(quick: QuickCheck, full: (s: string) => boolean) {
  return (s: string): boolean => quick(s) ?? full(s);
}

/** ajv-formats' validators of the same formats, for comparison in tests. */
export const REFERENCE_FORMATS = {
  "date-time": reference("date-time"),
  uuid: reference("uuid"),
  ipv4: reference("ipv4"),
  ipv6: reference("ipv6"),
};

/**
 * The contract formats for `ajv.addFormat`, replacing ajv-formats' entries
 * of the same names (its `compare` functions kept for formatMinimum & co).
 */
export const CONTRACT_FORMATS = {
  "date-time": {
    type: "string" as const,
    validate: withFallback(quickDateTime, REFERENCE_FORMATS["date-time"]),
    compare: (fullFormats["date-time"] as {
      compare: (a: string, b: string) => number | undefined;
    }).compare,
  },
  uuid: {
    type: "string" as const,
    validate: withFallback(quickUuid, REFERENCE_FORMATS.uuid),
  },
  ipv4: {
    type: "string" as const,
    validate: withFallback(quickIpv4, REFERENCE_FORMATS.ipv4),
  },
  ipv6: {
    type: "string" as const,
    validate: withFallback(quickIpv6, REFERENCE_FORMATS.ipv6),
  },
};
