/**
 * Sigma values and modifiers compiled into predicates over an
 * {@link EventView}. Strings follow the Sigma v2 wildcard rules (`*`, `?`,
 * backslash escaping only before `*`, `?` and `\`), are case-insensitive
 * unless `|cased`, and each list of values is OR-ed unless `|all`.
 *
 * @module
 */
import { compileRuleRegex, testBounded } from "./regex_guard.ts";
import type { EventView, FieldTable } from "./fields.ts";
import { parseCidr } from "./cidr.ts";
import {
  type Clause,
  clauseNeed,
  InfixSet,
  MIN_LITERAL,
  type Need,
  needAll,
  needAny,
  needChar,
  regexLiterals,
  setNeed,
} from "./prefilter.ts";

/** A compiled match over the current event. */
export type Predicate = (v: EventView) => boolean;

/** What the compiler needs besides the rule text. */
export interface PatternContext {
  fields: FieldTable;
  /** Values for `%name%` placeholders of the `expand` modifier. */
  placeholders: Map<string, string[]>;
}

/** Every value modifier the engine honours. */
export const KNOWN_MODIFIERS: ReadonlySet<string> = new Set([
  "contains",
  "startswith",
  "endswith",
  "all",
  "base64",
  "base64offset",
  "utf16le",
  "utf16be",
  "utf16",
  "wide",
  "windash",
  "re",
  "i",
  "m",
  "s",
  "exists",
  "cased",
  "lt",
  "lte",
  "gt",
  "gte",
  "cidr",
  "expand",
  "fieldref",
  "neq",
  "minute",
  "hour",
  "day",
  "week",
  "month",
  "year",
]);

/** A piece of a Sigma string value. */
export type Token =
  | { k: "lit"; s: string }
  | { k: "star" }
  | { k: "one" }
  | { k: "cls"; chars: string };

/**
 * Parses a Sigma string into tokens: `*` and `?` are wildcards; `\*`, `\?`
 * and `\\` are the literal characters; a backslash before anything else is a
 * plain backslash (so `C:\Windows\` needs no doubling).
 */
export function parseSigmaString(s: string): Token[] {
  const out: Token[] = [];
  let lit = "";
  const flush = () => {
    if (lit) out.push({ k: "lit", s: lit });
    lit = "";
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "\\") {
      const n = s[i + 1];
      if (n === "*" || n === "?" || n === "\\") {
        lit += n;
        i++;
      } else lit += "\\";
    } else if (c === "*") {
      flush();
      if (out.at(-1)?.k !== "star") out.push({ k: "star" });
    } else if (c === "?") {
      flush();
      out.push({ k: "one" });
    } else lit += c;
  }
  flush();
  return out;
}

function hasWildcard(toks: Token[]): boolean {
  return toks.some((t) => t.k !== "lit");
}

function literalOf(toks: Token[]): string {
  return toks.map((t) => (t.k === "lit" ? t.s : "")).join("");
}

const DASHES = "-/\u2013\u2014\u2015";

/** `windash`: an option dash/slash may be any of - / – — ―. */
function windash(toks: Token[]): Token[] {
  const out: Token[] = [];
  for (const t of toks) {
    if (t.k !== "lit") {
      out.push(t);
      continue;
    }
    let buf = "";
    const s = t.s;
    for (let i = 0; i < s.length; i++) {
      const c = s[i];
      const prevWord = i > 0 && /\w/.test(s[i - 1]);
      const nextWord = i + 1 < s.length && /\w/.test(s[i + 1]);
      if ((c === "-" || c === "/") && !prevWord && nextWord) {
        if (buf) out.push({ k: "lit", s: buf });
        buf = "";
        out.push({ k: "cls", chars: DASHES });
      } else buf += c;
    }
    if (buf) out.push({ k: "lit", s: buf });
  }
  return out;
}

function utf8Bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function utf16Bytes(s: string, bigEndian: boolean, bom: boolean): Uint8Array {
  const out = new Uint8Array(s.length * 2 + (bom ? 2 : 0));
  let o = 0;
  if (bom) {
    out[o++] = bigEndian ? 0xfe : 0xff;
    out[o++] = bigEndian ? 0xff : 0xfe;
  }
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (bigEndian) {
      out[o++] = c >> 8;
      out[o++] = c & 0xff;
    } else {
      out[o++] = c & 0xff;
      out[o++] = c >> 8;
    }
  }
  return out;
}

