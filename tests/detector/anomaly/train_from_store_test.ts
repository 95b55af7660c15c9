/**
 * `sentinel-detector train --from-store chdb:DIR`: the anomaly model trains on
 * what the sink stored, and the detector accepts the model it wrote.
 */
import assert from "node:assert/strict";
import { runPipe } from "../../../scripts/pipe.ts";

const root = new URL("../../../", import.meta.url).pathname;
const dec = new TextDecoder();

Deno.test("train --from-store reads the sink's events and writes a model the detector loads", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sentinel-train-store-" });
  try {
    const stored = await runPipe([
      {
        bin: "sentinel-generator",
        args: [
          "--rate",
          "0",
          "--count",
          "3000",
          "--seed",
          "4",
          "--start",
          "2026-11-24T00:00:00Z",
          "--log-level",
          "warn",
        ],
      },
      { bin: "sentinel-parser", args: ["--log-level", "warn"] },
      {
        bin: "sentinel-sink",
        args: [
          "--out",
          `chdb:${dir}/store`,
          "--summary",
          "none",
          "--log-level",
          "warn",
        ],
      },
    ]);
    for (const s of stored.stages) {
      assert.equal(s.code, 0, s.stderr.slice(-1500));
    }

    const model = `${dir}/model.json`;
    const train = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        "cli/sentinel-detector.ts",
        "train",
        "--from-store",
        `chdb:${dir}/store`,
        "--model",
        model,
      ],
      cwd: root,
    }).output();
    const log = dec.decode(train.stderr);
    assert.equal(train.code, 0, log);
    const written = log.split("\n").filter(Boolean).map((l) => JSON.parse(l))
      .find((l) => l.msg === "anomaly model written");
    assert.equal(written?.events, 3000, "trained on every stored event");
    const m = JSON.parse(await Deno.readTextFile(model));
    assert.ok(m.model_version && m.threshold > 0 && m.threshold <= 1);

    const run = await runPipe([{
      bin: "sentinel-detector",
      args: ["--rules", "./sigma", "--model", model, "--log-level", "warn"],
    }], {
      input: new TextEncoder().encode(""),
    });
    assert.equal(run.stages[0].code, 0, run.stages[0].stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train --from-store on a directory with no store is a usage error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        "cli/sentinel-detector.ts",
        "train",
        "--from-store",
        `chdb:${dir}/none`,
        "--model",
        `${dir}/m.json`,
      ],
      cwd: root,
    }).output();
    assert.equal(r.code, 2, dec.decode(r.stderr));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
