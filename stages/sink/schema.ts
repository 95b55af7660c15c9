/**
 * The ClickHouse DDL (`compose/clickhouse/init.sql`): loading it, adapting
 * it to a database name and TTLs, and splitting it into statements.
 */
import { sqlIdentifier } from "./sql.ts";

/** Where the DDL lives; `deno task compile` embeds it with `--include`. */
export const INIT_SQL_URL = new URL(
  "../../compose/clickhouse/init.sql",
  import.meta.url,
);

/** The database the DDL creates. */
export const DEFAULT_DATABASE = "sentinel";

/** Retention in days per table family (the `-- ttl:NAME` markers). */
export interface RetentionDays {
  /** @default 30 */
  events?: number;
  /** @default 90 */
  alerts?: number;
  /** @default 30 */
  dead_letters?: number;
  /** @default 30 */
  raw_events?: number;
}

/** Options for {@link schemaStatements}. */
export interface SchemaOptions {
  /** @default "sentinel" */
  database?: string;
  retention?: RetentionDays;
}

/** Reads init.sql. */
export async function readInitSql(): Promise<string> {
  return await Deno.readTextFile(INIT_SQL_URL);
}

/**
 * Turns init.sql into executable statements for `database` with the given
 * TTLs. Comments are removed; statements end at `;`.
 */
export function schemaStatements(
  sql: string,
  opts: SchemaOptions = {},
): string[] {
  const db = sqlIdentifier(opts.database ?? DEFAULT_DATABASE);
  let text = sql;
  const ret = opts.retention ?? {};
  for (const [name, days] of Object.entries(ret)) {
    if (days === undefined) continue;
    if (!Number.isInteger(days) || days < 1) {
      throw new Error(
        `retention for ${name} must be a whole number of days ≥ 1, got ${days}`,
      );
    }
    text = text.replace(
      new RegExp(`toIntervalDay\\(\\d+\\)(\\s*-- ttl:${name}\\b)`, "g"),
      `toIntervalDay(${days})$1`,
    );
  }
  if (db !== DEFAULT_DATABASE) {
    text = text.replace(/\bsentinel\.(?=[a-z_])/g, `${db}.`)
      .replace(
        /DATABASE IF NOT EXISTS sentinel\b/,
        `DATABASE IF NOT EXISTS ${db}`,
      );
  }
  const noComments = text.split("\n").map(stripComment).join("\n");
  return noComments.split(";").map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Removes a `--` comment that is not inside a string literal. */
function stripComment(line: string): string {
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'" && line[i - 1] !== "\\") inString = !inString;
    else if (!inString && c === "-" && line[i + 1] === "-") {
      return line.slice(0, i);
    }
  }
  return line;
}
