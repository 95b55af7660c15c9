/**
 * Literal prefiltering, so an event is only evaluated against rules that
 * could match it.
 *
 * At compile time each predicate may carry a *need*: a list of
 * (field, literal) pairs of which at least one must occur (as a substring
 * of the lowercased field value) whenever the predicate is true. Needs are
 * derived bottom-up: a field condition needs one literal per value; OR
 * needs the union of its branches; AND needs the most selective branch;
 * NOT (and anything without a literal, e.g. regexes, numbers, null) needs
 * nothing, which makes the rule "always evaluate".
 *
 * A literal may also be *exact*: the whole lowercased value must equal it
 * (a value without wildcards, e.g. `EventID: 16` or `Image: 'System'`).
 * Exact literals of any length work as needs, through one hash lookup of
 * the field value per event (per-field dispatch). Literals required by a
 * regex (see {@link regexLiterals}) are needs as well. A short literal
 * holding a non-ASCII character (emoji, homoglyphs, the right-to-left
 * override) needs that character (`char`): found by one native scan for
 * non-ASCII text, which ordinary values do not hold.
 *
 * At match time, for each field that carries literals, the lowercased
 * value is scanned once with a 4-gram hash index (substring literals
 * shorter than 4 characters are never used as needs); each gram hit is
 * verified with `startsWith` at its offset, and the rules of the verified
 * literals become candidates. Rules without a need are always candidates. Candidates are
 * evaluated in rule order with their full predicate, so the prefilter can
 * only skip rules that cannot match.
 *
 * @module
 */
import type { EventView } from "./fields.ts";

/**
 * A disjunction of (field slot, lowercase literal) requirements: the
 * literal occurs in the lowercased value, or with `exact`, is all of it.
 */
export type Clause = {
  slot: number;
  lit: string;
  exact?: boolean;
  /** `lit` is one UTF-16 code unit (≥ 0x80) that must occur. */
  char?: boolean;
}[];

/**
 * What a predicate needs: every clause must hold (each clause: one of its
 * literals occurs). At most {@link MAX_CLAUSES} clauses are kept.
 */
export type Need = Clause[];

/** Shortest literal used as a need. */
export const MIN_LITERAL = 4;

/** Clauses kept per need (more would cost more than they save). */
export const MAX_CLAUSES = 2;

const needs = new WeakMap<object, Need>();

/** Records the need of a predicate (null/undefined: none). */
export function setNeed<T extends object>(
  pred: T,
  need: Need | null | undefined,
): T {
  if (need && need.length) needs.set(pred, need);
  return pred;
}

/** The need recorded for a predicate, or null. */
export function needOf(pred: object): Need | null {
  return needs.get(pred) ?? null;
}

/** A need of one clause. */
export function clauseNeed(c: Clause | null): Need | null {
  return c && c.length ? [c] : null;
}

function score(c: Clause): number {
  let minLen = Infinity;
  // A whole-value match is as selective as a long substring.
  for (const x of c) {
    minLen = Math.min(minLen, x.exact ? 12 : x.char ? 4 : x.lit.length);
  }
  return Math.min(minLen, 12) * 1000 - c.length;
}

function best(n: Need): Clause {
  let b = n[0];
  for (const c of n) if (score(c) > score(b)) b = c;
  return b;
}

/**
 * Union (OR): one clause, the union of each branch's best clause; null when
 * any branch has no need.
 */
export function needAny(parts: (Need | null)[]): Need | null {
  const out: Clause = [];
  const seen = new Set<string>();
  for (const p of parts) {
    if (!p) return null;
    for (const x of best(p)) {
      const k = `${x.slot}\u0000${x.exact ? "=" : x.char ? "#" : "~"}${x.lit}`;
      if (!seen.has(k)) {
        seen.add(k);
        out.push(x);
      }
    }
  }
  return out.length ? [out] : null;
}

/** Conjunction (AND): the most selective clauses of all branches. */
export function needAll(parts: (Need | null)[]): Need | null {
  const all: Clause[] = [];
  for (const p of parts) if (p) all.push(...p);
  if (all.length === 0) return null;
  all.sort((a, b) => score(b) - score(a));
  return all.slice(0, MAX_CLAUSES);
}

/** Something the index can select. */
export interface Prefilterable {
  need: Need | null;
  index: number;
}

