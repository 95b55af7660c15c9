/**
 * Event-time parsing for every form the parser meets, normalized to UTC
 * epoch milliseconds. Scanners work on char codes with no regex, because
 * every event has a timestamp. All functions return NaN when they cannot
 * read a time.
 */

/** Earliest and latest event time accepted (1970 … 2100); outside is "no usable time". */
const MIN_MS = 0;
const MAX_MS = 4102444800000;

/** True when `ms` is an event time worth keeping. */
export function plausibleMs(ms: number): boolean {
  return ms >= MIN_MS && ms < MAX_MS;
}

// Second → char codes of its "YYYY-MM-DDTHH:MM:SS." prefix, direct-mapped
// on the low bits of the second: a mixed stream interleaves a few clocks
// (syslog, web logs, replayed old files), which a single entry would keep
// missing.
const PREFIX_SLOTS = 64;
const PREFIX_LEN = 20;
const prefixSec = new Float64Array(PREFIX_SLOTS).fill(NaN);
const prefixCodes = new Uint8Array(PREFIX_SLOTS * PREFIX_LEN);

// The last millisecond formatted, and its text; and the last canonical text
// read from a record (see {@link canonicalIsoMs}). Canonical text is unique
// per millisecond, so either can be handed out again for the same instant.
let lastMs = NaN;
let lastText = "";
let keptMs = NaN;
let keptText = "";

/**
 * RFC 3339 UTC text with milliseconds. Prefixes are cached per second and
 * the whole text per millisecond, because `toISOString` would otherwise
 * dominate. The text is built in one piece rather than concatenated: `+`
 * makes a cons string, and JSON.stringify leaves its fast path for the
 * whole record when it meets one (see {@link flatCopy}).
 */
export function isoFromMs(ms: number): string {
  if (ms === lastMs) return lastText;
  if (ms === keptMs) return keptText;
  const sec = Math.floor(ms / 1000);
  const slot = sec & (PREFIX_SLOTS - 1);
  const p = slot * PREFIX_LEN;
  if (prefixSec[slot] !== sec) {
    prefixSec[slot] = sec;
    const iso = new Date(sec * 1000).toISOString();
    for (let i = 0; i < PREFIX_LEN; i++) prefixCodes[p + i] = iso.charCodeAt(i);
  }
  const m = ms - sec * 1000;
  const c = prefixCodes;
  // One fromCharCode call builds the whole text as one flat string.
  lastText = String.fromCharCode(
    c[p],
    c[p + 1],
    c[p + 2],
    c[p + 3],
    c[p + 4],
    c[p + 5],
    c[p + 6],
    c[p + 7],
    c[p + 8],
    c[p + 9],
    c[p + 10],
    c[p + 11],
    c[p + 12],
    c[p + 13],
    c[p + 14],
    c[p + 15],
    c[p + 16],
    c[p + 17],
    c[p + 18],
    c[p + 19],
    48 + Math.floor(m / 100),
    48 + (Math.floor(m / 10) % 10),
    48 + (m % 10),
    90,
  );
  lastMs = ms;
  return lastText;
}

// Two canonical texts read before (their first 19 characters, the second,
// were verified) and the epoch ms of those seconds: receipt times and event
// times are two clocks, often a second apart, and would evict each other.
let canonSeen0 = "\u0000";
let canonSec0 = NaN;
let canonSeen1 = "\u0000";
let canonSec1 = NaN;

/** True when `a` and `b` agree on their first 19 characters (`YYYY-MM-DDTHH:MM:SS`). */
function sameSecond(a: string, b: string): boolean {
  // Seconds first: they differ most often.
  for (let k = 18; k >= 0; k--) {
    if (a.charCodeAt(k) !== b.charCodeAt(k)) return false;
  }
  return true;
}

/**
 * Epoch ms of `s` when it is exactly canonical UTC text with milliseconds
 * (`2026-11-24T10:00:00.123Z`, what ingest and ECS shippers write), else
 * NaN. Texts in the same second as one of the two previous seconds cost a
 * 19-character compare and three digits. With `keep`, the text is
 * remembered as the canonical form of its millisecond, so formatting that
 * instant reuses it; pass it only for flat strings (parsed JSON values),
 * never for substrings of a log line (see {@link flatCopy}).
 */
