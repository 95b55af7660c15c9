/**
 * The Grafana side: provisioning files and dashboards are valid and agree
 * with compose, and every panel's SQL — with the ClickHouse plugin's macros
 * and the tenant variable expanded — runs against chDB: first against the
 * bare schema (init.sql applied by the sink), then against a store filled by
 * `sentinel-demo-seed` (plus three malformed lines through the sink, for
 * dead letters), where every panel must return rows.
 */
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import {
  allPanels,
  DASHBOARD_FILES,
  dashboardQueries,
  loadDashboard,
  runDashboards,
} from "./dashboards.ts";
import { expandGrafanaSql } from "./grafana_sql.ts";
import { environment, loadCompose, volumes } from "./compose_file.ts";

const root = new URL("../../", import.meta.url);
const dashboards = Object.fromEntries(
  await Promise.all(
    DASHBOARD_FILES.map(async (f) => [f, await loadDashboard(f)] as const),
  ),
);
const datasources = parseYaml(
  await Deno.readTextFile(
    new URL("grafana/provisioning/datasources/clickhouse.yml", root),
  ),
);
const providers = parseYaml(
  await Deno.readTextFile(
    new URL("grafana/provisioning/dashboards/sentinel.yml", root),
  ),
);
const DS_UID = datasources.datasources[0].uid;

Deno.test("provisioning: the ClickHouse datasource and the dashboard folder match compose", async () => {
  assert.equal(datasources.apiVersion, 1);
  const [ds] = datasources.datasources;
  assert.equal(ds.type, "grafana-clickhouse-datasource");
  assert.ok(ds.uid && ds.jsonData.host && ds.jsonData.port, "host and port");
  assert.ok(["native", "http"].includes(ds.jsonData.protocol));
  const compose = await loadCompose();
  const grafana = compose.services.grafana;
  assert.match(
    environment(grafana).GF_INSTALL_PLUGINS,
    /grafana-clickhouse-datasource/,
  );
  // ${VAR} references in the provisioning file are Grafana's environment.
  for (const m of JSON.stringify(ds).matchAll(/\$\{(\w+)\}/g)) {
    assert.ok(
      environment(grafana)[m[1]] !== undefined,
      `datasource reads ${m[1]}, which compose does not give Grafana`,
    );
  }
  const mounts = volumes(grafana);
  const [provider] = providers.providers;
  assert.equal(provider.type, "file");
  const dashMount = mounts.find((v) => v.target === provider.options.path);
  assert.ok(dashMount, `nothing mounted at ${provider.options.path}`);
  assert.equal(dashMount.source, "../grafana/dashboards");
  assert.ok(
    mounts.some((v) =>
      v.source === "../grafana/provisioning" &&
      v.target === "/etc/grafana/provisioning"
    ),
    "provisioning folder mounted",
  );
});

Deno.test("dashboards: valid Grafana JSON with unique uids, panel ids and a non-overlapping grid", () => {
  const uids = new Set<string>();
  for (const [file, d] of Object.entries(dashboards)) {
    assert.ok(d.uid && !uids.has(d.uid), `${file}: uid`);
    uids.add(d.uid);
    assert.ok(d.title && d.schemaVersion >= 36, `${file}: title/schema`);
    const ids = new Set<number>();
    const cells = new Set<string>();
    for (const p of allPanels(d)) {
      assert.ok(!ids.has(p.id), `${file}: duplicate panel id ${p.id}`);
      ids.add(p.id);
      const { x, y, w, h } = p.gridPos;
      assert.ok(x >= 0 && w > 0 && x + w <= 24 && h > 0, `${file} ${p.title}`);
      for (let cx = x; cx < x + w; cx++) {
        for (let cy = y; cy < y + h; cy++) {
          const key = `${cx},${cy}`;
          assert.ok(!cells.has(key), `${file}: '${p.title}' overlaps`);
          cells.add(key);
        }
      }
    }
  }
});

