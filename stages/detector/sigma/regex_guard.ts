/**
 * Regular expressions from rules are untrusted input: a rule author (or a
 * corpus pulled from the internet) can write a pattern whose backtracking
 * is exponential in the input length, and V8 offers no match timeout. We
 * defend in two layers:
 *
 * 1. At compile time, patterns with the shapes that cause catastrophic
 *    backtracking are rejected: a quantified group whose body can itself
 *    repeat (nested quantifiers such as `(a+)+`, `(\w*)*`, `(a|b+){2,}`),
 *    and back-references (which push matching outside regular languages).
 * 2. At match time, a backtracking regex sees the first and the last
 *    {@link REGEX_INPUT_MAX} characters of a longer value (counted in
 *    {@link regexInputsCut}), which bounds the polynomial (e.g. quadratic
 *    `\s*x\s*y`) cases that remain; literal/`.*` chains run linearly on
 *    the whole value.
 *
 * 3. A pattern the first layer rejects still runs when V8's linear-time
 *    regex engine can execute it (no back-references, look-arounds or `|i`;
 *    see {@link LINEAR_ENGINE}): matching is then linear in the input, so
 *    the nested-quantifier shape costs nothing. The detector process starts
 *    with that engine enabled (stages/shared/v8_flags.ts), so e.g.
 *    SigmaHQ's three Invoke-Obfuscation VAR+ rules, whose `(?:.*\)){1,}`
 *    the first layer refuses, detect instead of being dropped.
 *
 * PCRE-only syntax that JavaScript lacks is translated where the meaning is
 * identical (a leading `(?i)`/`(?s)`/`(?m)` becomes a flag, `(?P<n>` becomes
 * `(?<n>`); anything else JavaScript cannot compile is rejected.
 *
 * @module
 */

/** Longest input (UTF-16 code units) a rule regex is run against. */
export const REGEX_INPUT_MAX = 8192;

/**
 * Whether this process can compile regexes for V8's linear-time engine (the
 * `l` flag, available when V8 runs with `--enable-experimental-regexp-engine`,
 * as the detector does). Library users without the flag get the rejection.
 */
export const LINEAR_ENGINE: boolean = (() => {
  try {
    new RegExp("a", "l");
    return true;
  } catch {
    return false;
  }
})();

/** Result of translating a Sigma/PCRE regex to a JavaScript RegExp. */
export interface TranslatedRegex {
  regex: RegExp;
}

/**
 * Translates and checks `pattern`; throws an Error with a precise reason when
 * the engine cannot honour it safely.
 */
export function compileRuleRegex(
  pattern: string,
  flags: { i?: boolean; m?: boolean; s?: boolean },
): RegExp {
  let src = pattern;
  const f = new Set<string>();
  if (flags.i) f.add("i");
  if (flags.m) f.add("m");
  if (flags.s) f.add("s");
  // Leading global inline flags, e.g. (?i) or (?is).
  for (;;) {
    const m = /^\(\?([imsx]+)\)/.exec(src);
    if (!m) break;
    for (const c of m[1]) {
      if (c === "x") {
        throw new Error(`regex uses the (?x) extended flag, unsupported`);
      }
      f.add(c);
    }
    src = src.slice(m[0].length);
  }
  if (/\(\?[imsx]+\)/.test(src)) {
    // A global inline flag in the middle applies to the rest in PCRE; only
    // the scoped (?i:...) form exists in JavaScript.
    throw new Error(
      `regex has an inline flag group (?i) that is not at the start; use (?i:...)`,
    );
  }
  src = src.replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, "(?<$1>");
  if (/\(\?P[=>]/.test(src)) {
    throw new Error(`regex uses a PCRE named back-reference, unsupported`);
  }
  if (/\(\?>/.test(src)) {
    throw new Error(`regex uses an atomic group (?>...), unsupported`);
  }
  if (/(?:[*+?}])\+/.test(stripEscapesAndClasses(src))) {
    throw new Error(`regex uses a possessive quantifier, unsupported`);
  }
  const danger = catastrophicShape(src);
  if (danger) {
    const linear = linearRegExp(src, [...f].join(""));
    if (linear) return linear;
    throw new Error(
      `regex rejected as unsafe: ${danger}${
        LINEAR_ENGINE
          ? "; V8's linear-time engine cannot run it either (it supports no back-references, look-arounds or case-insensitive matching)"
          : "; run the detector with --v8-flags=--enable-experimental-regexp-engine to match such patterns in linear time"
      }`,
    );
  }
  try {
    const chain = parseDotChain(src, f.has("i"));
    if (chain) return new DotChainRegExp(src, [...f].join(""), chain);
    return new RegExp(src, [...f].join(""));
  } catch (e) {
    throw new Error(`regex does not compile: ${(e as Error).message}`);
  }
}