export function canonicalIsoMs(s: string, keep = false): number {
  if (
    s.length !== 24 || s.charCodeAt(23) !== 90 || s.charCodeAt(19) !== 46 ||
    s.charCodeAt(10) !== 84
  ) return NaN;
  const frac = digitsAt(s, 20, 3);
  if (frac < 0) return NaN;
  let canonSecMs: number;
  if (sameSecond(s, canonSeen0)) canonSecMs = canonSec0;
  else if (sameSecond(s, canonSeen1)) canonSecMs = canonSec1;
  else {
    const ms = parseIsoAt(s, 0);
    if (ms !== ms) return NaN;
    canonSecMs = ms - frac;
    // Round trip: rejects 2026-02-30 and leap seconds, which Date.UTC
    // would roll over into a different text.
    if (!sameSecond(s, new Date(canonSecMs).toISOString())) return NaN;
    canonSeen1 = canonSeen0;
    canonSec1 = canonSec0;
    canonSeen0 = s;
    canonSec0 = canonSecMs;
  }
  const ms = canonSecMs + frac;
  if (keep) {
    keptMs = ms;
    keptText = s;
  }
  return ms;
}

/**
 * A sequential (flat) copy of `s` when it may be a sliced or cons string.
 * V8 makes substrings of 13 or more characters slices of their parent and
 * concatenations of that length cons strings; JSON.stringify's fast path
 * bails out on either and re-serializes the whole record slowly (about
 * twice the cost). Shorter strings are already flat copies.
 */
export function flatCopy(s: string): string {
  // Joining two non-empty parts always builds a new sequential string
  // (joining with "" alone hands back the same slice).
  return s.length < 13 ? s : [s[0], s.slice(1)].join("");
}

/** Month index (0–11) of a three-letter English month name at `s[i]`, or -1. */
export function monthAt(s: string, i: number): number {
  const a = s.charCodeAt(i) | 32;
  const b = s.charCodeAt(i + 1) | 32;
  const c = s.charCodeAt(i + 2) | 32;
  switch (a) {
    case 106: // j
      if (b === 97 && c === 110) return 0; // jan
      if (b === 117) return c === 110 ? 5 : c === 108 ? 6 : -1; // jun, jul
      return -1;
    case 102: // f
      return b === 101 && c === 98 ? 1 : -1;
    case 109: // m
      if (b !== 97) return -1;
      return c === 114 ? 2 : c === 121 ? 4 : -1; // mar, may
    case 97: // a
      if (b === 112 && c === 114) return 3;
      if (b === 117 && c === 103) return 7;
      return -1;
    case 115: // s
      return b === 101 && c === 112 ? 8 : -1;
    case 111: // o
      return b === 99 && c === 116 ? 9 : -1;
    case 110: // n
      return b === 111 && c === 118 ? 10 : -1;
    case 100: // d
      return b === 101 && c === 99 ? 11 : -1;
  }
  return -1;
}

/** Reads `n` decimal digits at `s[i]`; -1 if any is not a digit. */
export function digitsAt(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(i + k) - 48;
    // Negated so that past the end (NaN) is not a digit either.
    if (!(c >= 0 && c <= 9)) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** End index of the last successful scan (shared scratch, single-threaded). */
export let scanEnd = 0;

/**
 * Set when the last scan read a well-formed time whose date does not exist
 * (Feb 30, Feb 29 of a common year): it returned NaN, with {@link scanEnd}
 * past the time, so a caller can go on reading the line and say why.
 */
export let impossibleDate = false;

/**
 * True when day `d` (1–31) exists in month `mo` (0–11) of year `y`. Days up
 * to 28 always do, so the common case is one compare.
 */
export function dayExists(y: number, mo: number, d: number): boolean {
  if (d <= 28) return true;
  if (mo === 1) {
    return d === 29 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  }
  return d <= (mo === 3 || mo === 5 || mo === 8 || mo === 10 ? 30 : 31);
}

function validClock(h: number, mi: number, se: number): boolean {
  return h >= 0 && h < 24 && mi >= 0 && mi < 60 && se >= 0 && se <= 60;
}

/**
 * Reads an optional fraction (`.123456`) at `s[i]`; returns ms and sets
 * {@link scanEnd} past it.
 */
function fractionAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c !== 46 && c !== 44) {
    scanEnd = i;
    return 0;
  }
  let j = i + 1;
  let ms = 0;
  let scale = 100;
  while (j < s.length) {
    const d = s.charCodeAt(j) - 48;
    if (d < 0 || d > 9) break;
    if (scale >= 1) ms += d * scale;
    scale /= 10;
    j++;
  }
  scanEnd = j;
  return Math.floor(ms);
}