Deno.test("dashboards: every query uses the provisioned datasource, a time macro and the tenant variable", () => {
  for (const [file, d] of Object.entries(dashboards)) {
    const tenant = d.templating.list.find((v: { name: string }) =>
      v.name === "tenant"
    );
    assert.ok(tenant, `${file}: no tenant variable`);
    assert.equal(tenant.datasource.uid, DS_UID);
    assert.ok(tenant.multi && tenant.includeAll, `${file}: tenant multi/All`);
    for (const p of allPanels(d)) {
      assert.equal(p.datasource?.uid, DS_UID, `${file} '${p.title}'`);
      for (const t of p.targets) {
        assert.equal(t.datasource.uid, DS_UID);
        assert.equal(
          t.format,
          p.type === "timeseries" ? 0 : 1,
          `${file} '${p.title}': format must match the panel (0 time series, 1 table)`,
        );
        assert.match(
          t.rawSql,
          /\$__timeFilter(_ms)?\(/,
          `${file} '${p.title}'`,
        );
        if (p.type === "timeseries") {
          assert.match(t.rawSql, /\$__timeInterval(_ms)?\(.*\) AS time/);
        }
        // Dead letters often carry no tenant; everything else is per tenant.
        if (!/dead_letters_per_minute/.test(t.rawSql)) {
          assert.match(
            t.rawSql,
            /\$\{tenant:singlequote\}/,
            `${file} '${p.title}' ignores the tenant variable`,
          );
        }
      }
    }
  }
});

Deno.test("dashboards: they show what the issue asks for", () => {
  const titles = (f: string) =>
    allPanels(dashboards[f]).map((p) => p.title).join(" | ");
  for (
    const re of [
      /events per minute by category/i,
      /severity distribution/i,
      /top sources/i,
      /failed logins by user and source/i,
      /dead letters/i,
    ]
  ) assert.match(titles("events.json"), re);
  for (
    const re of [
      /alerts over time by kind/i,
      /by rule and severity/i,
      /MITRE/,
      /anomaly scores/i,
      /recent alerts/i,
    ]
  ) assert.match(titles("alerts.json"), re);
});

async function sinkSchemaStore(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "sentinel-dash-schema-" });
  const empty = `${dir}/empty.ndjson`;
  await Deno.writeTextFile(empty, "");
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "cli/sentinel-sink.ts",
      "--in",
      `file:${empty}`,
      "--out",
      `chdb:${dir}/store`,
      "--summary",
      "none",
      "--log-level",
      "warn",
    ],
    cwd: root,
    stderr: "piped",
    stdout: "null",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return dir;
}

/** Grafana's default range, "last 6 hours", as of now (query time). */
function lastSixHours() {
  const to = new Date();
  return {
    from: new Date(to.getTime() - 6 * 3600_000),
    to,
    // A 6-hour range at ~1000 px (Grafana's 20 s) and a zoomed-out 5 min.
    intervalsMs: [20_000, 300_000],
  };
}

Deno.test("dashboards: every panel's SQL runs against the bare schema from init.sql", async () => {
  const dir = await sinkSchemaStore();
  try {
    const { panels } = await runDashboards(`${dir}/store`, lastSixHours());
    assert.ok(panels.length > 0);
    for (const p of panels) {
      assert.equal(
        p.outcome.error,
        undefined,
        `${p.query.dashboard} ${p.query.where}:\n${p.sql}`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const demoSeed = new URL("cli/sentinel-demo-seed.ts", root);

Deno.test({
  name: "dashboards: with demo-seed's data every panel returns rows",
  fn: async () => {
    assert.ok(
      await Deno.stat(demoSeed).then(() => true, () => false),
      "cli/sentinel-demo-seed.ts is missing",
    );
    const dir = await Deno.makeTempDir({ prefix: "sentinel-dash-seed-" });
    try {
      const seeded = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "cli/sentinel-demo-seed.ts",
          "--out",
          `chdb:${dir}/store`,
          "--log-level",
          "warn",
        ],
        cwd: root,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(
        seeded.code,
        0,
        new TextDecoder().decode(seeded.stderr),
      );
      // demo-seed writes events and alerts only; dead letters are made the
      // way the pipeline makes them: malformed lines reaching the sink.
      const sink = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "cli/sentinel-sink.ts",
          "--out",
          `chdb:${dir}/store`,
          "--summary",
          "none",
          "--log-level",
          "warn",
        ],
        cwd: root,
        stdin: "piped",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const w = sink.stdin.getWriter();
      await w.write(
        new TextEncoder().encode(
          'Nov 24 10:00:00 web-01 sshd[1]: not json\n{"record":"nope"}\n[1]\n',
        ),
      );
      await w.close();
      const sunk = await sink.output();
      assert.equal(sunk.code, 0, new TextDecoder().decode(sunk.stderr));
      const { variables, panels } = await runDashboards(
        `${dir}/store`,
        lastSixHours(),
      );
      for (const [id, values] of variables) {
        assert.ok(values.length > 0, `${id} has no values`);
      }
      for (const p of panels) {
        const label = `${p.query.dashboard} ${p.query.where} @${
          p.intervalMs / 1000
        }s`;
        assert.equal(p.outcome.error, undefined, `${label}:\n${p.sql}`);
        assert.ok(p.outcome.rows.length > 0, `${label} returned no rows`);
        if (p.query.panelType === "stat") {
          const v = Number(Object.values(p.outcome.rows[0])[0]);
          assert.ok(v > 0, `${label}: stat shows ${v}`);
        }
        if (p.query.panelType === "timeseries") {
          assert.ok("time" in p.outcome.rows[0], `${label}: no time column`);
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("dashboards: every query expands without unknown macros or variables", () => {
  for (const [file, d] of Object.entries(dashboards)) {
    const { panels, variables } = dashboardQueries(file, d);
    const vars = Object.fromEntries(
      variables.map((v) => [v.name, ["default", "acme"]]),
    );
    for (const q of [...panels, ...variables]) {
      const sql = expandGrafanaSql(q.rawSql, {
        ...lastSixHours(),
        intervalMs: 20_000,
        variables: vars,
      });
      assert.doesNotMatch(sql, /\$/, `${file} ${q.where}: ${sql}`);
    }
  }
});