interface SlotIndex {
  slot: number;
  /** Open-addressing table of packed 4-grams → literal list. */
  keys: Int32Array;
  heads: Int32Array;
  mask: number;
  /** Per literal list: [literal, offset of the gram in it, rule ids]. */
  lists: { lit: string; off: number; rules: number[] }[][];
  /**
   * Values already scanned → the clause lists of the literals found in
   * them. Field values repeat (images, parent images, channels, common
   * command lines), and a lookup costs one hash of the value where a scan
   * costs a probe per character.
   */
  seen: Map<string, number[][]>;
  /** Characters of the values held in `seen`. */
  seenChars: number;
}

/** Distinct values remembered per indexed field (then forgotten at once). */
const SEEN_MAX = 1024;
/** Longer values are scanned every time (rarely repeated, costly to keep). */
const SEEN_MAX_LENGTH = 512;
/** Characters held by all the `seen` maps together (≈ 4 MB). */
const SEEN_BUDGET = 2 * 1024 * 1024;
let seenCharsTotal = 0;

function gramAt(s: string, i: number): number {
  return ((s.charCodeAt(i) & 0xff) << 24) |
    ((s.charCodeAt(i + 1) & 0xff) << 16) |
    ((s.charCodeAt(i + 2) & 0xff) << 8) | (s.charCodeAt(i + 3) & 0xff);
}

function hash(k: number): number {
  return Math.imul(k, 0x9e3779b1) >>> 0;
}

/**
 * The rules of one route with a literal index. `candidates(view)` returns
 * the rules to evaluate for the event in `view`, in rule order.
 */
export class PrefilterPlan<R extends Prefilterable> {
  readonly #always: R[];
  readonly #indexed: R[];
  readonly #slots: SlotIndex[];
  /** Per-field dispatch of exact literals: lowercased value → clause ids. */
  readonly #exact: { slot: number; values: Map<string, number[]> }[];
  /** Per field, non-ASCII code units → clause ids. */
  readonly #chars: { slot: number; units: Map<number, number[]> }[];
  readonly #stamp: Int32Array;
  readonly #hits: Int32Array;
  readonly #clauseRule: Int32Array;
  readonly #clauseCount: Int32Array;
  readonly #clauseStamp: Int32Array;
  #gen = 0;
  #state: ScanState | undefined;
  readonly #picked: number[] = [];
  readonly #out: R[] = [];
  readonly #all: R[];

  constructor(rules: R[]) {
    this.#all = rules;
    this.#always = [];
    this.#indexed = [];
    const bySlot = new Map<number, Map<string, number[]>>();
    const exactBySlot = new Map<number, Map<string, number[]>>();
    const charBySlot = new Map<number, Map<number, number[]>>();
    const clauseRule: number[] = [];
    const clauseCount: number[] = [];
    for (const r of rules) {
      if (!r.need) {
        this.#always.push(r);
        continue;
      }
      const local = this.#indexed.length;
      this.#indexed.push(r);
      clauseCount.push(r.need.length);
      for (const clause of r.need) {
        const cid = clauseRule.length;
        clauseRule.push(local);
        for (const { slot, lit, exact, char } of clause) {
          if (char) {
            let m = charBySlot.get(slot);
            if (!m) charBySlot.set(slot, m = new Map());
            const unit = lit.charCodeAt(0);
            const list = m.get(unit) ?? [];
            if (list[list.length - 1] !== cid) list.push(cid);
            m.set(unit, list);
            continue;
          }
          const index = exact ? exactBySlot : bySlot;
          let m = index.get(slot);
          if (!m) index.set(slot, m = new Map());
          const list = m.get(lit) ?? [];
          if (list[list.length - 1] !== cid) list.push(cid);
          m.set(lit, list);
        }
      }
    }
    this.#clauseRule = Int32Array.from(clauseRule);
    this.#clauseCount = Int32Array.from(clauseCount);
    this.#clauseStamp = new Int32Array(clauseRule.length);
    this.#stamp = new Int32Array(this.#indexed.length);
    this.#hits = new Int32Array(this.#indexed.length);
    this.#slots = [...bySlot].map(([slot, lits]) => buildSlot(slot, lits));
    this.#exact = [...exactBySlot].map(([slot, values]) => ({ slot, values }));
    this.#chars = [...charBySlot].map(([slot, units]) => ({ slot, units }));
  }

  /** Number of rules that always run (no literal need). */
  get alwaysCount(): number {
    return this.#always.length;
  }