/** `src` on V8's linear-time engine, or null (engine off, or unsupported). */
function linearRegExp(src: string, flags: string): RegExp | null {
  if (!LINEAR_ENGINE) return null;
  try {
    return new RegExp(src, flags + "l");
  } catch {
    return null;
  }
}

/** Replaces escaped characters and character classes with a neutral `x`. */
function stripEscapesAndClasses(src: string): string {
  let out = "";
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === "\\") {
      out += "x";
      i++;
      continue;
    }
    if (c === "[") {
      i++;
      if (src[i] === "^") i++;
      if (src[i] === "]") i++;
      while (i < src.length && src[i] !== "]") {
        if (src[i] === "\\") i++;
        i++;
      }
      out += "x";
      continue;
    }
    out += c;
  }
  return out;
}

type Rep = 0 | 1 | 2; // none, bounded, unbounded

/**
 * Finds a shape with super-linear backtracking: an unboundedly repeated
 * group whose body also repeats unboundedly (`(a+)+`, `(\w*\s)*`), a group
 * repeated more than 10 times whose body repeats unboundedly, or an
 * unboundedly repeated alternation whose branches can start with the same
 * character (`(a|ab)+`, `(.|x)*`). Also back-references. Returns a
 * description, or "" when safe.
 */
export function catastrophicShape(src: string): string {
  if (/\\[1-9]|\\k</.test(src)) return "back-references are not allowed";
  const adjacent = adjacentOverlap(src);
  if (adjacent) return adjacent;
  const s = stripEscapesAndClasses(src);
  interface Frame {
    rep: Rep;
    start: number;
    branches: number[];
  }
  const stack: Frame[] = [];
  let top: Frame = { rep: 0, start: 0, branches: [0] };
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "(") {
      stack.push(top);
      let body = i + 1;
      const m = /^\?(?:[:=!]|<[=!]|<[A-Za-z_][A-Za-z0-9_]*>|[ims-]+:)/.exec(
        s.slice(body),
      );
      if (m) body += m[0].length;
      top = { rep: 0, start: i, branches: [body] };
      continue;
    }
    if (c === "|") {
      top.branches.push(i + 1);
      continue;
    }
    if (c === ")") {
      const inner = top;
      top = stack.pop() ?? { rep: 0, start: 0, branches: [0] };
      const q = quantifierAt(s, i + 1);
      const group = src.length === s.length
        ? src.slice(inner.start, i + 1)
        : s.slice(inner.start, i + 1);
      if (q.rep === 2 && inner.rep === 2) {
        return `nested quantifier in group ${
          JSON.stringify(group)
        } (an unbounded repeat inside an unbounded repeat)`;
      }
      if (q.rep !== 2 && q.max > 10 && inner.rep === 2) {
        return `nested quantifier in group ${
          JSON.stringify(group)
        } (an unbounded repeat repeated up to ${q.max} times)`;
      }
      if (q.rep === 2 && inner.branches.length > 1) {
        const firsts = inner.branches.map((b) => s[b]);
        const wild = firsts.some((f) =>
          f === "." || f === "x" || f === "(" || f === "|" || f === ")"
        );
        if (wild || new Set(firsts).size < firsts.length) {
          return `repeated alternation in group ${
            JSON.stringify(group)
          } whose branches may overlap`;
        }
      }
      top.rep = Math.max(top.rep, inner.rep, q.rep) as Rep;
      continue;
    }
    if (c === "*" || c === "+") top.rep = 2;
    if (c === "{") {
      const q = quantifierAt(s, i);
      if (q.rep > top.rep) top.rep = q.rep;
    }
  }
  return "";
}

