/**
 * Training history from the embedded store: the enriched events the sink
 * wrote to `sentinel.events` in a chDB data directory, read back as
 * records (with the sink's own readback mapping) oldest first, in pages so
 * a long history never sits in memory as one query result.
 *
 * chDB allows one data directory per process; the train subcommand opens
 * only this one.
 *
 * @module
 */
import { sqlIdentifier, sqlString } from "../../sink/sql.ts";
import { UsageError } from "../../shared/cli.ts";
import type { EnrichedEvent } from "../../shared/contracts/mod.ts";
import { readbackSql, recordFromRow } from "../../sink/readback.ts";
import { openChdbSession } from "../../sink/store.ts";

const UNITS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** `90s`, `30m`, `24h`, `7d` → milliseconds; throws UsageError otherwise. */
export function parseDuration(text: string, flag = "--since"): number {
  const m = /^(\d+(?:\.\d+)?)([smhd])$/.exec(text.trim());
  if (!m || !(Number(m[1]) > 0)) {
    throw new UsageError(
      `${flag}: expected a duration like 90m, 24h or 7d, got '${text}'`,
    );
  }
  return Number(m[1]) * UNITS[m[2]];
}

/** Options of {@link storeEvents}. */
export interface StoreEventsOptions {
  /** Only events this recent, counted back from the newest stored event. */
  sinceMs?: number;
  tenant?: string;
  /** @default "sentinel" */
  database?: string;
  /** Rows per query. @default 20000 */
  pageRows?: number;
}

type Session = {
  query(sql: string, format?: string): string;
  close?(): void;
};

/**
 * Enriched events stored in the chDB directory of `uri` (`chdb:DIR`),
 * oldest first. Throws UsageError when the URI is not `chdb:DIR`, the
 * directory does not exist, or it holds no `sentinel.events` table.
 */
export async function* storeEvents(
  uri: string,
  opts: StoreEventsOptions = {},
): AsyncIterable<EnrichedEvent> {
  if (!uri.startsWith("chdb:") || uri.length === 5) {
    throw new UsageError(
      `--from-store: expected chdb:DIR (the sink's embedded store), got '${uri}'`,
    );
  }
  const dir = uri.slice(5);
  try {
    if (!(await Deno.stat(dir)).isDirectory) throw new Error("not a directory");
  } catch (e) {
    throw new UsageError(`--from-store ${dir}: ${(e as Error).message}`);
  }
  const db = sqlIdentifier(opts.database ?? "sentinel");
  // Loaded lazily (only this subcommand needs the native engine); a store a
  // running sink holds is refused with a message saying so.
  const session = await openChdbSession(dir) as unknown as Session;
  try {
    const exists = session.query(
      `SELECT count() FROM system.tables WHERE database = ${
        sqlString(db)
      } AND name = 'events'`,
      "TSV",
    ).trim();
    if (exists !== "1") {
      throw new UsageError(
        `--from-store ${dir}: no table ${db}.events (has the sink written to this store?)`,
      );
    }
    const conds: string[] = [];
    if (opts.tenant) conds.push(`tenant = ${sqlString(opts.tenant)}`);
    if (opts.sinceMs !== undefined) {
      conds.push(
        `ts >= (SELECT max(ts) FROM ${db}.events) - toIntervalMillisecond(${
          Math.round(opts.sinceMs)
        })`,
      );
    }
    const where = conds.length ? `WHERE ${conds.join(" AND ")}` : "";
    const page = opts.pageRows ?? 20_000;
    for (let offset = 0;; offset += page) {
      const sql = readbackSql(
        "events",
        db,
        `${where} ORDER BY ts, event_id LIMIT ${page} OFFSET ${offset}`,
      );
      const text = session.query(sql, "JSONEachRow");
      let n = 0;
      for (const line of text.split("\n")) {
        if (!line) continue;
        n++;
        yield recordFromRow("events", JSON.parse(line)) as EnrichedEvent;
      }
      if (n < page) break;
    }
  } finally {
    session.close?.();
  }
}
