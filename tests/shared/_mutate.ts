/**
 * Seeded mutation of real inputs for the robustness ("fuzz") tests: log
 * lines and rule documents are damaged the way real data gets damaged
 * (truncation, dropped or doubled bytes, a field of the wrong type, pieces
 * of another record spliced in, odd characters) so a test can check that
 * every damaged input still ends as a result or a precise refusal. Seeded,
 * so a failure names the seed and iteration that reproduce it.
 */
import { mulberry32 } from "../../stages/shared/random.ts";

/** Characters and fragments that sit on the parsers' decision points. */
const FRAGMENTS = [
  '"',
  "\\",
  "=",
  "|",
  "<",
  ">",
  " ",
  ":",
  "[",
  "]",
  "{",
  "}",
  "0",
  "9",
  "-",
  "+",
  "T",
  "Z",
  ".",
  ",",
  "'",
  "%",
  "/",
  "\u0000",
  "\n",
  "\r",
  "\t",
  "\uFFFD",
  "é",
  "😀",
  "\ud800", // a lone surrogate, as JSON.parse("\"\\ud800\"") gives
  "::",
  "255",
  "999999999999",
  "-1",
  "NaN",
  "1e309",
  "CEF:0|",
  "LEEF:1.0|",
  "<13>1 ",
  "Jan 31 ",
  "2026-02-30T25:61:61Z",
];

/** Values of the wrong type or at an edge, put where a field was. */
const ODD_VALUES: unknown[] = [
  null,
  0,
  -1,
  1.5,
  1e21,
  1e300,
  "",
  "x",
  true,
  [],
  {},
  [1, "a"],
  { a: { b: 1 } },
  "999999999999999999999",
  "::1",
  "256.1.1.1",
  "2026-13-01T00:00:00Z",
  "\u0000",
];

/** A seeded mutator over a pool of donor strings (spliced into others). */
export class Mutator {
  readonly #next: () => number;
  readonly #donors: readonly string[];

  constructor(seed: number, donors: readonly string[]) {
    this.#next = mulberry32(seed);
    this.#donors = donors;
  }

  /** Uniform in [0, 1). */
  random(): number {
    return this.#next() / 4294967296;
  }

  /** One element of `xs`. */
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.random() * xs.length)];
  }

  /** `s` with one to four edits: insert, delete, truncate, splice, flip, repeat. */
  text(s: string): string {
    const edits = 1 + Math.floor(this.random() * 4);
    for (let j = 0; j < edits; j++) {
      const p = Math.floor(this.random() * (s.length + 1));
      const op = this.random();
      if (op < 0.25) {
        s = s.slice(0, p) + this.pick(FRAGMENTS) + s.slice(p);
      } else if (op < 0.45) {
        s = s.slice(0, p) + s.slice(p + 1 + Math.floor(this.random() * 8));
      } else if (op < 0.55) {
        s = s.slice(0, p);
      } else if (op < 0.7) {
        const d = this.pick(this.#donors);
        const q = Math.floor(this.random() * d.length);
        s = s.slice(0, p) + d.slice(q, q + Math.floor(this.random() * 40)) +
          s.slice(p);
      } else if (op < 0.85) {
        const c = s.charCodeAt(p) || 65;
        const flipped = c ^ (1 << Math.floor(this.random() * 7));
        s = s.slice(0, p) + String.fromCharCode(flipped) + s.slice(p + 1);
      } else {
        const q = Math.floor(this.random() * s.length);
        s = s.slice(0, p) + s.slice(q, q + 10) + s.slice(p);
      }
    }
    return s;
  }

  /**
   * A damaged copy of a JSON-like value: strings edited or replaced by an
   * odd value, members dropped, keys edited, an extra `keys` member set to
   * an odd value; `keyEdit` edits a key (default: {@link text}).
   */
  value(
    v: unknown,
    keys: readonly string[] = [],
    keyEdit: (k: string) => string = (k) => this.text(k),
  ): unknown {
    if (typeof v === "string") {
      return this.random() < 0.7 ? this.text(v) : this.pick(ODD_VALUES);
    }
    if (Array.isArray(v)) {
      const out = v.map((x) =>
        this.random() < 0.3 ? this.value(x, keys, keyEdit) : x
      );
      if (this.random() < 0.1) out.push(this.pick(ODD_VALUES));
      return out;
    }
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        const r = this.random();
        if (r < 0.05) continue;
        out[r < 0.15 ? keyEdit(k) : k] = this.random() < 0.3
          ? this.value(x, keys, keyEdit)
          : x;
      }
      if (keys.length > 0 && this.random() < 0.1) {
        out[this.pick(keys)] = this.pick(ODD_VALUES);
      }
      return out;
    }
    return this.random() < 0.5 ? this.pick(ODD_VALUES) : v;
  }
}
