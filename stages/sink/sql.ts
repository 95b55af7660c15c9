/**
 * SQL text helpers shared by everything that talks to ClickHouse: one place
 * that quotes string literals and validates identifiers (database names
 * come from flags and URLs and are put into SQL text as they are).
 */
import { UsageError } from "../shared/cli.ts";

/** A ClickHouse identifier that needs no quoting (database, table names). */
export const SQL_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** A ClickHouse string literal (single quotes, backslash escapes). */
export function sqlString(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/**
 * Returns `name` when it is a plain identifier ({@link SQL_IDENTIFIER}),
 * else throws a {@link UsageError} naming `what` (e.g. the flag): the name
 * is put into SQL text unquoted, so anything else is refused up front.
 */
export function sqlIdentifier(name: string, what = "--database"): string {
  if (!SQL_IDENTIFIER.test(name)) {
    throw new UsageError(
      `${what}: '${name}' is not a valid database name (letters, digits and _, not starting with a digit, at most 64 characters)`,
    );
  }
  return name;
}

/**
 * The one statement in `sql`, without its terminating `;` (and anything
 * after it that is only whitespace or comments). More than one statement is
 * a {@link UsageError}: query output is one result in one format, and chDB
 * would run every statement and print their results back to back.
 * Semicolons inside string literals, quoted identifiers and comments do not
 * end a statement.
 */
export function singleStatement(sql: string): string {
  /** Statements with content, as [start, end) offsets. */
  const found: [number, number][] = [];
  let start = 0;
  let content = false;
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql[i];
    if (c === "'" || c === '"' || c === "`") {
      // Quoted: backslash escapes the next character, a doubled quote is
      // one quote character.
      content = true;
      i++;
      while (i < n) {
        if (sql[i] === "\\") i += 2;
        else if (sql[i] === c) {
          if (sql[i + 1] === c) i += 2;
          else break;
        } else i++;
      }
      i++;
    } else if (c === "-" && sql[i + 1] === "-") {
      const eol = sql.indexOf("\n", i);
      i = eol < 0 ? n : eol + 1;
    } else if (c === "/" && sql[i + 1] === "*") {
      const close = sql.indexOf("*/", i + 2);
      i = close < 0 ? n : close + 2;
    } else if (c === ";") {
      if (content) found.push([start, i]);
      start = ++i;
      content = false;
    } else {
      if (!/\s/.test(c)) content = true;
      i++;
    }
  }
  if (content) found.push([start, n]);
  if (found.length > 1) {
    throw new UsageError(
      `query: one statement per query, got ${found.length} (separated by ';'); run them one at a time`,
    );
  }
  return found.length ? sql.slice(found[0][0], found[0][1]).trim() : "";
}