/** True when the last scan read a zone (see {@link zoneAt}). */
let zoneRead = false;

/**
 * Reads a zone at `s[i]`: `Z`, `±HH:MM`, `±HHMM`, `±HH`, or ` UTC`/` GMT`
 * (with an offset after it: ` GMT+01:00`). Returns the offset in minutes
 * (east positive), 0 when absent, NaN when malformed; sets {@link scanEnd},
 * and {@link zoneRead} when a zone was there.
 */
function zoneAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 90 || c === 122) { // Z
    scanEnd = i + 1;
    zoneRead = true;
    return 0;
  }
  if (c === 43 || c === 45) { // + -
    zoneRead = true;
    return offsetAt(s, i);
  }
  if (c === 32) {
    const z = s.substr(i + 1, 3);
    if (z === "UTC" || z === "GMT") {
      zoneRead = true;
      const o = s.charCodeAt(i + 4);
      if (o === 43 || o === 45) return offsetAt(s, i + 4);
      scanEnd = i + 4;
      return 0;
    }
  }
  scanEnd = i;
  return 0;
}

/**
 * A numeric offset at `s[i]` (the sign): `±HH:MM`, `±HHMM`, `±HH` or `±H`
 * (as after GMT). Minutes east, NaN when malformed; sets {@link scanEnd}.
 */
function offsetAt(s: string, i: number): number {
  const sign = s.charCodeAt(i) === 45 ? -1 : 1;
  let h = digitsAt(s, i + 1, 2);
  let j = i + 3;
  if (h < 0) {
    h = digitsAt(s, i + 1, 1);
    j = i + 2;
  }
  if (h < 0 || h > 18) return NaN;
  if (s.charCodeAt(j) === 58) j++;
  const m = digitsAt(s, j, 2);
  if (m >= 0) {
    if (m > 59) return NaN;
    scanEnd = j + 2;
    return sign * (h * 60 + m);
  }
  if (s.charCodeAt(j - 1) === 58) return NaN; // "+01:" cut short
  scanEnd = j;
  return sign * h * 60;
}

/**
 * Offsets (minutes east) of the zone names a time may end with: UTC and its
 * aliases, and the North-American abbreviations devices write (RFC 2822's
 * obsolete zones among them). Others (IST, BST, CST in China…) are
 * ambiguous or rare: they make the time unreadable rather than UTC.
 */
const ZONE_NAMES = new Map<string, number>([
  ["Z", 0],
  ["UT", 0],
  ["UTC", 0],
  ["GMT", 0],
  ["EST", -300],
  ["EDT", -240],
  ["CST", -360],
  ["CDT", -300],
  ["MST", -420],
  ["MDT", -360],
  ["PST", -480],
  ["PDT", -420],
]);

/**
 * Reads a zone written as a word at `s[i]`: a name of {@link ZONE_NAMES}
 * (any case), or GMT/UTC/UT followed by an offset (`GMT+01:00`). Minutes
 * east, NaN when unknown; sets {@link scanEnd}.
 */
export function zoneNameAt(s: string, i: number): number {
  let j = i;
  for (;;) {
    const c = s.charCodeAt(j) | 32;
    if (c < 97 || c > 122) break;
    j++;
  }
  if (j === i || j - i > 5) return NaN;
  const name = s.slice(i, j).toUpperCase();
  const off = ZONE_NAMES.get(name);
  if (off === undefined) return NaN;
  scanEnd = j;
  const o = s.charCodeAt(j);
  if ((o === 43 || o === 45) && off === 0 && name !== "Z") {
    return offsetAt(s, j);
  }
  return off;
}

/**
 * The zone after a time that did not carry one inline, from `s[i]` to the
 * end: spaces, then `±HH[:MM]` or a zone name ({@link zoneNameAt}), then
 * nothing else. Minutes east; 0 when there is only space; NaN when the
 * rest is not a zone this knows, so an unknown zone never reads as UTC.
 */
