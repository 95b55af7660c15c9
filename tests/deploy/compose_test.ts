/**
 * The compose stack, checked statically (there is no Docker engine here):
 * it parses, everything it mounts or builds from exists, the start-up order
 * is health-gated, topics and databases line up, and every flag and
 * SENTINEL_* variable it hands a stage is accepted by that stage's CLI.
 *
 * How flags are checked: each stage's CLI parses its arguments strictly
 * (`stages/shared/cli.ts`: an unknown flag exits 2) before it acts on
 * `--help`. So running `cli/sentinel-X.ts <compose args> --help` exits 0
 * exactly when every flag compose passes exists — without connecting to
 * anything. A control run with one bogus flag must exit 2, which proves the
 * check is not vacuous for that CLI. Environment variables are checked
 * against the `[env SENTINEL_…]` names the same help text lists (plus the
 * Kafka adapter's documented `SENTINEL_KAFKA_*` variables).
 */
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import {
  commandArgs,
  composeRelative,
  environment,
  type Json,
  loadCompose,
  volumes,
} from "./compose_file.ts";

const root = new URL("../../", import.meta.url);
const compose = await loadCompose();
const services: Record<string, Json> = compose.services;

const INFRA = ["redpanda", "topic-init", "clickhouse", "grafana"];
/** Services built from the Dockerfile, i.e. SentinelStream stages. */
const stages = Object.entries(services).filter(([, s]) => s.build?.target);

const exists = async (url: URL) => {
  try {
    await Deno.stat(url);
    return true;
  } catch {
    return false;
  }
};

Deno.test("compose: the whole stack is defined, tools behind a profile", () => {
  for (
    const name of [...INFRA, "ingest", "parser", "detector", "generator"]
  ) {
    assert.ok(services[name], `service ${name} missing`);
  }
  assert.ok(services["demo-seed"], "service demo-seed missing");
  const sinks = stages.filter(([, s]) => s.build.target === "sink");
  assert.ok(sinks.length >= 1, "no sink service");
  for (const name of ["generator", "demo-seed"]) {
    assert.deepEqual(services[name].profiles, ["tools"], name);
  }
  for (const [name, s] of Object.entries(services)) {
    if (name === "generator" || name === "demo-seed") continue;
    assert.equal(s.profiles, undefined, `${name} must start by default`);
  }
});

Deno.test("compose: every bind mount, build context and Dockerfile target exists", async () => {
  const declared = Object.keys(compose.volumes ?? {});
  for (const [name, s] of Object.entries(services)) {
    for (const v of volumes(s)) {
      if (v.bind) {
        assert.ok(
          await exists(composeRelative(v.source)),
          `${name} mounts ${v.source}, which does not exist`,
        );
      } else {
        assert.ok(
          declared.includes(v.source),
          `${name} uses volume ${v.source}, not declared under volumes:`,
        );
      }
    }
  }
  const dockerfiles = new Map<string, Set<string>>();
  for (const [name, s] of stages) {
    const context = composeRelative(s.build.context.replace(/\/?$/, "/"));
    const file = new URL(s.build.dockerfile ?? "Dockerfile", context);
    assert.ok(await exists(file), `${name}: ${file.pathname} missing`);
    if (!dockerfiles.has(file.href)) {
      const text = await Deno.readTextFile(file);
      dockerfiles.set(
        file.href,
        new Set(
          [...text.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((m) => m[1]),
        ),
      );
    }
    assert.ok(
      dockerfiles.get(file.href)!.has(s.build.target),
      `${name}: Dockerfile has no stage '${s.build.target}'`,
    );
  }
});

Deno.test("compose: infrastructure is health-checked and stages wait for it", () => {
  for (const name of ["redpanda", "clickhouse", "grafana"]) {
    assert.ok(services[name].healthcheck?.test, `${name} has no healthcheck`);
  }
  for (const [name, s] of stages) {
    const deps = s.depends_on ?? {};
    const needsKafka = commandArgs(s).some((a) => a.includes("kafka://"));
    if (needsKafka) {
      assert.equal(deps.redpanda?.condition, "service_healthy", name);
      assert.equal(
        deps["topic-init"]?.condition,
        "service_completed_successfully",
        name,
      );
    }
    const needsClickHouse = commandArgs(s).some((a) =>
      /--out=https?:\/\/[^ ]*clickhouse/.test(a)
    );
    if (needsClickHouse) {
      assert.equal(deps.clickhouse?.condition, "service_healthy", name);
    }
  }
  assert.equal(
    services.grafana.depends_on?.clickhouse?.condition,
    "service_healthy",
  );
});

/** `--name=value` or `--name value` from an argument list. */
function flagValues(args: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith(`--${name}=`)) {
      out.push(args[i].slice(name.length + 3));
    } else if (args[i] === `--${name}`) out.push(args[++i]);
  }
  return out;
}

