/**
 * The Sigma condition language: `and`, `or`, `not`, parentheses,
 * `1 of x*`, `all of x*`, `N of x*`, `… of them` (identifiers starting with
 * `_` are left out of `them`). Parsed once into a tree, then compiled into a
 * predicate closure.
 *
 * @module
 */
import type { Predicate } from "./pattern.ts";
import { needAll, needAny, needOf, setNeed } from "./prefilter.ts";

/** The condition syntax tree. */
export type ConditionNode =
  | { t: "id"; name: string }
  | { t: "not"; x: ConditionNode }
  | { t: "and"; xs: ConditionNode[] }
  | { t: "or"; xs: ConditionNode[] }
  | { t: "of"; min: number | "all"; pattern: string };

type Tok = { v: string; pos: number };

function tokenize(src: string): Tok[] {
  return [...src.matchAll(/\(|\)|[^\s()]+/g)].map((m) => ({
    v: m[0],
    pos: m.index,
  }));
}

/** Parses a condition; throws an Error naming the position on bad syntax. */
export function parseCondition(src: string): ConditionNode {
  if (src.includes("|")) {
    throw new Error(
      `condition '${src}' uses the deprecated aggregation syntax ('| count() …'); write a correlation rule instead`,
    );
  }
  const toks = tokenize(src);
  let i = 0;
  const peek = () => toks[i]?.v.toLowerCase();
  const fail = (msg: string): never => {
    const at = toks[i]?.pos ?? src.length;
    throw new Error(`condition '${src}': ${msg} at column ${at + 1}`);
  };
  const parseOr = (): ConditionNode => {
    const xs = [parseAnd()];
    while (peek() === "or") {
      i++;
      xs.push(parseAnd());
    }
    return xs.length === 1 ? xs[0] : { t: "or", xs };
  };
  const parseAnd = (): ConditionNode => {
    const xs = [parseNot()];
    while (peek() === "and") {
      i++;
      xs.push(parseNot());
    }
    return xs.length === 1 ? xs[0] : { t: "and", xs };
  };
  const parseNot = (): ConditionNode => {
    if (peek() === "not") {
      i++;
      return { t: "not", x: parseNot() };
    }
    return parseAtom();
  };
  const parseAtom = (): ConditionNode => {
    const tok = toks[i];
    if (!tok) return fail("unexpected end");
    const low = tok.v.toLowerCase();
    if (low === "(") {
      i++;
      const x = parseOr();
      if (peek() !== ")") fail("missing ')'");
      i++;
      return x;
    }
    if (low === ")" || low === "and" || low === "or" || low === "of") {
      return fail(`unexpected '${tok.v}'`);
    }
    if (toks[i + 1]?.v.toLowerCase() === "of") {
      let min: number | "all";
      if (low === "all") min = "all";
      else if (low === "any") min = 1;
      else if (/^[1-9][0-9]*$/.test(low)) min = Number(low);
      else return fail(`'${tok.v} of' needs a number, 'any' or 'all'`);
      i += 2;
      const target = toks[i];
      if (!target || target.v === "(" || target.v === ")") {
        return fail("'of' needs an identifier pattern or 'them'");
      }
      i++;
      return { t: "of", min, pattern: target.v };
    }
    i++;
    return { t: "id", name: tok.v };
  };
  const tree = parseOr();
  if (i < toks.length) fail(`unexpected '${toks[i].v}'`);
  return tree;
}

function globToRegex(p: string): RegExp {
  return new RegExp(
    "^" + p.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")
      .replace(/\?/g, ".") +
      "$",
  );
}

/** Names the identifiers `pattern` selects (`them` = all not starting with `_`). */
export function selectIdentifiers(pattern: string, names: string[]): string[] {
  if (pattern.toLowerCase() === "them") {
    return names.filter((n) => !n.startsWith("_"));
  }
  const re = globToRegex(pattern);
  return names.filter((n) => re.test(n));
}

/**
 * Compiles a condition tree. `ids` maps identifier names to predicates;
 * unknown identifiers and empty `of` patterns are errors.
 */
export function compileCondition(
  node: ConditionNode,
  ids: Map<string, Predicate>,
): Predicate {
  switch (node.t) {
    case "id": {
      const p = ids.get(node.name);
      if (!p) {
        throw new Error(
          `condition references unknown identifier '${node.name}'`,
        );
      }
      return p;
    }
    case "not": {
      const x = compileCondition(node.x, ids);
      return (v) => !x(v);
    }
    case "and": {
      const xs = node.xs.map((x) => compileCondition(x, ids));
      return setNeed(andOf(xs), needAll(xs.map(needOf)));
    }
    case "or": {
      const xs = node.xs.map((x) => compileCondition(x, ids));
      return setNeed(orOf(xs), needAny(xs.map(needOf)));
    }
    case "of": {
      const names = selectIdentifiers(node.pattern, [...ids.keys()]);
      if (names.length === 0) {
        throw new Error(`'of ${node.pattern}' matches no identifier`);
      }
      const xs = names.map((n) => ids.get(n)!);
      const min = node.min === "all" ? xs.length : node.min;
      if (min > xs.length) {
        // Could never be satisfied; say so rather than load a dead rule.
        throw new Error(
          `'${min} of ${node.pattern}' needs ${min} identifiers but the pattern matches ${xs.length} (${
            names.join(", ")
          })`,
        );
      }
      const need = min >= xs.length
        ? needAll(xs.map(needOf))
        : needAny(xs.map(needOf));
      return setNeed(ofPredicate(xs, min), need);
    }
  }
}

function andOf(xs: Predicate[]): Predicate {
  if (xs.length === 2) {
    const [a, b] = xs;
    return (v) => a(v) && b(v);
  }
  return (v) => {
    for (let i = 0; i < xs.length; i++) if (!xs[i](v)) return false;
    return true;
  };
}

function orOf(xs: Predicate[]): Predicate {
  if (xs.length === 2) {
    const [a, b] = xs;
    return (v) => a(v) || b(v);
  }
  return (v) => {
    for (let i = 0; i < xs.length; i++) if (xs[i](v)) return true;
    return false;
  };
}

/** At least `min` of `xs` (`min` between 1 and xs.length). */
function ofPredicate(xs: Predicate[], min: number): Predicate {
  if (min === 1) return orOf(xs);
  if (min >= xs.length) return andOf(xs);
  return (v) => {
    let n = 0;
    for (let i = 0; i < xs.length; i++) {
      if (xs[i](v) && ++n >= min) return true;
      if (n + (xs.length - i - 1) < min) return false;
    }
    return false;
  };
}
