/**
 * Subprocess helper for the dashboard tests: opens the chDB store in the
 * directory given as the only argument, reads a JSON array of
 * `{ id, sql }` from stdin, runs each statement and prints a JSON array of
 * `{ id, rows, error? }` on stdout. It runs in its own process because chDB
 * allows one data directory per process, and the test process must stay free
 * to seed other stores.
 */
import { Session } from "chdb";

interface Query {
  id: string;
  sql: string;
}

/** One query's outcome. */
export interface QueryOutcome {
  id: string;
  rows: Record<string, unknown>[];
  error?: string;
}

if (import.meta.main) {
  const dir = Deno.args[0];
  if (!dir) {
    console.error("usage: chdb_sql_runner.ts DIR < queries.json");
    Deno.exit(2);
  }
  const queries: Query[] = JSON.parse(
    await new Response(Deno.stdin.readable).text(),
  );
  const session = new Session(dir);
  const outcomes: QueryOutcome[] = [];
  for (const q of queries) {
    try {
      const text = session.query(q.sql, "JSON");
      const rows = text.trim() ? JSON.parse(text).data : [];
      outcomes.push({ id: q.id, rows });
    } catch (e) {
      outcomes.push({ id: q.id, rows: [], error: (e as Error).message });
    }
  }
  console.log(JSON.stringify(outcomes));
  session.close();
}