function binaryString(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

function base64(b: Uint8Array): string {
  return btoa(binaryString(b));
}

/** The three base64 forms of `b` at byte offsets 0, 1, 2 (pySigma compatible). */
export function base64Offsets(b: Uint8Array): string[] {
  const starts = [0, 2, 3];
  const ends = [0, 3, 2];
  const out: string[] = [];
  for (let i = 0; i < 3; i++) {
    const padded = new Uint8Array(i + b.length);
    padded.fill(0x20, 0, i);
    padded.set(b, i);
    const enc = base64(padded);
    const cut = ends[(b.length + i) % 3];
    out.push(enc.slice(starts[i], cut ? enc.length - cut : enc.length));
  }
  return out;
}

/** An intermediate value during modifier processing. */
type Stage = { toks: Token[] } | { bytes: Uint8Array };

function stageTokens(v: Stage): Token[] {
  return "toks" in v ? v.toks : [{ k: "lit", s: binaryString(v.bytes) }];
}

function stageBytes(v: Stage, mod: string): Uint8Array {
  if ("bytes" in v) return v.bytes;
  if (hasWildcard(v.toks)) {
    throw new Error(`modifier ${mod} cannot encode a value with wildcards`);
  }
  return utf8Bytes(literalOf(v.toks));
}

function stageString(v: Stage, mod: string): string {
  if ("bytes" in v) return binaryString(v.bytes);
  if (hasWildcard(v.toks)) {
    throw new Error(`modifier ${mod} cannot encode a value with wildcards`);
  }
  return literalOf(v.toks);
}

const TIME_PARTS = ["minute", "hour", "day", "week", "month", "year"] as const;
type TimePart = typeof TIME_PARTS[number];

/** Compiles `Field|mod|mod: value(s)` into a predicate. */
export function compileFieldCondition(
  key: string,
  raw: unknown,
  ctx: PatternContext,
): Predicate {
  const [fieldName, ...mods] = key.split("|");
  for (const m of mods) {
    if (!KNOWN_MODIFIERS.has(m)) throw new Error(`unknown modifier '${m}'`);
  }
  const has = (m: string) => mods.includes(m);
  if ((has("i") || has("m") || has("s")) && !has("re")) {
    throw new Error(`modifiers i/m/s are only valid after re`);
  }
  const values: unknown[] = Array.isArray(raw) ? raw : [raw];
  if (values.length === 0) throw new Error(`field ${key} has an empty list`);
  if (values.length === 1 && mods.includes("all")) {
    // Modifiers appendix: "Single item values are not allowed to have an
    // all modifier". No SigmaHQ rule does it (checked 2026-11-24).
    throw new Error(
      `field ${key}: all needs a list of two or more values (use a separate selection to test one field twice)`,
    );
  }
  for (const v of values) {
    if (v !== null && typeof v === "object") {
      throw new Error(`field ${key} has a nested object or list as value`);
    }
  }
  if (fieldName === "") {
    // Field-less value with modifiers: a keyword search.
    return compileKeywords(values, mods, ctx);
  }
  const slot = ctx.fields.slot(fieldName);

  if (has("exists")) {
    if (values.length !== 1 || typeof values[0] !== "boolean") {
      throw new Error(`exists needs true or false`);
    }
    const want = values[0] as boolean;
    // Presence only: a field holding null or "" exists (modifiers appendix:
    // exists "only verifies the presence of a field, not its value, be it
    // empty or null"). `Field: null` is the test for a null value.
    return (v) => (v.get(slot) !== undefined) === want;
  }

  const all = has("all");
  const combine = (preds: Predicate[]): Predicate => {
    if (preds.length === 1) return preds[0];
    return all
      ? (v) => {
        for (let i = 0; i < preds.length; i++) if (!preds[i](v)) return false;
        return true;
      }
      : (v) => {
        for (let i = 0; i < preds.length; i++) if (preds[i](v)) return true;
        return false;
      };
  };

  if (has("re")) {
    const regs = values.map((x) => {
      if (typeof x !== "string") throw new Error(`re needs string values`);
      return compileRuleRegex(x, { i: has("i"), m: has("m"), s: has("s") });
    });
    const p = combine(regs.map((re) => (v) => anyString(v.get(slot), re)));
    // A regex can only match a value holding one of its required literals.
    const needs = regs.map((re) => {
      const lits = regexLiterals(re.source);
      return lits ? clauseNeed(lits.map((lit) => ({ slot, lit }))) : null;
    });
    return setNeed(p, all ? needAll(needs) : needAny(needs));
  }

  if (has("cidr")) {
    const nets = values.map((x) => {
      if (typeof x !== "string") throw new Error(`cidr needs string values`);
      return parseCidr(x);
    });
    // An array-valued field matches when any element does, as for the
    // string modifiers.
    return combine(nets.map((n) => (v) => {
      const x = v.get(slot);
      if (typeof x === "string") return n.contains(x);
      if (Array.isArray(x)) {
        for (const e of x) {
          if (typeof e === "string" && n.contains(e)) return true;
        }
      }
      return false;
    }));
  }

  const time = TIME_PARTS.find((p) => has(p));
  const cmp = ["lt", "lte", "gt", "gte"].find((c) => has(c));
  if (time || cmp) {
    const nums = values.map((x) => {
      const n = typeof x === "number" ? x : Number(x);
      if (typeof x === "boolean" || x === null || x === "" || Number.isNaN(n)) {
        throw new Error(`${cmp ?? time} needs numeric values, got ${x}`);
      }
      return n;
    });
    const extract = time ? timeExtractor(time) : toNumber;
    const test = cmp === "lt"
      ? (a: number, b: number) => a < b
      : cmp === "lte"
      ? (a: number, b: number) => a <= b
      : cmp === "gt"
      ? (a: number, b: number) => a > b
      : cmp === "gte"
      ? (a: number, b: number) => a >= b
      : (a: number, b: number) => a === b;
    return combine(nums.map((n) => (v) => {
      const raw = v.get(slot);
      const x = extract(raw);
      if (x !== undefined) return test(x, n);
      // Array-valued field: any element (as for the string modifiers).
      if (Array.isArray(raw)) {
        for (const e of raw) {
          const y = extract(e);
          if (y !== undefined && test(y, n)) return true;
        }
      }
      return false;
    }));
  }

  if (has("fieldref")) {
    const refSlots = values.map((x) => {
      if (typeof x !== "string") throw new Error(`fieldref needs field names`);
      return ctx.fields.slot(x);
    });
    const kind = has("contains")
      ? "contains"
      : has("startswith")
      ? "startswith"
      : has("endswith")
      ? "endswith"
      : "exact";
    const cased = has("cased");
    const preds = refSlots.map((rs): Predicate => (v) => {
      const a = cased ? scalarString(v.get(slot)) : v.lower(slot);
      const b = cased ? scalarString(v.get(rs)) : v.lower(rs);
      if (a === undefined || b === undefined) return false;
      return kind === "exact"
        ? a === b
        : kind === "contains"
        ? a.includes(b)
        : kind === "startswith"
        ? a.startsWith(b)
        : a.endsWith(b);
    });
    const p = combine(preds);
    return has("neq") ? (v) => !p(v) : p;
  }

  // String matching (also numbers/booleans, compared as text).
  const nullAllowed = values.some((x) => x === null);
  const nonNull = values.filter((x) => x !== null);
  const groups = nonNull.map((x) => expandValue(x, mods, ctx));
  const cased = has("cased");
  const neq = has("neq");
  const valueNeeds = groups.map((alts) => altsNeed(slot, alts));
  let p: Predicate;
  if (all) {
    const preds: Predicate[] = groups.map((alts) =>
      compileAlternatives(slot, alts, cased)
    );
    if (nullAllowed) preds.push(isAbsent(slot));
    p = combine(preds);
  } else {
    // One matcher over every alternative of every value.
    const one = compileAlternatives(slot, groups.flat(), cased);
    const absent = isAbsent(slot);
    p = nullAllowed ? (v) => one(v) || absent(v) : one;
  }
  if (neq) return (v) => !p(v);
  const need = nullAllowed
    ? null
    : all
    ? needAll(valueNeeds)
    : needAny(valueNeeds);
  return setNeed(p, need);
}

function isAbsent(slot: number): Predicate {
  return (v) => {
    const x = v.get(slot);
    return x === undefined || x === null;
  };
}

/**
 * Need of one value: each alternative's longest literal (lowercased), or
 * the whole value when it has no wildcard (an exact match, any length).
 */
function altsNeed(slot: number, alts: Token[][]): Need | null {
  const out: Clause = [];
  for (const toks of alts) {
    if (toks.length === 0) {
      out.push({ slot, lit: "", exact: true });
      continue;
    }
    if (toks.length === 1 && toks[0].k === "lit") {
      out.push({ slot, lit: toks[0].s.toLowerCase(), exact: true });
      continue;
    }
    let best = "";
    for (const t of toks) {
      if (t.k === "lit" && t.s.length > best.length) best = t.s;
    }
    if (best.length < MIN_LITERAL) {
      // Too short to index, but a non-ASCII character is rare enough.
      let ch: string | null = null;
      for (const t of toks) {
        if (t.k === "lit" && (ch = needChar(t.s)) !== null) break;
      }
      if (ch === null) return null;
      out.push({ slot, lit: ch, char: true });
      continue;
    }
    out.push({ slot, lit: best.toLowerCase() });
  }
  return clauseNeed(out);
}

/** Applies value modifiers to one value: the list of token alternatives. */
function expandValue(
  x: unknown,
  mods: string[],
  ctx: PatternContext,
): Token[][] {
  let raws: string[];
  if (typeof x === "string") raws = [x];
  else raws = [String(x)];
  const isStringValue = typeof x === "string";
  if (mods.includes("expand")) {
    raws = raws.flatMap((r) => expandPlaceholders(r, ctx.placeholders));
  }
  let stages: Stage[] = raws.map((r) => ({
    toks: isStringValue ? parseSigmaString(r) : [{ k: "lit", s: r }],
  }));
  for (const m of mods) {
    switch (m) {
      case "wide":
      case "utf16le":
        stages = stages.map((s) => ({
          bytes: utf16Bytes(stageString(s, m), false, false),
        }));
        break;
      case "utf16be":
        stages = stages.map((s) => ({
          bytes: utf16Bytes(stageString(s, m), true, false),
        }));
        break;
      case "utf16":
        stages = stages.map((s) => ({
          bytes: utf16Bytes(stageString(s, m), false, true),
        }));
        break;
      case "base64":
        stages = stages.map((s) => ({
          toks: [{ k: "lit", s: base64(stageBytes(s, m)) }],
        }));
        break;
      case "base64offset":
        stages = stages.flatMap((s) =>
          base64Offsets(stageBytes(s, m)).map((e): Stage => ({
            toks: [{ k: "lit", s: e }],
          }))
        );
        break;
      case "windash":
        stages = stages.map((s) => ({ toks: windash(stageTokens(s)) }));
        break;
    }
  }
  const contains = mods.includes("contains");
  const starts = mods.includes("startswith");
  const ends = mods.includes("endswith");
  if ([contains, starts, ends].filter(Boolean).length > 1) {
    throw new Error(`contains/startswith/endswith are mutually exclusive`);
  }
  return stages.map((s) => {
    let toks = stageTokens(s);
    if (contains || ends) toks = [{ k: "star" }, ...toks];
    if (contains || starts) toks = [...toks, { k: "star" }];
    return normalize(toks);
  });
}

/** A piece of an `expand` value: literal text or a `%name%` placeholder. */
type ExpandPart = { lit: string } | { ph: string };

const PLACEHOLDER_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * Splits an `expand` value into literal text and placeholders. `\%` is a
 * plain percent sign (rules spec, Placeholders: `\%plain%name%` handles
 * `%plain` as plain value and `%name%` as placeholder), so the escape is
 * dropped and the `%` can never open a placeholder.
 */
function splitPlaceholders(raw: string): ExpandPart[] {
  const out: ExpandPart[] = [];
  let lit = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === "\\" && raw[i + 1] === "\\") {
      // An escaped backslash stays escaped for parseSigmaString, and
      // `\\%name%` is a backslash followed by a placeholder.
      lit += "\\\\";
      i++;
      continue;
    }
    if (c === "\\" && raw[i + 1] === "%") {
      lit += "%";
      i++;
      continue;
    }
    if (c === "%") {
      const close = raw.indexOf("%", i + 1);
      const name = close < 0 ? "" : raw.slice(i + 1, close);
      if (PLACEHOLDER_NAME.test(name)) {
        if (lit) out.push({ lit });
        lit = "";
        out.push({ ph: name });
        i = close;
        continue;
      }
    }
    lit += c;
  }
  if (lit) out.push({ lit });
  return out;
}

