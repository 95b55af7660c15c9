/**
 * `sentinel-detector train --model FILE` checks FILE's directory before it
 * reads or trains on anything: a typo in the path exits 2 at once with the
 * path in the message, instead of training for minutes and then failing to
 * save (exit 1, "fatal"). The check is the one `--model-out` uses.
 */
import assert from "node:assert/strict";
import { at, event } from "./_events.ts";
import { detector as run } from "../sigma/_run.ts";

/** A small history the trainer accepts: without the check it trains on it. */
function history(n: number): string {
  const base = "2026-03-01T10:00:00.000Z";
  let out = "";
  for (let i = 0; i < n; i++) {
    out += JSON.stringify(event(at(base, i), {
      host: { name: `web-${i % 3}` },
    })) + "\n";
  }
  return out;
}

Deno.test("train --model in a missing directory: exit 2 before training, naming --model and the directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "train_model_path_" });
  try {
    const input = `${dir}/history.ndjson`;
    await Deno.writeTextFile(input, history(64));
    const model = `${dir}/no_such_dir/model.json`;
    const r = await run([
      "train",
      "--in",
      input,
      "--model",
      model,
      "--trees",
      "4",
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `^error: --model ${model}: directory ${dir}/no_such_dir does not exist$`,
        "m",
      ),
    );
    // Nothing was trained (no log of it) and nothing crashed.
    assert.doesNotMatch(r.stderr, /fatal|anomaly model written/);
    // The same history and a writable path train fine: the input was not the problem.
    const ok = await run([
      "train",
      "--in",
      input,
      "--model",
      `${dir}/model.json`,
      "--trees",
      "4",
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(Deno.statSync(`${dir}/model.json`).isFile);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train --model naming a directory: exit 2 before reading the input", async () => {
  const dir = await Deno.makeTempDir({ prefix: "train_model_path_" });
  try {
    // stdin holds a history; the check comes before it is read.
    const r = await run(["train", "--model", dir, "--trees", "4"], history(64));
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--model .*: is a directory, not a file/);
    assert.doesNotMatch(r.stderr, /fatal|anomaly model written/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
