/**
 * The sentinel-generator binary as a user runs it: exact --count, clear exit
 * 2 for bad --inject values, valid NDJSON on stdout, a summary on stderr,
 * replay of a real log file, and delivery to an HTTP target with failures
 * reflected in the exit code.
 */
import assert from "node:assert/strict";
import { validateRecord } from "../../stages/shared/contracts/mod.ts";
import { cliPath } from "../../scripts/kafka/stage_proc.ts";
import { gen, LINUX_LOG } from "./_run.ts";

const CLI = cliPath("sentinel-generator");

Deno.test("--count is exact, scenarios included, and every line validates", async () => {
  const r = await gen([
    "--dry-run",
    "--rate",
    "0",
    "--count",
    "1234",
    "--seed",
    "9",
    "--inject",
    "brute_force_ssh",
    "--inject",
    "lateral_movement:count=9",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n").filter(Boolean);
  assert.equal(lines.length, 1234);
  const recs = lines.map((l) => JSON.parse(l));
  for (const rec of recs) assert.equal(validateRecord(rec), null);
  assert.equal(
    recs.filter((x) => x.ground_truth?.scenario === "lateral_movement").length,
    9,
  );
  // The end-of-run summary on stderr counts by category and by scenario.
  const summary = r.stderr.split("\n").filter(Boolean).map((l) => JSON.parse(l))
    .find((l) => l.msg === "summary");
  assert.equal(summary.events, 1234);
  assert.equal(summary.by_scenario.brute_force_ssh.emitted, 15);
  assert.equal(
    Object.values(summary.by_category as Record<string, number>).reduce(
      (a, b) => a + b,
    ),
    1234,
  );
});

Deno.test("--rate with --duration emits rate × duration events", async () => {
  const r = await gen(["--dry-run", "--rate", "400", "--duration", "0.5"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.split("\n").filter(Boolean).length, 200);
});

Deno.test("an unknown scenario exits 2 and names the known ones", async () => {
  const r = await gen(["--dry-run", "--count", "5", "--inject", "bruteforce"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown scenario 'bruteforce'/);
  assert.match(r.stderr, /brute_force_ssh, port_scan/);
  assert.equal(r.stdout, "");
});

Deno.test("bad scenario keys and values exit 2 with the reason", async () => {
  const bad = [
    ["port_scan:speed=3", /unknown key 'speed' for port_scan/],
    ["port_scan:source=999.1.1.1", /source=999\.1\.1\.1: expected an IPv4/],
    ["dns_tunneling:count=0", /count=0: expected an integer/],
    ["brute_force_ssh:tenant=nobody", /no such tenant/],
    ["password_spray:at", /expected key=value/],
  ] as const;
  for (const [inject, re] of bad) {
    const r = await gen(["--dry-run", "--count", "5", "--inject", inject]);
    assert.equal(r.code, 2, inject);
    assert.match(r.stderr, re);
  }
});

Deno.test("--help shows usage, scenarios and examples", async () => {
  const r = await gen(["--help"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage:/);
  assert.match(r.stdout, /impossible_travel/);
  assert.match(r.stdout, /Examples:/);
});

Deno.test("--replay wraps raw log lines as RawEvents with transport replay", async () => {
  const r = await gen(["--replay", LINUX_LOG, "--dry-run", "--seed", "1"]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n").filter(Boolean);
  const fileLines = (await Deno.readTextFile(LINUX_LOG)).split("\n").filter((
    l,
  ) => l.trim() !== "");
  assert.equal(lines.length, fileLines.length);
  const first = JSON.parse(lines[0]);
  assert.equal(validateRecord(first), null);
  assert.equal(first.transport, "replay");
  assert.equal(first.payload, fileLines[0].replace(/\r$/, ""));
  assert.match(first.received_at, /-06-14T15:16:01\.000Z$/);
});

Deno.test("--replay keeps RawEvents unchanged and dead-letters broken JSON", async () => {
  const dir = await Deno.makeTempDir();
  const gen1 = await gen([
    "--dry-run",
    "--count",
    "20",
    "--rate",
    "0",
    "--seed",
    "3",
  ]);
  const file = `${dir}/recorded.ndjson`;
  await Deno.writeTextFile(file, gen1.stdout + '{"broken": \n');
  const r = await gen(["--replay", file, "--dry-run"]);
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout.split("\n").filter(Boolean);
  assert.equal(out.length, 21);
  assert.deepEqual(out.slice(0, 20), gen1.stdout.split("\n").filter(Boolean));
  const dl = JSON.parse(out[20]);
  assert.equal(dl.record, "dead_letter");
  assert.equal(dl.reason_code, "invalid_json");
  assert.equal(dl.line, 21);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--replay of JSON logs whose @timestamp has no four-digit year still writes RFC 3339 received_at", async () => {
  const dir = await Deno.makeTempDir();
  const cases: [string, RegExp][] = [
    ["+275760-09-13T00:00:00.000Z", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/],
    ["-000001-01-01T00:00:00.000Z", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/],
    ["9999-12-31T23:59:59.999Z", /^9999-12-31T23:59:59\.999Z$/],
  ];
  for (const [stamp, want] of cases) {
    const file = `${dir}/one.ndjson`;
    await Deno.writeTextFile(
      file,
      JSON.stringify({ "@timestamp": stamp, message: "m" }) + "\n",
    );
    const r = await gen(["--replay", file, "--dry-run"]);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l));
    assert.equal(out.length, 1, stamp);
    assert.equal(validateRecord(out[0]), null, `${stamp}: ${r.stdout}`);
    assert.match(out[0].received_at, want, stamp);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--target posts NDJSON batches per tenant; a refusing ingest gives exit 1", async () => {
  const received: { tenant: string; lines: string[] }[] = [];
  let refuse = false;
  const server = Deno.serve({ port: 0, onListen: () => {} }, async (req) => {
    const body = await req.text();
    if (refuse) return new Response("bad request", { status: 400 });
    received.push({
      tenant: req.headers.get("x-tenant") ?? "",
      lines: body.split("\n").filter(Boolean),
    });
    assert.equal(new URL(req.url).pathname, "/events/batch");
    assert.equal(req.headers.get("content-type"), "application/x-ndjson");
    return Response.json({ event_ids: [] }, { status: 202 });
  });
  const url = `http://127.0.0.1:${server.addr.port}`;
  try {
    const ok = await gen([
      "--target",
      url,
      "--count",
      "600",
      "--rate",
      "0",
      "--batch-size",
      "100",
      "--inject",
      "port_scan",
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    const all = received.flatMap((b) => b.lines.map((l) => JSON.parse(l)));
    assert.equal(all.length, 600);
    assert.ok(received.every((b) => b.lines.length <= 100));
    assert.deepEqual(
      new Set(received.map((b) => b.tenant)),
      new Set(["acme", "globex", "initech"]),
    );
    // Ingest's input envelope: no id or stamps, ground truth kept.
    assert.ok(all.every((e) => e.payload !== undefined && !("event_id" in e)));
    assert.ok(all.some((e) => e.ground_truth?.scenario === "port_scan"));

    refuse = true;
    const bad = await gen(["--target", url, "--count", "50", "--rate", "0"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /HTTP 400/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("--out file:PATH writes the events to a file, nothing to stdout", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/events.ndjson`;
  const r = await gen([
    "--out",
    `file:${file}`,
    "--count",
    "150",
    "--rate",
    "0",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "");
  const lines = (await Deno.readTextFile(file)).split("\n").filter(Boolean);
  assert.equal(lines.length, 150);
  assert.equal(validateRecord(JSON.parse(lines[0])), null);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--replay --speed keeps going through timed lines; --progress prints a progress line", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/auth.log`;
  await Deno.writeTextFile(
    file,
    [
      "Nov 24 10:00:00 web-01 sshd[1]: Failed password for root from 198.51.100.7 port 40000 ssh2",
      "Nov 24 10:00:05 web-01 sshd[2]: Failed password for root from 198.51.100.7 port 40001 ssh2",
      "Nov 24 10:00:10 web-01 sshd[3]: Accepted password for root from 198.51.100.7 port 40002 ssh2",
    ].join("\n") + "\n",
  );
  const r = await gen(["--replay", file, "--speed", "50", "--dry-run"]);
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l));
  assert.equal(out.length, 3);
  assert.match(out[2].received_at, /-11-24T10:00:10\.000Z$/);
  const p = await gen([
    "--dry-run",
    "--rate",
    "1000",
    "--duration",
    "1.6",
    "--progress",
  ]);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stderr, /\rgenerated \d+ events in 1\.\d s/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--tenant-tokens: multi-tenant traffic into an authenticated ingest is accepted for every tenant; a tenant without a token exits 2", async () => {
  const tokens = "acme:acme-secret-0123456789,globex:globex-secret-0123456789";
  const ingest = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../cli/sentinel-ingest.ts", import.meta.url).pathname,
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      "--auth-tokens",
      tokens,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stored = new Response(ingest.stdout).text();
  const reader = ingest.stderr.pipeThrough(new TextDecoderStream())
    .getReader();
  let log = "";
  let port = 0;
  while (port === 0) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`ingest exited: ${log}`);
    log += value;
    const m = /"msg":"listening".*?"port":(\d+)/.exec(log);
    if (m) port = Number(m[1]);
  }
  const drain = (async () => {
    while (!(await reader.read()).done) { /* keep stderr flowing */ }
  })();
  try {
    const url = `http://127.0.0.1:${port}`;
    const common = ["--target", url, "--count", "300", "--rate", "0"];
    const ok = await gen([
      ...common,
      "--tenant",
      "acme",
      "--tenant",
      "globex",
      "--tenant-tokens",
      tokens,
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    // One token for both tenants: ingest refuses the tenant it is not for.
    const one = await gen([
      ...common,
      "--tenant",
      "acme",
      "--tenant",
      "globex",
      "--token",
      "acme-secret-0123456789",
      "--retries",
      "0",
    ]);
    assert.equal(one.code, 1);
    assert.match(one.stderr, /HTTP 403/);
    const missing = await gen([
      ...common,
      "--tenant",
      "acme",
      "--tenant",
      "initech",
      "--tenant-tokens",
      tokens,
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no token for tenant\(s\) initech/);
  } finally {
    ingest.kill("SIGTERM");
    await ingest.status;
    await drain;
  }
  const events = (await stored).split("\n").filter(Boolean).map((l) =>
    JSON.parse(l)
  );
  // The accepted run stored all 300 for both tenants; of the refused run
  // only acme's events (its token's tenant) can have landed.
  const globex = events.filter((e) => e.tenant === "globex").length;
  const acme = events.filter((e) => e.tenant === "acme").length;
  assert.ok(globex > 0 && acme > 0, `acme ${acme}, globex ${globex}`);
  assert.ok(globex + acme >= 300);
  assert.ok(globex < 300, "globex got events only from the run with its token");
  assert.ok(events.length >= 300, `${events.length} events stored`);
});

Deno.test("--tenant-tokens with --replay: records of a tenant without a token are not sent and the run exits 1 saying which", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/replay.ndjson`;
  const raw = (tenant: string, i: number) =>
    JSON.stringify({
      record: "raw_event",
      event_id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      received_at: "2026-11-24T10:00:00.000Z",
      tenant,
      source_name: "fw",
      transport: "file",
      ingest_node: "n",
      payload: "hello",
    });
  await Deno.writeTextFile(
    file,
    [raw("acme", 1), raw("umbrella", 2), raw("acme", 3)].join("\n") + "\n",
  );
  const seen: { tenant: string; auth: string | null; n: number }[] = [];
  const server = Deno.serve({ port: 0, onListen: () => {} }, async (req) => {
    const body = await req.text();
    seen.push({
      tenant: req.headers.get("x-tenant") ?? "",
      auth: req.headers.get("authorization"),
      n: body.split("\n").filter(Boolean).length,
    });
    return Response.json({ event_ids: [] }, { status: 202 });
  });
  try {
    const r = await gen([
      "--replay",
      file,
      "--target",
      `http://127.0.0.1:${server.addr.port}`,
      "--tenant-tokens",
      "acme:acme-secret-0123456789",
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /no token for tenant 'umbrella'/);
    assert.deepEqual(seen, [
      { tenant: "acme", auth: "Bearer acme-secret-0123456789", n: 2 },
    ]);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SIGINT ends a real-time replay while it waits for the next line", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/gap.log`;
  // An hour between the lines: at --speed 1 the replay waits an hour.
  await Deno.writeTextFile(
    file,
    "Nov 24 10:00:00 h sshd[1]: first\nNov 24 11:00:00 h sshd[1]: second\n",
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "--replay", file, "--speed", "1", "--dry-run"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // The first line is out: the replay is now waiting.
  const reader = child.stdout.getReader();
  const first = await reader.read();
  assert.match(new TextDecoder().decode(first.value), /first/);
  child.kill("SIGINT");
  // Still waiting after 30 s means the signal was ignored: end it, and fail.
  const guard = setTimeout(() => child.kill("SIGKILL"), 30_000);
  let rest = "";
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    rest += new TextDecoder().decode(r.value);
  }
  const status = await child.status;
  clearTimeout(guard);
  await child.stderr.cancel();
  await Deno.remove(dir, { recursive: true });
  assert.equal(status.signal, null, "the replay ignored SIGINT");
  assert.equal(status.code, 0);
  assert.doesNotMatch(rest, /second/);
});