function expandPlaceholders(
  raw: string,
  placeholders: Map<string, string[]>,
): string[] {
  const parts = splitPlaceholders(raw);
  if (!parts.some((p) => "ph" in p)) {
    throw new Error(`expand needs a %placeholder% in '${raw}'`);
  }
  let outs = [""];
  for (const p of parts) {
    if ("lit" in p) {
      outs = outs.map((o) => o + p.lit);
      continue;
    }
    const vals = placeholders.get(p.ph);
    if (!vals || vals.length === 0) {
      throw new Error(
        `placeholder %${p.ph}% has no values (set placeholders.${p.ph} in the mapping config)`,
      );
    }
    outs = outs.flatMap((o) => vals.map((v) => o + v));
  }
  return outs;
}

function normalize(toks: Token[]): Token[] {
  const out: Token[] = [];
  for (const t of toks) {
    const last = out.at(-1);
    if (t.k === "star" && last?.k === "star") continue;
    if (t.k === "lit" && last?.k === "lit") {
      out[out.length - 1] = { k: "lit", s: last.s + t.s };
      continue;
    }
    out.push(t);
  }
  return out;
}

/** A compiled string test over one (lowercased unless cased) string. */
type StringTest =
  | { k: "exact"; s: string }
  | { k: "prefix"; s: string }
  | { k: "suffix"; s: string }
  | { k: "infix"; s: string }
  | { k: "any" }
  | { k: "glob"; g: Glob };