function trailingZone(s: string, i: number): number {
  const n = s.length;
  while (i < n && s.charCodeAt(i) === 32) i++;
  if (i >= n) return 0;
  const c = s.charCodeAt(i);
  const off = c === 43 || c === 45 ? offsetAt(s, i) : zoneNameAt(s, i);
  if (off !== off) return NaN;
  for (let j = scanEnd; j < n; j++) {
    if (s.charCodeAt(j) !== 32) return NaN;
  }
  return off;
}

/**
 * ISO 8601 / RFC 3339 at `s[i]`: `YYYY-MM-DD[T ]HH:MM[:SS[.frac]][zone]` (a
 * date alone is midnight UTC). No zone means UTC. Sets {@link scanEnd}.
 */
export function parseIsoAt(s: string, i: number): number {
  const y = digitsAt(s, i, 4);
  const sep = s.charCodeAt(i + 4);
  if (y < 0 || (sep !== 45 && sep !== 47)) return NaN; // '-' or '/'
  const mo = digitsAt(s, i + 5, 2);
  const d = digitsAt(s, i + 8, 2);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || s.charCodeAt(i + 7) !== sep) {
    return NaN;
  }
  impossibleDate = false;
  const t = s.charCodeAt(i + 10);
  if (t !== 84 && t !== 32 && t !== 116) { // T, space, t
    scanEnd = i + 10;
    if (!dayExists(y, mo - 1, d)) return noSuchDay();
    return Date.UTC(y, mo - 1, d);
  }
  const h = digitsAt(s, i + 11, 2);
  const mi = digitsAt(s, i + 14, 2);
  if (h < 0 || mi < 0 || s.charCodeAt(i + 13) !== 58) return NaN;
  let j = i + 16;
  let se = 0;
  if (s.charCodeAt(j) === 58) {
    se = digitsAt(s, j + 1, 2);
    if (se < 0) return NaN;
    j += 3;
  }
  if (!validClock(h, mi, se)) return NaN;
  const frac = fractionAt(s, j);
  const off = zoneAt(s, scanEnd);
  if (off !== off) return NaN;
  // Date.UTC would roll 2026-02-30 over into March.
  if (!dayExists(y, mo - 1, d)) return noSuchDay();
  return Date.UTC(y, mo - 1, d, h, mi, se, frac) - off * 60000;
}

/** NaN, noting that the time read was well-formed but its day does not exist. */
function noSuchDay(): number {
  impossibleDate = true;
  return NaN;
}

/**
 * RFC 3164 time at `s[i]`: `Mmm dd hh:mm:ss` (day may be space-padded),
 * optionally with a year after the day (`Mmm dd yyyy hh:mm:ss`, as CEF `rt`
 * writes it) or fraction. Without a year, the year is the one that puts the
 * event closest before `refMs` (a December line read in January belongs to
 * last year). Assumes UTC, since the format carries no zone. Sets
 * {@link scanEnd}.
 */
export function parseRfc3164At(s: string, i: number, refMs: number): number {
  impossibleDate = false;
  const mo = monthAt(s, i);
  if (mo < 0 || s.charCodeAt(i + 3) !== 32) return NaN;
  let j = i + 4;
  if (s.charCodeAt(j) === 32) j++;
  let d = digitsAt(s, j, 2);
  if (d < 0) {
    d = digitsAt(s, j, 1);
    j += 1;
  } else j += 2;
  if (d < 1 || d > 31 || s.charCodeAt(j) !== 32) return NaN;
  j++;
  let year = -1;
  if (s.charCodeAt(j + 4) === 32) {
    year = digitsAt(s, j, 4);
    if (year < 0) return NaN;
    j += 5;
  }
  const h = digitsAt(s, j, 2);
  const mi = digitsAt(s, j + 3, 2);
  const se = digitsAt(s, j + 6, 2);
  if (
    h < 0 || mi < 0 || se < 0 || s.charCodeAt(j + 2) !== 58 ||
    s.charCodeAt(j + 5) !== 58 || !validClock(h, mi, se)
  ) return NaN;
  const frac = fractionAt(s, j + 8);
  if (year >= 0) {
    const off = zoneAt(s, scanEnd);
    if (off !== off) return NaN;
    if (!dayExists(year, mo, d)) return noSuchDay();
    return Date.UTC(year, mo, d, h, mi, se, frac) - off * 60000;
  }
  return yearlessMs(mo, d, h, mi, se, frac, refMs);
}