/**
 * Two consecutive atoms both repeated without bound whose characters can
 * overlap (`x+x+`, `\d+[0-9]*`, `.*.*`): the split point between them is
 * ambiguous, so a failing match tries every split (review A4).
 */
function adjacentOverlap(src: string): string {
  let prev: string | null = null;
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    let atom: string;
    if (c === "(") {
      prev = null;
      i++;
      const m = /^\?(?:[:=!]|<[=!]|<[A-Za-z_][A-Za-z0-9_]*>|[ims-]+:)/.exec(
        src.slice(i),
      );
      if (m) i += m[0].length;
      continue;
    }
    if (c === ")" || c === "|" || c === "^" || c === "$") {
      prev = null;
      i++;
      // A quantifier after a group: the group is one unit, handled by
      // catastrophicShape; skip the quantifier here.
      if (c === ")") i += quantifierLength(src, i);
      continue;
    }
    if (c === "\\") {
      atom = src.slice(i, i + 2);
      i += 2;
    } else if (c === "[") {
      let j = i + 1;
      if (src[j] === "^") j++;
      if (src[j] === "]") j++;
      while (j < src.length && src[j] !== "]") j += src[j] === "\\" ? 2 : 1;
      atom = src.slice(i, j + 1);
      i = j + 1;
    } else {
      atom = c;
      i++;
    }
    const q = quantifierAt(src, i);
    i += quantifierLength(src, i);
    if (q.rep !== 2) {
      prev = null;
      continue;
    }
    if (prev !== null && atomsOverlap(prev, atom)) {
      return `adjacent unbounded repeats ${
        JSON.stringify(prev + "+" + atom + "+")
      } can match the same characters`;
    }
    prev = atom;
  }
  return "";
}

/** Characters of a quantifier (with a lazy `?`) starting at `i`, or 0. */
function quantifierLength(s: string, i: number): number {
  let n = 0;
  const c = s[i];
  if (c === "*" || c === "+" || c === "?") n = 1;
  else if (c === "{") {
    const m = /^\{\d*,?\d*\}/.exec(s.slice(i));
    if (m) n = m[0].length;
  }
  if (n > 0 && s[i + n] === "?") n++;
  return n;
}

/** Whether two atoms can match a common character (probed over Latin-1). */
function atomsOverlap(a: string, b: string): boolean {
  if (a === b || a === "." || b === ".") return true;
  let ra: RegExp, rb: RegExp;
  try {
    ra = new RegExp(`^${a}$`);
    rb = new RegExp(`^${b}$`);
  } catch {
    return true;
  }
  for (let c = 0; c < 256; c++) {
    const ch = String.fromCharCode(c);
    if (ra.test(ch) && rb.test(ch)) return true;
  }
  return false;
}

/**
 * A regex made only of literal characters and `.*` / `.+` (the SigmaHQ
 * `\+.*\+.*\+…` shape): literal pieces with the least gap before each,
 * and the least tail. Null for any other regex.
 */
interface DotChain {
  pieces: string[];
  gaps: number[];
  tail: number;
}

function parseDotChain(src: string, fold: boolean): DotChain | null {
  const pieces: string[] = [];
  const gaps: number[] = [];
  let lit = "";
  let gap = 0;
  let wild = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === "." && (src[i + 1] === "*" || src[i + 1] === "+")) {
      if (lit) {
        pieces.push(lit);
        gaps.push(gap);
        lit = "";
        gap = 0;
      }
      if (src[i + 1] === "+") gap++;
      wild++;
      i++;
      if (src[i + 1] === "?") i++;
      continue;
    }
    let ch: string;
    if (c === "\\") {
      const n = src[i + 1];
      if (n === undefined || /[A-Za-z0-9]/.test(n)) return null;
      ch = n;
      i++;
    } else if (".^$|?*+()[]{}".includes(c)) return null;
    else ch = c;
    if (fold && ch.charCodeAt(0) > 127) return null;
    lit += fold ? ch.toLowerCase() : ch;
  }
  if (wild === 0) return null;
  if (lit) {
    pieces.push(lit);
    gaps.push(gap);
    gap = 0;
  }
  return { pieces, gaps, tail: gap };
}

