/**
 * A nesting guard run on request text before `JSON.parse`. Deeply nested
 * documents are cheap to send and expensive to handle (recursive
 * serialization downstream overflows the stack), so ingest refuses them
 * before building any object.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** Default deepest object/array nesting accepted in one event. */
export const DEFAULT_MAX_JSON_DEPTH = 32;

/**
 * Returns true when the JSON text nests objects/arrays deeper than
 * `maxDepth` anywhere. Brackets inside strings are ignored. The text need not
 * be valid JSON (NDJSON with many documents works: depth returns to zero
 * between lines); validity is left to `JSON.parse`.
 */
export function exceedsJsonDepth(text: string, maxDepth: number): boolean {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // Jump to the closing quote: a quote preceded by an odd number of
      // backslashes is escaped.
      let j = i;
      for (;;) {
        j = text.indexOf('"', j + 1);
        if (j === -1) return false;
        let k = j - 1;
        while (text.charCodeAt(k) === BACKSLASH) k--;
        if ((j - 1 - k) % 2 === 0) break;
      }
      i = j;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (depth > 0) depth--;
    }
  }
  return false;
}
