/**
 * Reads the provisioned Grafana dashboards and runs their SQL against a chDB
 * store, for the dashboard tests (and by hand while editing a dashboard:
 * `deno run -A tests/deploy/dashboards.ts DIR` prints each panel's row count).
 */
import { expandGrafanaSql, type GrafanaQueryContext } from "./grafana_sql.ts";
import type { QueryOutcome } from "./chdb_sql_runner.ts";

const root = new URL("../../", import.meta.url);

/** The dashboards compose provisions, by file name. */
export const DASHBOARD_FILES = ["events.json", "alerts.json"] as const;

/** Where a query lives in a dashboard. */
export interface DashboardQuery {
  dashboard: string;
  /** "panel 3 'Top sources' A" or "variable tenant". */
  where: string;
  panelType?: string;
  rawSql: string;
}

// deno-lint-ignore no-explicit-any
type Json = any;

/** Loads a dashboard JSON from grafana/dashboards/. */
export async function loadDashboard(file: string): Promise<Json> {
  return JSON.parse(
    await Deno.readTextFile(new URL(`grafana/dashboards/${file}`, root)),
  );
}

/** Every panel (rows' nested panels included). */
export function allPanels(dashboard: Json): Json[] {
  const out: Json[] = [];
  for (const p of dashboard.panels ?? []) {
    out.push(p);
    for (const inner of p.panels ?? []) out.push(inner);
  }
  return out;
}

/** Every SQL query of a dashboard: panel targets and query variables. */
export function dashboardQueries(file: string, dashboard: Json): {
  panels: DashboardQuery[];
  variables: (DashboardQuery & { name: string })[];
} {
  const panels: DashboardQuery[] = [];
  for (const p of allPanels(dashboard)) {
    for (const t of p.targets ?? []) {
      panels.push({
        dashboard: file,
        where: `panel ${p.id} '${p.title}' ${t.refId}`,
        panelType: p.type,
        rawSql: t.rawSql,
      });
    }
  }
  const variables = (dashboard.templating?.list ?? [])
    .filter((v: Json) => v.type === "query")
    .map((v: Json) => ({
      dashboard: file,
      where: `variable ${v.name}`,
      name: v.name as string,
      rawSql: typeof v.query === "string" ? v.query : v.query?.rawSql,
    }));
  return { panels, variables };
}

/**
 * Runs SQL statements against the chDB store in `dir`, in a subprocess
 * (chDB allows one data directory per process).
 */
export async function runSqlInStore(
  dir: string,
  queries: { id: string; sql: string }[],
): Promise<Map<string, QueryOutcome>> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      new URL("deno.json", root).pathname,
      new URL("tests/deploy/chdb_sql_runner.ts", root).pathname,
      dir,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(queries)));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  if (code !== 0) {
    throw new Error(
      `chdb_sql_runner exited ${code}: ${new TextDecoder().decode(stderr)}`,
    );
  }
  const outcomes: QueryOutcome[] = JSON.parse(
    new TextDecoder().decode(stdout),
  );
  return new Map(outcomes.map((o) => [o.id, o]));
}

/** One panel query's result under one time context. */
export interface PanelRun {
  query: DashboardQuery;
  intervalMs: number;
  sql: string;
  outcome: QueryOutcome;
}

/**
 * Runs every dashboard's variables, then every panel query with the
 * variables set to all their values ("All"), for each panel interval.
 */
export async function runDashboards(
  dir: string,
  opts: { from: Date; to: Date; intervalsMs: number[] },
): Promise<{ variables: Map<string, string[]>; panels: PanelRun[] }> {
  const loaded = await Promise.all(
    DASHBOARD_FILES.map(async (f) =>
      dashboardQueries(f, await loadDashboard(f))
    ),
  );
  const base: GrafanaQueryContext = {
    from: opts.from,
    to: opts.to,
    intervalMs: opts.intervalsMs[0],
    variables: {},
  };
  const varQueries = loaded.flatMap((d) => d.variables);
  const varOutcomes = await runSqlInStore(
    dir,
    varQueries.map((v) => ({
      id: `${v.dashboard}:${v.name}`,
      sql: expandGrafanaSql(v.rawSql, base),
    })),
  );
  const variables = new Map<string, string[]>();
  for (const [id, o] of varOutcomes) {
    if (o.error) throw new Error(`${id}: ${o.error}`);
    variables.set(id, o.rows.map((r) => String(Object.values(r)[0])));
  }
  const runs: Omit<PanelRun, "outcome">[] = [];
  for (const d of loaded) {
    const vars: Record<string, string[]> = {};
    for (const v of d.variables) {
      vars[v.name] = variables.get(`${v.dashboard}:${v.name}`) ?? [];
    }
    for (const intervalMs of opts.intervalsMs) {
      for (const q of d.panels) {
        runs.push({
          query: q,
          intervalMs,
          sql: expandGrafanaSql(q.rawSql, {
            ...base,
            intervalMs,
            variables: vars,
          }),
        });
      }
    }
  }
  const outcomes = await runSqlInStore(
    dir,
    runs.map((r, i) => ({ id: String(i), sql: r.sql })),
  );
  return {
    variables,
    panels: runs.map((r, i) => ({ ...r, outcome: outcomes.get(String(i))! })),
  };
}

if (import.meta.main) {
  const to = new Date();
  const { variables, panels } = await runDashboards(Deno.args[0], {
    from: new Date(to.getTime() - 6 * 3600_000),
    to,
    intervalsMs: [20_000, 300_000],
  });
  console.log(Object.fromEntries(variables));
  for (const p of panels) {
    console.log(
      `${p.query.dashboard} ${p.query.where} @${p.intervalMs / 1000}s: ${
        p.outcome.error ?? `${p.outcome.rows.length} rows`
      }`,
    );
  }
}