/**
 * UTC ms of a time written without its year: the year that puts it closest
 * before `refMs` (receipt), at most {@link CLOCK_SKEW_MS} ahead of it. NaN
 * for a day no year has (Feb 30). Also the generator's replay rule, so
 * replayed and parsed lines get the same year.
 */
export function yearlessMs(
  mo: number,
  d: number,
  h: number,
  mi: number,
  se: number,
  frac: number,
  refMs: number,
): number {
  const ref = refMs === refMs ? refMs : Date.now();
  const year = utcYear(ref);
  if (mo === 1 && d === 29) return leapDayMs(year, h, mi, se, frac, ref);
  let ms = Date.UTC(year, mo, d, h, mi, se, frac);
  // Further in the future of the receipt time than clock skew explains: it
  // was last year (Nov 28 read on Nov 24 is last November's).
  if (ms > ref + ROLLOVER_AHEAD_MS) {
    ms = Date.UTC(year - 1, mo, d, h, mi, se, frac);
  } else if (ms < ref - ROLLOVER_NEXT_MS) {
    // Near a year's end, a line stamped early January (a sender east of UTC,
    // a fast clock) belongs to next year when that is within the skew.
    const next = Date.UTC(year + 1, mo, d, h, mi, se, frac);
    if (next <= ref + ROLLOVER_AHEAD_MS) ms = next;
  }
  // Feb 30, Apr 31 (no year has them): Date.UTC rolled it into the next month.
  if (d > 28 && new Date(ms).getUTCDate() !== d) return noSuchDay();
  return ms;
}

/**
 * Feb 29 written without its year: the latest leap year whose Feb 29 is at
 * most ROLLOVER_AHEAD_MS after receipt (read in 2026, the line is from
 * 2024-02-29). The usual candidates (this year, last year) may both lack the
 * day, and Date.UTC would silently roll it into March 1; next year's Feb 29
 * is always months ahead of receipt, so it never applies. The loop goes at
 * most 8 years back (2100, a century not divisible by 400, is no leap year).
 */
function leapDayMs(
  year: number,
  h: number,
  mi: number,
  se: number,
  frac: number,
  ref: number,
): number {
  for (let y = year;; y--) {
    if (!dayExists(y, 1, 29)) continue;
    const ms = Date.UTC(y, 1, 29, h, mi, se, frac);
    if (ms <= ref + ROLLOVER_AHEAD_MS) return ms;
  }
}

/**
 * Clock skew allowed between a sender and the receiver: an event time at
 * most this far after receipt is plausible (the parser's check), and a
 * year-less time further ahead is last year's (the year guess). One value
 * for both, so a time the guess places in this year is never then rejected
 * as implausible.
 */
export const CLOCK_SKEW_MS = 86_400_000;
/** How far ahead of receipt a year-less time may be before it is last year's. */
const ROLLOVER_AHEAD_MS = CLOCK_SKEW_MS;
/**
 * A year-less time this far behind receipt may be next year's (only then is
 * next year's candidate, at least 365 days later, within ROLLOVER_AHEAD_MS):
 * one compare keeps the common case free.
 */
const ROLLOVER_NEXT_MS = 365 * 86400000 - ROLLOVER_AHEAD_MS;

// UTC year of the last reference time asked for, valid in [yearFrom, yearTo).
let yearFrom = NaN;
let yearTo = NaN;
let yearOf = 0;

/** UTC year of `ms`, cached: receipt times of a stream share their year. */
function utcYear(ms: number): number {
  if (!(ms >= yearFrom && ms < yearTo)) {
    yearOf = new Date(ms).getUTCFullYear();
    yearFrom = Date.UTC(yearOf, 0, 1);
    yearTo = Date.UTC(yearOf + 1, 0, 1);
  }
  return yearOf;
}

/**
 * ctime form at `s[i]`, as Apache error logs and ftpd write it:
 * `Sun Dec 04 04:47:44[.frac] 2005`. Assumes UTC. Sets {@link scanEnd}.
 */