/**
 * A run of tokens between two `*`: fixed length, literal parts and
 * single-character units (`?` or a class) at fixed offsets.
 */
class GlobPiece {
  len = 0;
  readonly lits: string[] = [];
  readonly litOffs: number[] = [];
  /** Offsets of single-character units; `codes[i]` null means any (`?`). */
  readonly oneOffs: number[] = [];
  readonly codes: (number[] | null)[] = [];
  /** The longest literal and its offset: what indexOf looks for. */
  anchor = "";
  anchorOff = 0;

  constructor(toks: Token[], lit: (s: string) => string) {
    for (const t of toks) {
      if (t.k === "lit") {
        const l = lit(t.s);
        this.lits.push(l);
        this.litOffs.push(this.len);
        if (l.length > this.anchor.length) {
          this.anchor = l;
          this.anchorOff = this.len;
        }
        this.len += l.length;
      } else {
        this.oneOffs.push(this.len);
        this.codes.push(
          t.k === "cls" ? [...t.chars].map((c) => c.charCodeAt(0)) : null,
        );
        this.len++;
      }
    }
  }

  /** Whether the piece matches `s` at `at` (caller checks the bounds). */
  at(s: string, at: number): boolean {
    for (let i = 0; i < this.lits.length; i++) {
      if (!s.startsWith(this.lits[i], at + this.litOffs[i])) return false;
    }
    for (let i = 0; i < this.oneOffs.length; i++) {
      const set = this.codes[i];
      if (set !== null && !set.includes(s.charCodeAt(at + this.oneOffs[i]))) {
        return false;
      }
    }
    return true;
  }

