/**
 * Fast `Date.parse` for the canonical event-time form every stage writes
 * (`YYYY-MM-DDTHH:MM:SS.sssZ`).
 *
 * @module
 */

/**
 * `Date.parse` with a one-entry cache of the whole-second prefix: a stream
 * of times within the same second costs one prefix compare and three
 * digits per call. Anything not in the canonical form goes to
 * `Date.parse`, so results are always those of `Date.parse`. Keep one
 * parser per time field (event time, receive time): two fields through one
 * parser would evict each other's prefix.
 */
export class IsoTimeParser {
  #prefix = "";
  #prefixMs = 0;

  /** Milliseconds since the epoch, exactly as `Date.parse(ts)`. */
  parse(ts: string): number {
    // Records that skipped validation may lack the field: NaN, as Date.parse.
    if (typeof ts !== "string") return NaN;
    if (
      ts.length === 24 && ts.charCodeAt(23) === 90 &&
      ts.charCodeAt(19) === 46
    ) {
      const a = ts.charCodeAt(20) - 48,
        b = ts.charCodeAt(21) - 48,
        c = ts.charCodeAt(22) - 48;
      if (a >= 0 && a <= 9 && b >= 0 && b <= 9 && c >= 0 && c <= 9) {
        const ms = a * 100 + b * 10 + c;
        if (this.#prefix.length === 19 && ts.startsWith(this.#prefix)) {
          return this.#prefixMs + ms;
        }
        const prefix = ts.slice(0, 19);
        const base = Date.parse(prefix + "Z");
        if (!Number.isNaN(base)) {
          this.#prefix = prefix;
          this.#prefixMs = base;
          return base + ms;
        }
      }
    }
    return Date.parse(ts);
  }
}
