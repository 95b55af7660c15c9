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