  /** Leftmost start ≥ `from` where the piece matches, else -1. */
  find(s: string, from: number): number {
    const last = s.length - this.len;
    if (this.anchor === "") {
      for (let p = from; p <= last; p++) if (this.at(s, p)) return p;
      return -1;
    }
    let i = s.indexOf(this.anchor, from + this.anchorOff);
    while (i !== -1) {
      const p = i - this.anchorOff;
      if (p > last) return -1;
      if (this.at(s, p)) return p;
      i = s.indexOf(this.anchor, i + 1);
    }
    return -1;
  }
}

/**
 * A Sigma wildcard value with inner `*`, matched without a regex: the first
 * piece anchored at the start, the last at the end, the middle ones found
 * leftmost in order (greedy leftmost is exact for `*`-separated pieces).
 * Linear in the value for each piece (indexOf), so no crafted value can
 * make it backtrack (review A3), and no value needs to be cut.
 */
export class Glob {
  readonly #head: GlobPiece;
  readonly #mid: GlobPiece[];
  readonly #tail: GlobPiece;
  readonly #min: number;
  /** No `*` at all: the one piece must be the whole value. */
  readonly #whole: boolean;

  constructor(toks: Token[], lit: (s: string) => string) {
    const pieces: Token[][] = [[]];
    for (const t of toks) {
      if (t.k === "star") pieces.push([]);
      else pieces[pieces.length - 1].push(t);
    }
    this.#whole = pieces.length === 1;
    const ps = pieces.map((p) => new GlobPiece(p, lit));
    this.#head = ps[0];
    this.#tail = ps[ps.length - 1];
    this.#mid = ps.slice(1, -1).filter((p) => p.len > 0);
    this.#min = ps.reduce((n, p) => n + p.len, 0);
  }