export function parseCtimeAt(s: string, i: number): number {
  if (s.charCodeAt(i + 3) !== 32) return NaN;
  const mo = monthAt(s, i + 4);
  if (mo < 0 || s.charCodeAt(i + 7) !== 32) return NaN;
  let j = i + 8;
  if (s.charCodeAt(j) === 32) j++;
  let d = digitsAt(s, j, 2);
  if (d < 0) {
    d = digitsAt(s, j, 1);
    j += 1;
  } else j += 2;
  const h = digitsAt(s, j + 1, 2);
  const mi = digitsAt(s, j + 4, 2);
  const se = digitsAt(s, j + 7, 2);
  if (
    d < 1 || d > 31 || h < 0 || mi < 0 || se < 0 || !validClock(h, mi, se)
  ) return NaN;
  const frac = fractionAt(s, j + 9);
  const y = digitsAt(s, scanEnd + 1, 4);
  if (y < 0 || !dayExists(y, mo, d)) return NaN;
  scanEnd += 5;
  return Date.UTC(y, mo, d, h, mi, se, frac);
}

/**
 * Apache/nginx access-log time at `s[i]`: `04/Dec/2005:04:47:44 +0000`.
 * Sets {@link scanEnd}.
 */
export function parseClfAt(s: string, i: number): number {
  const d = digitsAt(s, i, 2);
  const mo = monthAt(s, i + 3);
  const y = digitsAt(s, i + 7, 4);
  const h = digitsAt(s, i + 12, 2);
  const mi = digitsAt(s, i + 15, 2);
  const se = digitsAt(s, i + 18, 2);
  if (
    d < 1 || d > 31 || mo < 0 || y < 0 || h < 0 || mi < 0 || se < 0 ||
    s.charCodeAt(i + 2) !== 47 || s.charCodeAt(i + 6) !== 47 ||
    !validClock(h, mi, se) || !dayExists(y, mo, d)
  ) return NaN;
  const frac = fractionAt(s, i + 20);
  let off = 0;
  if (s.charCodeAt(scanEnd) === 32) {
    off = zoneAt(s, scanEnd + 1);
    if (off !== off) return NaN;
  }
  return Date.UTC(y, mo, d, h, mi, se, frac) - off * 60000;
}

/**
 * RFC 2822 at `s[i]`: `[Tue, ]24 Nov 2026 10:00:00 +0100` (or GMT/UTC).
 * Sets {@link scanEnd}.
 */
export function parseRfc2822At(s: string, i: number): number {
  let j = i;
  if (s.charCodeAt(j + 3) === 44) j += 5; // "Tue, "
  let d = digitsAt(s, j, 2);
  if (d < 0) {
    d = digitsAt(s, j, 1);
    j += 2;
  } else j += 3;
  const mo = monthAt(s, j);
  const y = digitsAt(s, j + 4, 4);
  const h = digitsAt(s, j + 9, 2);
  const mi = digitsAt(s, j + 12, 2);
  const se = digitsAt(s, j + 15, 2);
  if (
    d < 1 || d > 31 || mo < 0 || y < 0 || h < 0 || mi < 0 || se < 0 ||
    !validClock(h, mi, se) || !dayExists(y, mo, d)
  ) return NaN;
  let off = 0;
  scanEnd = j + 17;
  if (s.charCodeAt(j + 17) === 32) {
    const c = s.charCodeAt(j + 18);
    if (c === 43 || c === 45) off = zoneAt(s, j + 18);
    else off = zoneAt(s, j + 17);
    if (off !== off) return NaN;
  }
  return Date.UTC(y, mo, d, h, mi, se) - off * 60000;
}

/**
 * Epoch number in seconds, milliseconds, microseconds or nanoseconds, told
 * apart by magnitude (seconds up to year 5138, then ms, µs, ns).
 */
export function epochToMs(n: number): number {
  if (n !== n || n < 0) return NaN;
  if (n < 1e11) return Math.floor(n * 1000);
  if (n < 1e14) return Math.floor(n);
  if (n < 1e17) return Math.floor(n / 1000);
  return Math.floor(n / 1e6);
}

function allDigits(s: string): boolean {
  let dot = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (++dot > 1) return false;
    } else if (c < 48 || c > 57) return false;
  }
  return s.length > 0;
}

