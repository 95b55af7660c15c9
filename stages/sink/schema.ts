/**
 * The ClickHouse DDL (`compose/clickhouse/init.sql`): loading it, adapting
 * it to a database name and TTLs, and splitting it into statements.
 */
import type { Logger } from "../shared/log.ts";
import { sqlIdentifier, sqlString } from "./sql.ts";

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

/** Names of the retention families (the `-- ttl:NAME` markers). */
export type RetentionFamily = keyof RetentionDays;

/** What {@link reconcileSchema} needs from a store: run a statement, read rows. */
export interface SchemaTarget {
  /** Runs a statement that returns nothing (DDL). */
  exec(sql: string): Promise<void>;
  /** Runs a SELECT; returns its `JSONEachRow` text. */
  select(sql: string): Promise<string>;
}

/** A table or view of the schema, as init.sql declares it. */
interface DeclaredObject {
  /** Unqualified name, e.g. `events`. */
  name: string;
  /** Column name → its full definition (tables). */
  columns: Map<string, string>;
  /** The TTL expression with the days the options ask for (tables). */
  ttl?: string;
  /** Which retention flag sets the TTL's days. */
  family?: RetentionFamily;
  /** The SELECT of a materialized view. */
  select?: string;
}

/** One change that brings an existing object to the declared schema. */
export interface SchemaUpgrade {
  /** Qualified name, e.g. `sentinel.events`. */
  object: string;
  /** What differs, for the log: e.g. `TTL toDateTime(ts) + toIntervalDay(30) → …`. */
  reason: string;
  /** The statements, run in order. */
  statements: string[];
  /**
   * The TTL being replaced when the sink did not write it (an operator's
   * own retention, `(none)` for a table without one): only replaced when
   * the family's flag was given, and then logged as a warning.
   */
  replacesForeignTtl?: string;
}

/**
 * A table whose TTL the sink did not write and no flag asked to change:
 * it is kept as it is (see {@link schemaUpgrades}).
 */
export interface KeptRetention {
  /** Qualified name, e.g. `sentinel.events`. */
  object: string;
  /** The TTL clause found, `(none)` when the table has none. */
  ttl: string;
  /** The flag that would replace it, e.g. `--events-ttl-days`. */
  flag?: string;
}

/** The state of an existing store object (from system.tables/columns). */
export interface ExistingObject {
  /** `engine_full` of system.tables (holds the TTL clause). */
  engineFull: string;
  /** Column names. */
  columns: Set<string>;
  /** `as_select` of a view, single-line formatted by the database. */
  select?: string;
}

