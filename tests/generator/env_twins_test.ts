/**
 * Environment twins vs flags in sentinel-generator, as compose uses them:
 * its generator service exports SENTINEL_RATE/SENTINEL_DURATION (synthetic
 * pacing) and SENTINEL_TARGET, and `docker compose run generator ARGS`
 * replaces only the command. A replay given on the command line is then
 * neither refused with --speed nor paced and cut short by the synthetic
 * twins; flags still pace and limit it; an output flag beats the twin of
 * the other output.
 */
import assert from "node:assert/strict";
import { environment, loadCompose } from "../deploy/compose_file.ts";

const CLI = new URL("../../cli/sentinel-generator.ts", import.meta.url)
  .pathname;

/** Six sshd lines stamped the same second: --speed never waits. */
const AUTH_LOG_LINES = Array.from(
  { length: 6 },
  (_, i) =>
    `Nov 24 10:00:00 bastion-01 sshd[${
      900 + i
    }]: Failed password for root from 203.0.113.${i + 1} port 22 ssh2`,
);

async function withAuthLog(fn: (path: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/auth.log`;
    await Deno.writeTextFile(path, AUTH_LOG_LINES.join("\n") + "\n");
    await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs the CLI with exactly `env` (plus PATH), as a container would. */
async function gen(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "--seed", "5", ...args],
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "", NO_COLOR: "1", ...env },
  }).output();
  const dec = new TextDecoder();
  const stderr = dec.decode(out.stderr);
  const logs = stderr.split("\n").filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
  return {
    code: out.code,
    events: dec.decode(out.stdout).split("\n").filter(Boolean).map((l) =>
      JSON.parse(l)
    ),
    stderr,
    summary: logs.find((l) => l.msg === "summary"),
    infos: logs.filter((l) => l.level === "info").map((l) => l.msg as string),
  };
}

/** A stand-in for sentinel-ingest that keeps every posted line. */
function fakeIngest() {
  const lines: Record<string, unknown>[] = [];
  const server = Deno.serve({ port: 0, onListen: () => {} }, async (req) => {
    for (const l of (await req.text()).split("\n").filter(Boolean)) {
      lines.push(JSON.parse(l));
    }
    return Response.json({ event_ids: [] }, { status: 202 });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, lines, server };
}

/** The generator service's environment, compose defaults applied. */
async function composeGeneratorEnv(): Promise<Record<string, string>> {
  const compose = await loadCompose();
  return environment(compose.services.generator);
}

Deno.test("compose: `run generator --replay F --speed N` replays the whole file into ingest despite SENTINEL_RATE/SENTINEL_DURATION", async () => {
  const env = await composeGeneratorEnv();
  // What the reviewer hit: compose exports the synthetic pacing.
  assert.ok(env.SENTINEL_RATE && env.SENTINEL_DURATION, JSON.stringify(env));
  assert.ok(env.SENTINEL_TARGET, "compose's target must survive a new command");
  const ingest = fakeIngest();
  try {
    await withAuthLog(async (log) => {
      const r = await gen(["--replay", log, "--speed", "60"], {
        ...env,
        SENTINEL_TARGET: ingest.url,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(ingest.lines.map((e) => e.payload), AUTH_LOG_LINES);
      assert.equal(r.summary.requested_rate, "original timing");
      assert.equal(r.summary.stopped_by, undefined);
      assert.ok(
        r.infos.some((m) =>
          m.includes("SENTINEL_RATE, SENTINEL_DURATION ignored")
        ),
        r.stderr,
      );
    });
  } finally {
    await ingest.server.shutdown();
  }
});

Deno.test("--replay is not paced or capped by SENTINEL_RATE, SENTINEL_DURATION or SENTINEL_COUNT", async () => {
  await withAuthLog(async (log) => {
    // Honoured, these would allow 1 × 2 = 2 lines, or 1 with the count.
    const r = await gen(["--replay", log, "--dry-run"], {
      SENTINEL_RATE: "1",
      SENTINEL_DURATION: "2",
      SENTINEL_COUNT: "1",
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.events.length, AUTH_LOG_LINES.length);
    assert.equal(r.summary.requested_rate, "unbounded");
  });
});

Deno.test("--rate, --duration and --count given as flags still pace and limit a replay under the twins", async () => {
  const env = { SENTINEL_RATE: "50", SENTINEL_DURATION: "60" };
  await withAuthLog(async (log) => {
    const counted = await gen(
      ["--replay", log, "--dry-run", "--count", "2"],
      env,
    );
    assert.equal(counted.code, 0, counted.stderr);
    assert.equal(counted.events.length, 2);
    assert.equal(counted.summary.stopped_by, "count");
    const paced = await gen([
      "--replay",
      log,
      "--dry-run",
      "--rate",
      "1000",
      "--duration",
      "0.003",
    ], env);
    assert.equal(paced.code, 0, paced.stderr);
    assert.equal(paced.events.length, 3);
    assert.equal(paced.summary.requested_rate, 1000);
    // --speed with a --rate flag is still a contradiction.
    const both = await gen(
      ["--replay", log, "--dry-run", "--rate", "10", "--speed", "2"],
      env,
    );
    assert.equal(both.code, 2);
  });
});

Deno.test("synthetic runs still take SENTINEL_RATE and SENTINEL_COUNT, and ignore SENTINEL_SPEED", async () => {
  const r = await gen(["--dry-run"], {
    SENTINEL_RATE: "0",
    SENTINEL_COUNT: "7",
    SENTINEL_SPEED: "60",
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.events.length, 7);
  assert.equal(r.summary.requested_rate, "unbounded");
  // The flag itself without --replay is still a usage error.
  const flag = await gen(["--dry-run", "--count", "1", "--speed", "2"], {});
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /--speed only applies to --replay/);
});

Deno.test("an output flag beats the other output's twin; two flags, or two twins, still conflict", async () => {
  await withAuthLog(async (log) => {
    const unreachable = { SENTINEL_TARGET: "http://127.0.0.1:9" };
    const dry = await gen(["--replay", log, "--dry-run"], unreachable);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.events.length, AUTH_LOG_LINES.length);
    assert.equal(dry.summary.output, "stdout");

    const ingest = fakeIngest();
    try {
      const dir = await Deno.makeTempDir();
      const r = await gen(["--replay", log, "--target", ingest.url], {
        SENTINEL_OUT: `file:${dir}/unused.ndjson`,
      });
      const created = await Deno.stat(`${dir}/unused.ndjson`).then(
        () => true,
        () => false,
      );
      await Deno.remove(dir, { recursive: true });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(created, false, "SENTINEL_OUT must not be opened");
      assert.equal(ingest.lines.length, AUTH_LOG_LINES.length);
    } finally {
      await ingest.server.shutdown();
    }

    const twins = await gen(["--replay", log], {
      ...unreachable,
      SENTINEL_DRY_RUN: "true",
    });
    assert.equal(twins.code, 2);
    const flags = await gen(
      ["--replay", log, "--dry-run", "--target", "http://127.0.0.1:9"],
      {},
    );
    assert.equal(flags.code, 2);
    assert.match(flags.stderr, /--target cannot be combined/);
  });
});