  /** Rules to evaluate for the event in `view` (a reused array). */
  candidates(view: EventView): R[] {
    if (this.#indexed.length === 0) return this.#all;
    const st = this.#state ??= {
      gen: 0,
      clauseStamp: this.#clauseStamp,
      clauseRule: this.#clauseRule,
      clauseCount: this.#clauseCount,
      stamp: this.#stamp,
      hits: this.#hits,
      picked: this.#picked,
    };
    st.gen = ++this.#gen;
    st.picked.length = 0;
    for (let si = 0; si < this.#slots.length; si++) {
      const ix = this.#slots[si];
      const s = view.lower(ix.slot);
      if (s !== undefined) {
        scan(ix, s, st);
        continue;
      }
      const x = view.get(ix.slot);
      if (Array.isArray(x)) {
        for (const e of x) {
          if (typeof e === "string") scan(ix, e.toLowerCase(), st);
          else if (typeof e === "number") scan(ix, String(e), st);
        }
      }
    }
    for (let xi = 0; xi < this.#exact.length; xi++) {
      const ix = this.#exact[xi];
      const s = view.lower(ix.slot);
      if (s !== undefined) {
        const list = ix.values.get(s);
        if (list !== undefined) mark(list, st);
        continue;
      }
      const x = view.get(ix.slot);
      if (Array.isArray(x)) {
        for (const e of x) {
          const es = typeof e === "string"
            ? e.toLowerCase()
            : typeof e === "number" || typeof e === "boolean"
            ? String(e)
            : undefined;
          const list = es === undefined ? undefined : ix.values.get(es);
          if (list !== undefined) mark(list, st);
        }
      }
    }
    for (let ci = 0; ci < this.#chars.length; ci++) {
      const ix = this.#chars[ci];
      const s = view.lower(ix.slot);
      if (s !== undefined) {
        scanChars(ix.units, s, st);
        continue;
      }
      const x = view.get(ix.slot);
      if (Array.isArray(x)) {
        for (const e of x) {
          if (typeof e === "string") scanChars(ix.units, e.toLowerCase(), st);
        }
      }
    }
    const picked = this.#picked;
    const out = this.#out;
    out.length = 0;
    if (picked.length === 0) {
      for (const r of this.#always) out.push(r);
      return out;
    }
    picked.sort((a, b) => a - b);
    // Merge the always-run rules and the picked ones in rule order.
    const always = this.#always;
    let i = 0;
    let j = 0;
    while (i < always.length || j < picked.length) {
      const a = i < always.length ? always[i] : undefined;
      const b = j < picked.length ? this.#indexed[picked[j]] : undefined;
      if (b === undefined || (a !== undefined && a.index < b.index)) {
        out.push(a!);
        i++;
      } else {
        out.push(b);
        j++;
      }
    }
    return out;
  }
}

function buildSlot(slot: number, lits: Map<string, number[]>): SlotIndex {
  // Choose, per literal, its rarest 4-gram among all literals of the slot.
  const freq = new Map<number, number>();
  for (const lit of lits.keys()) {
    for (let i = 0; i + 4 <= lit.length; i++) {
      const g = gramAt(lit, i);
      freq.set(g, (freq.get(g) ?? 0) + 1);
    }
  }
  const byGram = new Map<
    number,
    { lit: string; off: number; rules: number[] }[]
  >();
  for (const [lit, rules] of lits) {
    let best = 0;
    let bestF = Infinity;
    for (let i = 0; i + 4 <= lit.length; i++) {
      const f = freq.get(gramAt(lit, i))!;
      if (f < bestF) {
        bestF = f;
        best = i;
      }
    }
    const g = gramAt(lit, best);
    const list = byGram.get(g) ?? [];
    list.push({ lit, off: best, rules });
    byGram.set(g, list);
  }
  let size = 16;
  while (size < byGram.size * 2) size <<= 1;
  const keys = new Int32Array(size);
  const heads = new Int32Array(size).fill(-1);
  const lists: { lit: string; off: number; rules: number[] }[][] = [];
  const mask = size - 1;
  for (const [g, list] of byGram) {
    let h = hash(g) & mask;
    while (heads[h] !== -1) h = (h + 1) & mask;
    keys[h] = g;
    heads[h] = lists.length;
    lists.push(list);
  }
  return { slot, keys, heads, mask, lists, seen: new Map(), seenChars: 0 };
}

interface ScanState {
  gen: number;
  clauseStamp: Int32Array;
  clauseRule: Int32Array;
  clauseCount: Int32Array;
  stamp: Int32Array;
  hits: Int32Array;
  picked: number[];
}

const NON_ASCII = /[\u0080-\uffff]/;

/** Marks the clauses of the non-ASCII code units that occur in `s`. */
function scanChars(
  units: Map<number, number[]>,
  s: string,
  st: ScanState,
): void {
  if (!NON_ASCII.test(s)) return; // the common case: one native scan
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    const list = units.get(c);
    if (list !== undefined) mark(list, st);
  }
}