const CREATE_TABLE_RE = /^CREATE TABLE IF NOT EXISTS \w+\.(\w+)\s*\(/;
const CREATE_VIEW_RE =
  /^CREATE MATERIALIZED VIEW IF NOT EXISTS \w+\.(\w+)\s+TO\s+\S+\s+AS\s+([\s\S]+)$/;
const TTL_RE = /\sTTL\s+([\s\S]+?)\s*(?:\sSETTINGS\s[\s\S]*)?$/;
const TTL_DAYS_RE = /toIntervalDay\((\d+)\)/;
/** `BASE + toIntervalDay(N)` and nothing else: the only form the sink writes. */
const OWN_TTL_RE = /^([\s\S]+?)\s*\+\s*toIntervalDay\((\d+)\)$/;

/**
 * The TTL base each table had before a47e285, when retention counted from
 * the event time (see tests/sink/fixtures/init_before_a47e285.sql): stores
 * created then carry `BASE + toIntervalDay(N)` with these bases, which the
 * sink wrote and so upgrades to `inserted_at`, keeping N.
 */
const EVENT_TIME_TTL_BASES: Readonly<Record<string, string>> = {
  events: "toDateTime(ts)",
  alerts: "toDateTime(ts)",
  dead_letters: "toDateTime(at)",
  raw_events: "toDateTime(received_at)",
  events_per_minute: "minute",
  alerts_per_minute: "minute",
  dead_letters_per_minute: "minute",
};
const FAMILY_RE = /-- ttl:(\w+)/;

/**
 * What init.sql declares, per table and view, for `opts` (the TTLs with the
 * days asked for). The retention family of each table is read from its
 * `-- ttl:NAME` marker.
 */
function declaredObjects(sql: string, opts: SchemaOptions): DeclaredObject[] {
  const families = new Map<string, RetentionFamily>();
  for (const chunk of sql.split(/^(?=CREATE )/m)) {
    const name = /^CREATE TABLE IF NOT EXISTS \w+\.(\w+)/.exec(chunk)?.[1];
    const family = FAMILY_RE.exec(chunk)?.[1];
    if (name && family) families.set(name, family as RetentionFamily);
  }
  const out: DeclaredObject[] = [];
  for (const st of schemaStatements(sql, opts)) {
    const table = CREATE_TABLE_RE.exec(st);
    if (table) {
      const open = table[0].length - 1;
      const close = matchingParen(st, open);
      const columns = new Map<string, string>();
      for (const def of splitTopLevel(st.slice(open + 1, close))) {
        const name = /^`?(\w+)`?/.exec(def)?.[1];
        if (!name || /^(CONSTRAINT|INDEX|PROJECTION)$/i.test(name)) continue;
        columns.set(name, def);
      }
      out.push({
        name: table[1],
        columns,
        ttl: TTL_RE.exec(st.slice(close + 1))?.[1],
        family: families.get(table[1]),
      });
      continue;
    }
    const view = CREATE_VIEW_RE.exec(st);
    if (view) out.push({ name: view[1], columns: new Map(), select: view[2] });
  }
  return out;
}

/** Index of the `)` that closes the `(` at `open` (quotes respected). */
function matchingParen(s: string, open: number): number {
  let depth = 0;
  let quoted = false;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === "'") quoted = false;
    } else if (c === "'") quoted = true;
    else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i;
  }
  throw new Error("init.sql: unbalanced parentheses in a CREATE TABLE");
}

/** Splits at the commas outside parentheses and quotes; trims. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === "'") quoted = false;
    } else if (c === "'") quoted = true;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts.map((p) => p.replace(/\s+/g, " ").trim()).filter((p) => p);
}

/** Compares SQL fragments ignoring whitespace (the database reformats them). */
const sameSql = (a: string, b: string) =>
  a.replace(/\s+/g, "") === b.replace(/\s+/g, "");

/**
 * The changes that bring stores created by an earlier init.sql (tables are
 * only created `IF NOT EXISTS`) to the declared schema:
 *
 *  - columns added to init.sql since are added (`ADD COLUMN IF NOT EXISTS`);
 *  - a table's TTL is set to the declared expression (`MODIFY TTL`). The
 *    days come from the options; a family whose days were not given keeps
 *    the days the table has, so a run without `--events-ttl-days` never
 *    shortens (or lengthens) a retention chosen earlier, while the
 *    expression still moves to the current one (from `ts` to `inserted_at`).
 *    Only a TTL the sink wrote (`BASE + toIntervalDay(N)` on the declared
 *    base or, before a47e285, the event time) is touched without a flag;
 *    any other (an operator's `INTERVAL 1 YEAR`, none at all, `TO DISK`,
 *    `DELETE WHERE`, several rules) is left as it is and pushed to `kept`.
 *    With the family's flag given it is replaced, as asked, and the upgrade
 *    carries the replaced TTL (`replacesForeignTtl`).
 *    The stored parts' expiry is recalculated from `inserted_at` only
 *    (`materialize_ttl_recalculate_only`: no data is rewritten), and the
 *    ALTER waits for it: parts keep the expiry they were written with, so
 *    without it a lengthened retention would still delete rows at the old
 *    date and a shortened one would keep them;
 *  - a materialized view whose SELECT changed gets the new one
 *    (`MODIFY QUERY`); `views` holds the declared SELECTs formatted by the
 *    database, keyed by view name.
 *
 * Pure: the existing state is passed in, so nothing changes when nothing
 * differs.
 */