  test(s: string): boolean {
    if (s.length < this.#min) return false;
    const head = this.#head;
    if (this.#whole) return s.length === head.len && head.at(s, 0);
    if (head.len > 0 && !head.at(s, 0)) return false;
    let pos = head.len;
    const mid = this.#mid;
    for (let i = 0; i < mid.length; i++) {
      const p = mid[i].find(s, pos);
      if (p < 0) return false;
      pos = p + mid[i].len;
    }
    const tail = this.#tail;
    const start = s.length - tail.len;
    return start >= pos && (tail.len === 0 || tail.at(s, start));
  }
}

/** Turns tokens into the cheapest test that is exact for them. */
export function stringTest(toks: Token[], cased: boolean): StringTest {
  const lit = (s: string) => (cased ? s : s.toLowerCase());
  const n = toks.length;
  if (n === 0) return { k: "exact", s: "" };
  if (n === 1 && toks[0].k === "lit") return { k: "exact", s: lit(toks[0].s) };
  if (n === 1 && toks[0].k === "star") return { k: "any" };
  if (n === 2 && toks[0].k === "star" && toks[1].k === "lit") {
    return { k: "suffix", s: lit(toks[1].s) };
  }
  if (n === 2 && toks[0].k === "lit" && toks[1].k === "star") {
    return { k: "prefix", s: lit(toks[0].s) };
  }
  if (
    n === 3 && toks[0].k === "star" && toks[1].k === "lit" &&
    toks[2].k === "star"
  ) return { k: "infix", s: lit(toks[1].s) };
  // Never a RegExp: a linear matcher (no backtracking, no input cut).
  return { k: "glob", g: new Glob(toks, lit) };
}

function runTest(t: StringTest, s: string): boolean {
  switch (t.k) {
    case "exact":
      return s === t.s;
    case "prefix":
      return s.startsWith(t.s);
    case "suffix":
      return s.endsWith(t.s);
    case "infix":
      return s.includes(t.s);
    case "any":
      return true;
    case "glob":
      return t.g.test(s);
  }
}

/** OR over the alternatives of one value, specialised by shape for speed. */
function compileAlternatives(
  slot: number,
  alts: Token[][],
  cased: boolean,
): Predicate {
  const tests = alts.map((a) => stringTest(a, cased));
  const read = cased
    ? (v: EventView) => scalarString(v.get(slot))
    : (v: EventView) => v.lower(slot);
  const exact = new Set<string>();
  const suffixes: string[] = [];
  const prefixes: string[] = [];
  const infixes: string[] = [];
  const others: StringTest[] = [];
  let any = false;
  for (const t of tests) {
    if (t.k === "exact") exact.add(t.s);
    else if (t.k === "suffix") suffixes.push(t.s);
    else if (t.k === "prefix") prefixes.push(t.s);
    else if (t.k === "infix") infixes.push(t.s);
    else if (t.k === "any") any = true;
    else others.push(t);
  }
  // Long lists of substrings are tested in one pass.
  const many = infixes.length > 8 ? new InfixSet(infixes) : null;
  const one = (s: string): boolean => {
    if (any) return true;
    if (exact.size && exact.has(s)) return true;
    for (let i = 0; i < suffixes.length; i++) {
      if (s.endsWith(suffixes[i])) return true;
    }
    if (many !== null) {
      if (many.test(s)) return true;
    } else {
      for (let i = 0; i < infixes.length; i++) {
        if (s.includes(infixes[i])) return true;
      }
    }
    for (let i = 0; i < prefixes.length; i++) {
      if (s.startsWith(prefixes[i])) return true;
    }
    for (let i = 0; i < others.length; i++) {
      if (runTest(others[i], s)) return true;
    }
    return false;
  };
  let scalar: (s: string) => boolean = one;
  if (tests.length === 1) {
    const t = tests[0];
    if (t.k === "exact") scalar = (s) => s === t.s;
    else if (t.k === "suffix") scalar = (s) => s.endsWith(t.s);
    else if (t.k === "prefix") scalar = (s) => s.startsWith(t.s);
    else if (t.k === "infix") scalar = (s) => s.includes(t.s);
  }
  const test = scalar;
  return (v) => {
    const s = read(v);
    if (s !== undefined) return test(s);
    const x = v.get(slot);
    if (Array.isArray(x)) {
      for (const e of x) {
        const es = scalarString(e);
        if (es !== undefined && test(cased ? es : es.toLowerCase())) {
          return true;
        }
      }
    }
    return false;
  };
}

/** Keyword identifiers: each value searched anywhere in the event's text. */
export function compileKeywords(
  values: unknown[],
  mods: string[],
  ctx: PatternContext,
): Predicate {
  for (const m of mods) {
    if (
      !["contains", "all", "cased", "windash", "startswith", "endswith"]
        .includes(m)
    ) {
      throw new Error(`modifier ${m} is not supported on keywords`);
    }
  }
  const cased = mods.includes("cased");
  const all = mods.includes("all");
  // A keyword is found anywhere in a text unless startswith/endswith anchor
  // it: then a text (the log line, or one payload string) must start/end
  // with it, as pySigma's modifiers turn `abc` into `abc*` / `*abc`.
  const starts = mods.includes("startswith");
  const ends = mods.includes("endswith");
  if ([starts, ends, mods.includes("contains")].filter(Boolean).length > 1) {
    throw new Error(`contains/startswith/endswith are mutually exclusive`);
  }
  const tests = values.map((x) => {
    if (x === null || typeof x === "object") {
      throw new Error(`keyword values must be strings or numbers`);
    }
    let toks = typeof x === "string"
      ? parseSigmaString(x)
      : [{ k: "lit", s: String(x) } as Token];
    if (mods.includes("windash")) toks = windash(toks);
    const head: Token[] = starts ? [] : [{ k: "star" }];
    const tail: Token[] = ends ? [] : [{ k: "star" }];
    return stringTest(normalize([...head, ...toks, ...tail]), cased);
  });
  // Prefilter need: each keyword's longest literal in the keyword text.
  const kwSlot = ctx.fields.keywordSlot();
  const clauses = values.map((x) => {
    const toks = typeof x === "string"
      ? parseSigmaString(x)
      : [{ k: "lit", s: String(x) } as Token];
    let best = "";
    for (const t of mods.includes("windash") ? windash(toks) : toks) {
      if (t.k === "lit" && t.s.length > best.length) best = t.s;
    }
    return best.length >= MIN_LITERAL
      ? [{ slot: kwSlot, lit: best.toLowerCase() }]
      : null;
  });
  const need = clauses.some((c) => c === null)
    ? null
    : all
    ? needAll(clauses.map((c) => clauseNeed(c)))
    : clauseNeed(clauses.flat() as Clause);
  // Each text leaf is searched on its own: a keyword never spans two values.
  const infixOnly = tests.every((t) => t.k === "infix");
  const many = !all && infixOnly && tests.length > 8
    ? new InfixSet(tests.map((t) => (t as { s: string }).s))
    : null;
  return setNeed((v: EventView) => {
    const leaves = cased ? v.keywordLeaves() : v.keywordLeavesLower();
    if (all) {
      for (const t of tests) {
        let hit = false;
        for (let i = 0; i < leaves.length && !hit; i++) {
          hit = runTest(t, leaves[i]);
        }
        if (!hit) return false;
      }
      return true;
    }
    for (let i = 0; i < leaves.length; i++) {
      const l = leaves[i];
      if (many !== null) {
        if (many.test(l)) return true;
        continue;
      }
      for (const t of tests) if (runTest(t, l)) return true;
    }
    return false;
  }, need);
}

function scalarString(x: unknown): string | undefined {
  if (typeof x === "string") return x;
  if (typeof x === "number" || typeof x === "boolean") return String(x);
  return undefined;
}

function anyString(x: unknown, re: RegExp): boolean {
  const s = scalarString(x);
  if (s !== undefined) return testBounded(re, s);
  if (Array.isArray(x)) {
    for (const e of x) {
      const es = scalarString(e);
      if (es !== undefined && testBounded(re, es)) return true;
    }
  }
  return false;
}

function toNumber(x: unknown): number | undefined {
  if (typeof x === "number") return x;
  if (typeof x === "string" && x.trim() !== "") {
    const n = Number(x);
    return Number.isNaN(n) ? undefined : n;
  }
  return undefined;
}

function timeExtractor(part: TimePart): (x: unknown) => number | undefined {
  return (x) => {
    let ms: number;
    if (typeof x === "number") ms = x;
    else if (typeof x === "string") ms = parseDateUtc(x);
    else return undefined;
    if (Number.isNaN(ms)) return undefined;
    const d = new Date(ms);
    switch (part) {
      case "minute":
        return d.getUTCMinutes();
      case "hour":
        return d.getUTCHours();
      case "day":
        return d.getUTCDate();
      case "month":
        return d.getUTCMonth() + 1;
      case "year":
        return d.getUTCFullYear();
      case "week":
        return isoWeek(d);
    }
  };
}

/** A zone-less ISO date-time: `2024-01-01 10:30:00`, `2024-01-01T10:30`. */
const ISO_LOCAL = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d(?::\d\d(?:\.\d+)?)?)$/;
/** A date string ending in a zone: `Z`, `+05:30`, `GMT`, `EST`, `(… Time)`. */
const HAS_ZONE = /(?:[zZ]|GMT|UTC|[+-]\d\d:?\d\d|[A-Za-z]{3,5}|\))\s*$/;

/**
 * Epoch ms of a date string, reading a date without a zone as UTC, so time
 * modifiers give the same answer on every detector host (Date.parse would
 * read it in the host's zone). The modifiers appendix says time modifiers
 * are "not designed to handle timezone or format conversions": the wall
 * clock written in the event is what they extract.
 */
function parseDateUtc(s: string): number {
  const iso = ISO_LOCAL.exec(s);
  if (iso !== null) return Date.parse(`${iso[1]}T${iso[2]}Z`);
  if (HAS_ZONE.test(s)) return Date.parse(s);
  // Other zone-less forms (`Nov 24 2026 10:00:00`, `2024/01/01 10:30`).
  const utc = Date.parse(`${s} UTC`);
  return Number.isNaN(utc) ? Date.parse(s) : utc;
}

function isoWeek(d: Date): number {
  const t = new Date(
    Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()),
  );
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const y0 = new Date(Date.UTC(t.getUTCFullYear(), 0, 1));
  return Math.ceil(((t.getTime() - y0.getTime()) / 86400000 + 1) / 7);
}