/**
 * A non-ASCII code unit of `lit` usable as a need: one whose lowercase is
 * itself a single code unit found in the lowercased value whenever `lit`
 * occurs (the sigmas and the dotted İ lowercase by context, and are
 * skipped). Returns it lowercased, or null.
 */
export function needChar(lit: string): string | null {
  for (let i = 0; i < lit.length; i++) {
    const c = lit.charCodeAt(i);
    if (c < 0x80) continue;
    const ch = lit[i];
    if (c >= 0xd800 && c <= 0xdfff) return ch; // emoji halves have no case
    if (ch === "\u03a3" || ch === "\u03c2" || ch === "\u03c3") continue;
    const low = ch.toLowerCase();
    if (low.length === 1 && low.toUpperCase().toLowerCase() === low) {
      return low;
    }
  }
  return null;
}

/** Marks `clauses` as holding; a rule is picked when all its clauses hold. */
function mark(clauses: number[], st: ScanState): void {
  const gen = st.gen;
  for (let r = 0; r < clauses.length; r++) {
    const cid = clauses[r];
    if (st.clauseStamp[cid] === gen) continue;
    st.clauseStamp[cid] = gen;
    const rule = st.clauseRule[cid];
    if (st.stamp[rule] !== gen) {
      st.stamp[rule] = gen;
      st.hits[rule] = 0;
    }
    if (++st.hits[rule] === st.clauseCount[rule]) st.picked.push(rule);
  }
}

/** Marks the clauses whose literals occur in `s`; a rule is picked when all its clauses hold. */
function scan(ix: SlotIndex, s: string, st: ScanState): void {
  if (s.length < 4) return;
  if (s.length > SEEN_MAX_LENGTH) {
    scanInto(ix, s, null, st);
    return;
  }
  let found = ix.seen.get(s);
  if (found === undefined) {
    found = [];
    scanInto(ix, s, found, null);
    if (ix.seen.size >= SEEN_MAX || seenCharsTotal >= SEEN_BUDGET) {
      seenCharsTotal -= ix.seenChars;
      ix.seenChars = 0;
      ix.seen.clear();
    }
    ix.seen.set(s, found);
    ix.seenChars += s.length;
    seenCharsTotal += s.length;
  }
  for (let i = 0; i < found.length; i++) mark(found[i], st);
}

/**
 * Scans `s` for the slot's literals: each found literal's clause list goes
 * into `found` (once) and/or is marked in `st`.
 */
function scanInto(
  ix: SlotIndex,
  s: string,
  found: number[][] | null,
  st: ScanState | null,
): void {
  const n = s.length;
  const { keys, heads, mask, lists } = ix;
  let g = ((s.charCodeAt(0) & 0xff) << 16) | ((s.charCodeAt(1) & 0xff) << 8) |
    (s.charCodeAt(2) & 0xff);
  for (let i = 3; i < n; i++) {
    g = (g << 8) | (s.charCodeAt(i) & 0xff);
    let h = hash(g) & mask;
    for (;;) {
      const head = heads[h];
      if (head === -1) break;
      if (keys[h] === g) {
        const list = lists[head];
        const at = i - 3;
        for (let k = 0; k < list.length; k++) {
          const e = list[k];
          const start = at - e.off;
          if (start >= 0 && s.startsWith(e.lit, start)) {
            if (st !== null) mark(e.rules, st);
            if (found !== null && !found.includes(e.rules)) found.push(e.rules);
          }
        }
        break;
      }
      h = (h + 1) & mask;
    }
  }
}

/**
 * Many substrings tested at once (rules with long `contains` lists, e.g.
 * emoji or homoglyph lists): literals of 4+ characters through a 4-gram
 * index, shorter ones through one set per length. One pass over the value
 * instead of one `includes` per literal.
 */
export class InfixSet {
  readonly #short: Map<number, Set<string>> = new Map();
  /** Bitmap over UTF-16 code units that start a short literal. */
  readonly #first = new Uint8Array(65536);
  readonly #long: SlotIndex | null;

  constructor(literals: string[]) {
    const long = new Map<string, number[]>();
    for (const lit of literals) {
      if (lit.length >= 4) long.set(lit, [0]);
      else if (lit.length > 0) {
        let set = this.#short.get(lit.length);
        if (!set) this.#short.set(lit.length, set = new Set());
        set.add(lit);
        this.#first[lit.charCodeAt(0)] = 1;
      }
    }
    this.#long = long.size ? buildSlot(0, long) : null;
  }