export function schemaUpgrades(
  sql: string,
  opts: SchemaOptions,
  existing: ReadonlyMap<string, ExistingObject>,
  views: ReadonlyMap<string, string> = new Map(),
  kept: KeptRetention[] = [],
): SchemaUpgrade[] {
  const db = sqlIdentifier(opts.database ?? DEFAULT_DATABASE);
  const out: SchemaUpgrade[] = [];
  for (const decl of declaredObjects(sql, opts)) {
    const have = existing.get(decl.name);
    if (!have) continue; // just created from the declaration
    const object = `${db}.${decl.name}`;
    if (decl.select !== undefined) {
      const want = views.get(decl.name);
      if (
        want !== undefined && have.select !== undefined && want !== have.select
      ) {
        out.push({
          object,
          reason: `SELECT ${have.select} → ${want}`,
          statements: [`ALTER TABLE ${object} MODIFY QUERY ${decl.select}`],
        });
      }
      continue;
    }
    const added = [...decl.columns].filter(([name]) => !have.columns.has(name));
    if (added.length) {
      out.push({
        object,
        reason: `missing column${added.length > 1 ? "s" : ""} ${
          added.map(([n]) => n).join(", ")
        }`,
        statements: added.map(([, def]) =>
          `ALTER TABLE ${object} ADD COLUMN IF NOT EXISTS ${def}`
        ),
      });
    }
    if (!decl.ttl) continue;
    const current = TTL_RE.exec(have.engineFull)?.[1];
    let want = decl.ttl;
    const given = decl.family ? opts.retention?.[decl.family] : undefined;
    const ownDays = current === undefined
      ? undefined
      : sinkTtlDays(current, decl.ttl, EVENT_TIME_TTL_BASES[decl.name]);
    if (ownDays === undefined && given === undefined) {
      // Not the sink's: an operator's retention (other units, no TTL,
      // moves, DELETE WHERE, several rules). Without a flag asking for
      // days, rewriting it would delete rows the operator chose to keep.
      kept.push({
        object,
        ttl: current ?? "(none)",
        flag: decl.family && decl.family !== "raw_events"
          ? `--${decl.family.replaceAll("_", "-")}-ttl-days`
          : undefined,
      });
      continue;
    }
    if (given === undefined) {
      want = want.replace(TTL_DAYS_RE, `toIntervalDay(${ownDays})`);
    }
    if (current !== undefined && sameSql(current, want)) continue;
    const statements: string[] = [];
    if (
      !/\bmaterialize_ttl_recalculate_only = (1|true)\b/i.test(have.engineFull)
    ) {
      statements.push(
        `ALTER TABLE ${object} MODIFY SETTING materialize_ttl_recalculate_only = 1`,
      );
    }
    statements.push(
      `ALTER TABLE ${object} MODIFY TTL ${want} SETTINGS mutations_sync = 2`,
    );
    out.push({
      object,
      reason: `TTL ${current ?? "(none)"} → ${want}`,
      statements,
      ...(ownDays === undefined
        ? { replacesForeignTtl: current ?? "(none)" }
        : {}),
    });
  }
  return out;
}

/**
 * The days of a TTL the sink wrote: exactly `BASE + toIntervalDay(N)` with
 * the declared base or the table's event-time base from before a47e285.
 * Anything else (`toIntervalYear`, `TO DISK`, `WHERE`, several rules, another
 * column) is undefined: not the sink's.
 */
function sinkTtlDays(
  current: string,
  declared: string,
  eventTimeBase: string | undefined,
): number | undefined {
  const m = OWN_TTL_RE.exec(current.trim());
  const declaredBase = OWN_TTL_RE.exec(declared.trim())?.[1];
  if (!m || declaredBase === undefined) return undefined;
  const own = sameSql(m[1], declaredBase) ||
    (eventTimeBase !== undefined && sameSql(m[1], eventTimeBase));
  return own ? Number(m[2]) : undefined;
}

/** Options for {@link applySchema}. */
export interface ApplySchemaOptions extends SchemaOptions {
  /** Told about each upgrade, and warned with the statements to run when one fails. */
  logger?: Logger;
}