/**
 * Reads an event time from any common form: ISO 8601/RFC 3339 with offsets,
 * RFC 3164, RFC 2822, ctime, Apache `04/Dec/2005:04:47:44 +0000`, epoch
 * s/ms/µs/ns (number or digits). `refMs` resolves a missing year. Returns
 * UTC ms, or NaN when no plausible time can be read.
 */
export function parseTimestamp(value: unknown, refMs: number): number {
  let ms: number;
  if (typeof value === "number") ms = epochToMs(value);
  else if (typeof value !== "string") return NaN;
  else {
    ms = canonicalIsoMs(value);
    if (ms !== ms) ms = parseTimeText(value.trim(), refMs);
  }
  return plausibleMs(ms) ? ms : NaN;
}

function parseTimeText(s: string, refMs: number): number {
  if (s.length < 6) return NaN;
  const c = s.charCodeAt(0);
  zoneRead = false;
  let ms: number;
  if (c >= 48 && c <= 57) {
    if (s.charCodeAt(4) === 45 || s.charCodeAt(4) === 47) {
      ms = parseIsoAt(s, 0);
    } else if (s.charCodeAt(2) === 47) ms = parseClfAt(s, 0);
    else if (allDigits(s)) return epochToMs(Number(s));
    else ms = parseRfc2822At(s, 0);
  } else if (c === 91) return parseClfAt(s, 1); // "[04/Dec/2005:…]"
  else if (monthAt(s, 0) >= 0) ms = parseRfc3164At(s, 0, refMs);
  else if (s.charCodeAt(3) === 44) ms = parseRfc2822At(s, 0);
  else if (s.charCodeAt(3) === 32) ms = parseCtimeAt(s, 0);
  else return NaN;
  // A zone the form's scanner did not read (`Nov 24 2026 10:00:00 +0100`,
  // `… PST`, RFC 2822's `EST`) is applied; an unknown one leaves no time.
  if (ms === ms && !zoneRead && scanEnd < s.length) {
    ms -= trailingZone(s, scanEnd) * 60000;
  }
  return ms;
}

// Java SimpleDateFormat patterns (LEEF devTimeFormat), compiled once each.
const P_LITERAL = 0,
  P_YEAR = 1,
  P_MONTH = 2,
  P_MONTH_NAME = 3,
  P_DAY = 4,
  P_HOUR = 5,
  P_HOUR12 = 6,
  P_MINUTE = 7,
  P_SECOND = 8,
  P_FRACTION = 9,
  P_AMPM = 10,
  P_ZONE = 11,
  P_DAY_NAME = 12;

/** One step of a compiled pattern: a field and its letter count, or a literal. */
interface PatternStep {
  kind: number;
  count: number;
  literal: string;
}

const PATTERN_LETTERS: Record<string, number> = {
  y: P_YEAR,
  M: P_MONTH,
  d: P_DAY,
  H: P_HOUR,
  h: P_HOUR12,
  m: P_MINUTE,
  s: P_SECOND,
  S: P_FRACTION,
  a: P_AMPM,
  z: P_ZONE,
  Z: P_ZONE,
  X: P_ZONE,
  E: P_DAY_NAME,
};

/** Compiled patterns by their text (null: a letter this does not read). */
const patterns = new Map<string, PatternStep[] | null>();
const PATTERNS_MAX = 256;

function compilePattern(pattern: string): PatternStep[] | null {
  const steps: PatternStep[] = [];
  let i = 0;
  const n = pattern.length;
  while (i < n) {
    const ch = pattern[i];
    if (ch === "'") { // quoted literal; '' is a quote
      const close = pattern.indexOf("'", i + 1);
      if (close < 0) return null;
      const lit = close === i + 1 ? "'" : pattern.slice(i + 1, close);
      steps.push({ kind: P_LITERAL, count: 0, literal: lit });
      i = close + 1;
      continue;
    }
    const c = ch.charCodeAt(0) | 32;
    if (c >= 97 && c <= 122) {
      const kind = PATTERN_LETTERS[ch];
      if (kind === undefined) return null;
      let j = i + 1;
      while (j < n && pattern[j] === ch) j++;
      let k = kind;
      if (k === P_MONTH && j - i >= 3) k = P_MONTH_NAME;
      steps.push({ kind: k, count: j - i, literal: "" });
      i = j;
      continue;
    }
    steps.push({ kind: P_LITERAL, count: 0, literal: ch });
    i++;
  }
  return steps;
}