  /** True when `s` contains any of the literals. */
  test(s: string): boolean {
    if (this.#short.size) {
      const first = this.#first;
      for (let i = 0; i < s.length; i++) {
        if (first[s.charCodeAt(i)] === 0) continue;
        for (const [len, set] of this.#short) {
          if (i + len <= s.length && set.has(s.substr(i, len))) return true;
        }
      }
    }
    return this.#long !== null && scanAny(this.#long, s);
  }
}

function scanAny(ix: SlotIndex, s: string): boolean {
  const n = s.length;
  if (n < 4) return false;
  const { keys, heads, mask, lists } = ix;
  let g = ((s.charCodeAt(0) & 0xff) << 16) | ((s.charCodeAt(1) & 0xff) << 8) |
    (s.charCodeAt(2) & 0xff);
  for (let i = 3; i < n; i++) {
    g = (g << 8) | (s.charCodeAt(i) & 0xff);
    let h = hash(g) & mask;
    for (;;) {
      const head = heads[h];
      if (head === -1) break;
      if (keys[h] === g) {
        const list = lists[head];
        for (let k = 0; k < list.length; k++) {
          const start = i - 3 - list[k].off;
          if (start >= 0 && s.startsWith(list[k].lit, start)) return true;
        }
        break;
      }
      h = (h + 1) & mask;
    }
  }
  return false;
}

/**
 * Literals (lowercased, ASCII, at least {@link MIN_LITERAL} long) of which
 * one must occur in any string the JavaScript regex `source` matches: one
 * per top-level alternative, the longest run of plain characters that no
 * quantifier makes optional. Null when some alternative has none, or the
 * pattern uses syntax this reader does not follow (it then stays
 * unprefiltered, never wrongly skipped). Groups, classes, `.`, anchors and
 * class escapes end a run; their content is never used.
 */
export function regexLiterals(source: string): string[] | null {
  const branches: string[] = [];
  let depth = 0, inClass = false, start = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") inClass = true;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "|" && depth === 0) {
      branches.push(source.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0 || inClass) return null;
  branches.push(source.slice(start));
  const out: string[] = [];
  for (const b of branches) {
    const lit = mandatoryRun(b);
    if (lit === null || lit.length < MIN_LITERAL) return null;
    out.push(lit.toLowerCase());
  }
  return out;
}

/** The longest run of mandatory plain characters of one alternative. */
function mandatoryRun(b: string): string | null {
  let run = "", best = "";
  const flush = () => {
    if (run.length > best.length) best = run;
    run = "";
  };
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    let atom: string | null = null;
    if (c === "\\") {
      const n = b[i + 1];
      if (n === undefined) return null;
      if (/[A-Za-z0-9]/.test(n)) {
        // \d \w \s \b \n …: not a plain character. Longer escapes (\x41,
        // \u0041, \cX, \k<n>, back-references) are not followed at all.
        if ("xuck0123456789".includes(n)) return null;
      } else atom = n;
      i += 2;
    } else if (c === "[") {
      // JavaScript ends a class at the first unescaped "]".
      let j = i + 1;
      while (j < b.length && b[j] !== "]") j += b[j] === "\\" ? 2 : 1;
      if (j >= b.length) return null;
      i = j + 1;
    } else if (c === "(") {
      let j = i + 1, depth = 1, inClass = false;
      for (; j < b.length && depth > 0; j++) {
        const d = b[j];
        if (d === "\\") j++;
        else if (inClass) inClass = d !== "]";
        else if (d === "[") inClass = true;
        else if (d === "(") depth++;
        else if (d === ")") depth--;
      }
      if (depth !== 0) return null;
      i = j;
    } else if (c === "." || c === "^" || c === "$") i++;
    else if ("*+?{})]|".includes(c)) return null;
    else {
      atom = c;
      i++;
    }
    if (atom !== null && atom.charCodeAt(0) > 0x7e) atom = null;
    const q = b[i];
    if (q === "*" || q === "?") {
      flush(); // the atom may be absent
      i++;
      if (b[i] === "?") i++;
      continue;
    }
    if (q === "+" || q === "{") {
      let min = 1;
      if (q === "{") {
        const m = /^\{(\d+)(?:,(\d*))?\}/.exec(b.slice(i));
        if (!m) return null;
        min = Number(m[1]);
        i += m[0].length;
      } else i++;
      if (b[i] === "?") i++;
      if (min > 0 && atom !== null) run += atom;
      flush(); // what follows is not adjacent to a fixed count
      continue;
    }
    if (atom === null) flush();
    else run += atom;
  }
  flush();
  return best;
}