Deno.test("compose: every Kafka topic a stage reads or writes is created by topic-init", async () => {
  const { DEFAULT_TOPICS } = await import(
    "../../stages/shared/io/kafka_config.ts"
  );
  const created = new Set(
    environment(services["topic-init"]).TOPICS.split(/\s+/),
  );
  assert.deepEqual(
    [...created].sort(),
    Object.values(DEFAULT_TOPICS).sort(),
    "topic-init creates exactly the pipeline topics",
  );
  const partitions = Number(environment(services["topic-init"]).PARTITIONS);
  assert.ok(partitions > 1, "topics need partitions to scale out");
  const read = new Set<string>();
  for (const [name, s] of stages) {
    const args = commandArgs(s);
    for (
      const uri of flagValues(args, "in").filter((u) =>
        u.startsWith("kafka://")
      )
    ) {
      const url = new URL(uri);
      const topic = url.pathname.replace(/^\//, "");
      assert.ok(created.has(topic), `${name} reads '${topic}', never created`);
      assert.ok(url.searchParams.get("group"), `${name}: no consumer group`);
      read.add(topic);
    }
    for (
      const uri of flagValues(args, "out").filter((u) =>
        u.startsWith("kafka://")
      )
    ) {
      const path = new URL(uri).pathname.replace(/^\//, "");
      assert.ok(
        path === "" || created.has(path),
        `${name} writes under '${path}', which is not a created topic`,
      );
    }
  }
  for (
    const topic of [
      "events.raw",
      "events.enriched",
      "alerts",
      "events.deadletter",
    ]
  ) {
    assert.ok(read.has(topic), `no stage consumes ${topic}`);
  }
});

Deno.test("compose: ClickHouse URLs, the datasource and init.sql name the same database", async () => {
  const initSql = await Deno.readTextFile(
    new URL("compose/clickhouse/init.sql", root),
  );
  const db = /CREATE DATABASE IF NOT EXISTS (\w+)/.exec(initSql)?.[1];
  assert.ok(db, "init.sql creates no database");
  for (const [name, s] of stages) {
    for (const uri of flagValues(commandArgs(s), "out")) {
      if (!/^https?:/.test(uri)) continue;
      const url = new URL(uri);
      assert.equal(url.hostname, "clickhouse", name);
      assert.equal(url.port, "8123", name);
      assert.equal(url.pathname, `/${db}`, name);
    }
  }
  const ds = parseYaml(
    await Deno.readTextFile(
      new URL("grafana/provisioning/datasources/clickhouse.yml", root),
    ),
  );
  assert.equal(ds.datasources[0].jsonData.defaultDatabase, db);
  const grafanaEnv = environment(services.grafana);
  assert.equal(grafanaEnv.CLICKHOUSE_HOST, "clickhouse");
  assert.equal(
    grafanaEnv.CLICKHOUSE_PASSWORD,
    environment(services.clickhouse).CLICKHOUSE_PASSWORD,
    "Grafana and ClickHouse agree on the password",
  );
});

Deno.test("compose: the detector keeps its anomaly model on a volume its user owns, so a restart loads it", async () => {
  const args = commandArgs(services.detector);
  const [model] = flagValues(args, "model");
  const [out] = flagValues(args, "model-out");
  assert.ok(model, "the detector is given no --model");
  assert.equal(out, model, "--model-out saves where --model loads");
  const dir = model.slice(0, model.lastIndexOf("/"));
  const mount = volumes(services.detector).find((v) => v.target === dir);
  assert.ok(mount, `nothing is mounted at ${dir}`);
  assert.ok(!mount.bind, "a named volume (Docker copies the owner into it)");
  assert.ok(Object.keys(compose.volumes ?? {}).includes(mount.source));
  // The detector image must hold the directory, owned by the distroless
  // nonroot user (65532), for the new volume to take that owner.
  const dockerfile = await Deno.readTextFile(new URL("Dockerfile", root));
  const target = /^FROM\s+\S+\s+AS\s+detector\s*$([\s\S]*?)(?=^FROM\s)/m
    .exec(dockerfile)?.[1] ?? "";
  const copy = /^COPY\s+--from=build\s+--chown=65532:65532\s+(\S+)\s+(\S+)\s*$/m
    .exec(target);
  assert.ok(copy, "the detector target copies no directory owned by nonroot");
  const [, from, to] = copy;
  const created = /RUN mkdir -p (\S+)/.exec(dockerfile)?.[1];
  assert.ok(
    created !== undefined &&
      `${to.replace(/\/$/, "")}/${
          created.slice(from.replace(/\/$/, "").length + 1)
        }` === dir,
    `the image creates ${created} and copies ${from} to ${to}, not ${dir}`,
  );
  assert.match(dockerfile, /USER nonroot/);
});

/** Runs a stage CLI and returns its exit code and output. */
async function runCli(
  target: string,
  args: string[],
): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `cli/sentinel-${target}.ts`, ...args],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "", NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code, out: dec.decode(stdout) + dec.decode(stderr) };
}