/**
 * A literal-and-dot-star regex matched in linear time: each piece found
 * leftmost after the previous (leftmost is optimal when the gaps are
 * `.*`/`.+`), within one line unless the `s` flag is set. Behaves as the
 * RegExp it extends for `test`; the rest of RegExp is inherited.
 */
class DotChainRegExp extends RegExp {
  readonly #chain: DotChain;
  readonly #fold: boolean;
  readonly #dotAll: boolean;
  /** Per piece, the last found index (reused across lines of one test). */
  readonly #found: Float64Array;

  constructor(src: string, flags: string, chain: DotChain) {
    super(src, flags);
    this.#chain = chain;
    this.#fold = flags.includes("i");
    this.#dotAll = flags.includes("s");
    this.#found = new Float64Array(chain.pieces.length);
  }

  override test(s: string): boolean {
    this.#found.fill(-2);
    if (this.#dotAll) return this.#range(s, 0, s.length);
    let start = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) {
        if (this.#range(s, start, i)) return true;
        start = i + 1;
      }
    }
    return this.#range(s, start, s.length);
  }

  #range(s: string, from: number, end: number): boolean {
    const { pieces, gaps, tail } = this.#chain;
    let pos = from;
    for (let k = 0; k < pieces.length; k++) {
      pos += gaps[k];
      const i = this.#find(k, s, pos);
      if (i < 0 || i + pieces[k].length > end) return false;
      pos = i + pieces[k].length;
    }
    return end - pos >= tail;
  }

  /** Leftmost index ≥ pos of piece k in s (memoised: lines move forward). */
  #find(k: number, s: string, pos: number): number {
    const last = this.#found[k];
    if (last === -1 || last >= pos) return last;
    const lit = this.#chain.pieces[k];
    let i: number;
    if (!this.#fold) i = s.indexOf(lit, pos);
    else {
      i = -1;
      outer: for (let p = pos; p + lit.length <= s.length; p++) {
        for (let j = 0; j < lit.length; j++) {
          let c = s.charCodeAt(p + j);
          if (c >= 65 && c <= 90) c += 32;
          if (c !== lit.charCodeAt(j)) continue outer;
        }
        i = p;
        break;
      }
    }
    this.#found[k] = i;
    return i;
  }
}

function quantifierAt(s: string, i: number): { rep: Rep; max: number } {
  const c = s[i];
  if (c === "*" || c === "+") return { rep: 2, max: Infinity };
  if (c === "{") {
    const m = /^\{(\d*)(,?)(\d*)\}/.exec(s.slice(i));
    if (!m) return { rep: 0, max: 1 };
    if (m[2] === ",") {
      if (m[3] === "") return { rep: 2, max: Infinity };
      const max = Number(m[3]);
      return { rep: max > Number(m[1] || 0) ? 1 : 0, max };
    }
    return { rep: 0, max: Number(m[1]) };
  }
  return { rep: 0, max: 1 };
}

let inputsCut = 0;

/**
 * How many values longer than {@link REGEX_INPUT_MAX} a backtracking rule
 * regex was run on (process-wide): only their head and tail were scanned.
 */
export function regexInputsCut(): number {
  return inputsCut;
}

/**
 * Runs `re` unanchored over `value`. Linear matchers see the whole value; a
 * backtracking regex sees at most the first and the last
 * {@link REGEX_INPUT_MAX} characters, counted, so padding a value in front
 * no longer hides what follows (review A5).
 */
export function testBounded(re: RegExp, value: string): boolean {
  if (value.length <= REGEX_INPUT_MAX || re instanceof DotChainRegExp) {
    return re.test(value);
  }
  inputsCut++;
  return re.test(value.slice(0, REGEX_INPUT_MAX)) ||
    re.test(value.slice(value.length - REGEX_INPUT_MAX));
}