/**
 * Applies init.sql to a store: creates what is missing, then upgrades what
 * an earlier init.sql (or earlier retention flags) created; see
 * {@link schemaUpgrades}. When nothing differs this costs two reads of the
 * system tables (three with views) and changes nothing. An upgrade the
 * database refuses (e.g. a user without ALTER rights) does not stop the
 * caller: it is logged as a warning with the exact statements to run.
 * Returns the upgrades that were applied.
 */
export async function applySchema(
  target: SchemaTarget,
  opts: ApplySchemaOptions = {},
): Promise<SchemaUpgrade[]> {
  const sql = await readInitSql();
  const db = sqlIdentifier(opts.database ?? DEFAULT_DATABASE);
  const declared = declaredObjects(sql, opts);
  // The state before creating: objects created now need no upgrade.
  const existing = await existingObjects(target, db);
  for (const st of schemaStatements(sql, opts)) await target.exec(st);
  if (existing.size === 0) return [];
  const viewSelects = declared.filter((d) =>
    d.select !== undefined && existing.has(d.name)
  );
  const views = new Map<string, string>();
  if (viewSelects.length) {
    const row = JSON.parse(
      await target.select(
        `SELECT ${
          viewSelects.map((d, i) =>
            `formatQuerySingleLineOrNull(${sqlString(d.select!)}) AS v${i}`
          ).join(", ")
        }`,
      ),
    ) as Record<string, string | null>;
    viewSelects.forEach((d, i) => {
      const f = row[`v${i}`];
      if (f) views.set(d.name, f);
    });
  }
  const kept: KeptRetention[] = [];
  const upgrades = schemaUpgrades(sql, opts, existing, views, kept);
  for (const k of kept) {
    opts.logger?.info(
      "retention kept: the table's TTL was not written by the sink and no flag asks to change it",
      {
        object: k.object,
        ttl: k.ttl,
        ...(k.flag ? { replace_with: `${k.flag} N` } : {}),
      },
    );
  }
  const applied: SchemaUpgrade[] = [];
  for (const up of upgrades) {
    try {
      for (const st of up.statements) await target.exec(st);
      if (up.replacesForeignTtl !== undefined) {
        opts.logger?.warn(
          "schema upgraded: a TTL the sink did not write was replaced, as the retention flag asks",
          {
            object: up.object,
            replaced: up.replacesForeignTtl,
            change: up.reason,
          },
        );
      } else {
        opts.logger?.info("schema upgraded", {
          object: up.object,
          change: up.reason,
        });
      }
      applied.push(up);
    } catch (e) {
      opts.logger?.warn(
        "schema upgrade refused; run these statements to apply it",
        {
          object: up.object,
          change: up.reason,
          error: e instanceof Error ? e.message : String(e),
          statements: up.statements.map((s) => `${s};`),
        },
      );
    }
  }
  return applied;
}

/** The tables and views of `db` with their engine, columns and SELECT. */
async function existingObjects(
  target: SchemaTarget,
  db: string,
): Promise<Map<string, ExistingObject>> {
  const out = new Map<string, ExistingObject>();
  const rows = (text: string) =>
    text.split("\n").filter((l) => l).map((l) =>
      JSON.parse(l) as Record<string, string>
    );
  for (
    const r of rows(
      await target.select(
        `SELECT name, engine_full, if(engine = 'MaterializedView', formatQuerySingleLineOrNull(as_select), NULL) AS sel FROM system.tables WHERE database = ${
          sqlString(db)
        }`,
      ),
    )
  ) {
    out.set(r.name, {
      engineFull: r.engine_full,
      columns: new Set(),
      select: r.sel ?? undefined,
    });
  }
  if (out.size === 0) return out;
  for (
    const r of rows(
      await target.select(
        `SELECT table, name FROM system.columns WHERE database = ${
          sqlString(db)
        }`,
      ),
    )
  ) out.get(r.table)?.columns.add(r.name);
  return out;
}
