/**
 * A chdb: store another process holds (a sink still writing to it) cannot
 * be opened again: chDB allows one process per data directory. `query` and
 * a second sink then say so in one line naming the directory and what to
 * do, instead of chDB's raw "Code: 76 … Cannot lock file …/status" and a
 * `fatal` log line; the holder is not disturbed and stores all its rows.
 */
import assert from "node:assert/strict";
import { stageCommand } from "../../scripts/pipe.ts";
import { chdbDirectoryBusy } from "../../stages/sink/store.ts";
import { EVENTS, ndjson } from "./_fixtures.ts";
import { queryRows, sink } from "./_run.ts";

/** A sink on `dir` whose stdin stays open until `finish` closes it. */
function holdStore(dir: string) {
  const [cmd, ...args] = stageCommand("sentinel-sink");
  const child = new Deno.Command(cmd, {
    args: [...args, "--out", `chdb:${dir}`, "--summary", "none"],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stdin = child.stdin.getWriter();
  return {
    write: (text: string) => stdin.write(new TextEncoder().encode(text)),
    async finish() {
      await stdin.close();
      const out = await child.output();
      return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
    },
  };
}

async function untilBusy(dir: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await chdbDirectoryBusy(dir)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the holding sink never opened ${dir}`);
}

function assertExplained(stderr: string, dir: string) {
  assert.match(stderr, /^error: store chdb:/m, stderr);
  assert.ok(
    stderr.includes(`chdb:${dir} is in use by another process`),
    stderr,
  );
  assert.match(stderr, /one process per data directory/);
  assert.match(stderr, /stop the sentinel-sink writing to it first/);
  assert.doesNotMatch(stderr, /Cannot lock file|Code: 76|"fatal"|\n\s+at /);
  assert.equal(stderr.trim().split("\n").length, 1, stderr);
}

Deno.test("query and a second sink on a chdb: store a sink holds: one-line 'in use' error, exit 1; the holder still stores its rows", async () => {
  const root = await Deno.makeTempDir({ prefix: "sink_busy_" });
  const dir = `${root}/store`;
  const holder = holdStore(dir);
  try {
    await holder.write(ndjson(EVENTS));
    await untilBusy(dir);

    const q = await sink(["query", "--out", `chdb:${dir}`, "SELECT 1"]);
    assert.equal(q.code, 1, q.stderr);
    assert.equal(q.stdout, "");
    assertExplained(q.stderr, dir);

    const second = await sink(["--out", `chdb:${dir}`], ndjson(EVENTS));
    assert.equal(second.code, 1, second.stderr);
    assertExplained(second.stderr, dir);

    // The detector trains from the sink's store: same rule, same words.
    const [cmd, ...args] = stageCommand("sentinel-detector");
    const train = await new Deno.Command(cmd, {
      args: [
        ...args,
        "train",
        "--from-store",
        `chdb:${dir}`,
        "--model",
        `${root}/model.json`,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    const trainErr = new TextDecoder().decode(train.stderr);
    assert.equal(train.code, 1, trainErr);
    assert.ok(
      trainErr.includes(`chdb:${dir} is in use by another process`),
      trainErr,
    );
    assert.doesNotMatch(trainErr, /Cannot lock file|Code: 76/);

    const done = await holder.finish();
    assert.equal(done.code, 0, done.stderr);
    const rows = await queryRows(
      `chdb:${dir}`,
      "SELECT count() AS n FROM sentinel.events FINAL",
    );
    assert.deepEqual(rows, [{ n: EVENTS.length }]);
  } finally {
    await holder.finish().catch(() => {});
    await Deno.remove(root, { recursive: true });
  }
});
