/**
 * --replay honours --count, --duration and --rate the way a security
 * engineer replaying a large log expects: --count N replays the first N
 * lines, --duration stops the run, --rate paces lines instead of the
 * original timing, and contradictory pacing flags exit 2.
 */
import assert from "node:assert/strict";
import { gen as run, LINUX_LOG } from "./_run.ts";

/** A seeded dry run, with the events on stdout and the end-of-run summary parsed. */
async function gen(args: string[]) {
  const r = await run(["--dry-run", "--seed", "3", ...args]);
  const summary = r.stderr.split("\n").filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l)).find((l) => l.msg === "summary");
  return {
    code: r.code,
    events: r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l)),
    stderr: r.stderr,
    summary,
  };
}

Deno.test("--replay --count N replays exactly the first N lines of the file", async () => {
  const firstLines = (await Deno.readTextFile(LINUX_LOG)).split(/\r?\n/)
    .slice(0, 25);
  const r = await gen(["--replay", LINUX_LOG, "--count", "25"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.events.map((e) => e.payload), firstLines);
  assert.equal(r.summary.events, 25);
  assert.equal(r.summary.stopped_by, "count");
});

Deno.test("--replay --rate N --duration S replays N × S lines, paced at N lines/s", async () => {
  const r = await gen([
    "--replay",
    LINUX_LOG,
    "--rate",
    "400",
    "--duration",
    "0.05",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.events.length, 20);
  assert.equal(r.summary.requested_rate, 400);
  assert.equal(r.summary.stopped_by, "count");
});

Deno.test("--replay --speed 1 --duration S stops after S seconds instead of waiting for the next line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/hour_apart.log`;
    // An hour between the lines: without the limit the replay waits an hour.
    await Deno.writeTextFile(
      file,
      "Nov 24 10:00:00 web1 sshd[1]: Failed password for root from 203.0.113.7 port 4711 ssh2\n" +
        "Nov 24 11:00:00 web1 sshd[2]: Failed password for root from 203.0.113.7 port 4712 ssh2\n",
    );
    const r = await gen([
      "--replay",
      file,
      "--speed",
      "1",
      "--duration",
      "0.2",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.events.length, 1);
    assert.equal(r.summary.stopped_by, "duration");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--replay without limits still replays the whole file", async () => {
  const r = await gen(["--replay", LINUX_LOG]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.events.length, 2000);
  assert.equal(r.summary.stopped_by, undefined);
});

Deno.test("--replay refuses --speed with --rate, and --start, with exit 2", async () => {
  const both = await gen([
    "--replay",
    LINUX_LOG,
    "--speed",
    "2",
    "--rate",
    "10",
  ]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--speed .* and --rate .* exclude each other/);
  assert.equal(both.events.length, 0);
  const start = await gen([
    "--replay",
    LINUX_LOG,
    "--start",
    "2026-11-24T10:00:00Z",
  ]);
  assert.equal(start.code, 2);
  assert.match(start.stderr, /--start does not apply to --replay/);
});

Deno.test("--help says how --count, --duration and --rate apply to --replay", async () => {
  const help = (await run(["--help"])).stdout;
  assert.match(
    help,
    /--replay FILE \[--speed FACTOR \| --rate N\] \[--count N\]/,
  );
  assert.match(help, /With --replay: at most the first N lines of FILE/);
  assert.match(
    help,
    /With --replay: lines per second instead of the original timing/,
  );
});