const kafkaEnvDoc = await Deno.readTextFile(
  new URL("stages/shared/io/kafka_config.ts", root),
);

for (const [name, s] of stages) {
  const target = s.build.target as string;
  const cli = new URL(`cli/sentinel-${target}.ts`, root);
  Deno.test({
    name:
      `compose: ${name}'s flags and SENTINEL_* variables are accepted by sentinel-${target}`,
    fn: async () => {
      assert.ok(
        await exists(cli),
        `${name} builds target ${target}, but cli/sentinel-${target}.ts is missing`,
      );
      const args = commandArgs(s);
      // A subcommand (e.g. "query") comes first, flags after it.
      const accepted = await runCli(target, [...args, "--help"]);
      assert.equal(
        accepted.code,
        0,
        `sentinel-${target} refused compose's arguments ${
          JSON.stringify(args)
        }:\n${accepted.out}`,
      );
      const control = await runCli(target, [
        ...args,
        "--not-a-sentinel-flag",
        "--help",
      ]);
      assert.equal(
        control.code,
        2,
        `sentinel-${target} does not reject unknown flags before --help, so this check proves nothing:\n${control.out}`,
      );
      const envNames = new Set(
        [...accepted.out.matchAll(/\[env (SENTINEL_[A-Z0-9_]+)\]/g)].map((m) =>
          m[1]
        ),
      );
      assert.ok(envNames.size > 0, "help lists no environment twins");
      for (const key of Object.keys(environment(s))) {
        if (!key.startsWith("SENTINEL_")) continue;
        const kafkaVar = key.startsWith("SENTINEL_KAFKA_") &&
          kafkaEnvDoc.includes(key);
        assert.ok(
          envNames.has(key) || kafkaVar,
          `${name} sets ${key}, which sentinel-${target} does not read`,
        );
      }
    },
  });
}