/** Reads 1 to `max` digits at `s[i]`; -1 if none; sets {@link scanEnd}. */
function digitsUpTo(s: string, i: number, max: number): number {
  let v = 0;
  let j = i;
  while (j - i < max) {
    const c = s.charCodeAt(j) - 48;
    if (!(c >= 0 && c <= 9)) break;
    v = v * 10 + c;
    j++;
  }
  scanEnd = j;
  return j === i ? -1 : v;
}

/**
 * Reads `s` with a Java SimpleDateFormat `pattern` as devices write it in
 * LEEF `devTimeFormat` (letters y M MMM d H h m s S a z Z X E; quoted
 * literals). `S` is read as a decimal fraction. Without a year, the year is
 * resolved against `refMs` as for RFC 3164; without a zone, UTC. Returns
 * UTC ms, or NaN when the text does not fit the pattern, the date does not
 * exist, or a zone is unknown.
 */
export function parseWithPattern(
  s: string,
  pattern: string,
  refMs: number,
): number {
  let steps = patterns.get(pattern);
  if (steps === undefined) {
    steps = compilePattern(pattern);
    if (patterns.size >= PATTERNS_MAX) patterns.clear();
    patterns.set(pattern, steps);
  }
  if (steps === null) return NaN;
  let y = -1, mo = 0, d = 1, h = 0, mi = 0, se = 0, frac = 0, off = 0;
  let pm = -1;
  let pos = 0;
  for (const st of steps) {
    let v = 0;
    switch (st.kind) {
      case P_LITERAL:
        if (!s.startsWith(st.literal, pos)) return NaN;
        pos += st.literal.length;
        continue;
      case P_MONTH_NAME:
        mo = monthAt(s, pos);
        if (mo < 0) return NaN;
        pos += 3;
        if (st.count > 3) { // full name: the rest of the word
          while (((s.charCodeAt(pos) | 32) - 97) >>> 0 < 26) pos++;
        }
        continue;
      case P_DAY_NAME:
        while (((s.charCodeAt(pos) | 32) - 97) >>> 0 < 26) pos++;
        continue;
      case P_AMPM: {
        const a = s.charCodeAt(pos) | 32;
        if ((s.charCodeAt(pos + 1) | 32) !== 109 || (a !== 97 && a !== 112)) {
          return NaN;
        }
        pm = a === 112 ? 1 : 0;
        pos += 2;
        continue;
      }
      case P_ZONE: {
        const c = s.charCodeAt(pos);
        off = c === 43 || c === 45 ? offsetAt(s, pos) : zoneNameAt(s, pos);
        if (off !== off) return NaN;
        pos = scanEnd;
        continue;
      }
      case P_FRACTION: {
        const start = pos;
        v = digitsUpTo(s, pos, 9);
        if (v < 0) return NaN;
        pos = scanEnd;
        frac = Math.floor(v / 10 ** (pos - start - 3));
        continue;
      }
    }
    v = digitsUpTo(s, pos, st.kind === P_YEAR && st.count !== 2 ? 4 : 2);
    if (v < 0) return NaN;
    pos = scanEnd;
    switch (st.kind) {
      case P_YEAR:
        y = st.count === 2 ? 2000 + v : v;
        break;
      case P_MONTH:
        mo = v - 1;
        break;
      case P_DAY:
        d = v;
        break;
      case P_HOUR:
        h = v;
        break;
      case P_HOUR12:
        if (v < 1 || v > 12) return NaN;
        h = v;
        if (pm < 0) pm = 0;
        break;
      case P_MINUTE:
        mi = v;
        break;
      case P_SECOND:
        se = v;
        break;
    }
  }
  for (; pos < s.length; pos++) if (s.charCodeAt(pos) !== 32) return NaN;
  if (pm >= 0) h = (h % 12) + pm * 12;
  if (mo < 0 || mo > 11 || d < 1 || d > 31 || !validClock(h, mi, se)) {
    return NaN;
  }
  if (y >= 0 && !dayExists(y, mo, d)) return NaN;
  const ms = y < 0
    ? yearlessMs(mo, d, h, mi, se, frac, refMs)
    : Date.UTC(y, mo, d, h, mi, se, frac);
  return ms - off * 60000;
}
