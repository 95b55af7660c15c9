/**
 * The stages' V8 flags (stages/shared/v8_flags.ts) reach every way a stage
 * is started: the compiled binaries, the `deno task <stage>` entries, and
 * the project's own launcher (demo, pipe and Kafka tests, benchmarks).
 */
import assert from "node:assert/strict";
import { BINARIES, compilePlan } from "../../scripts/compile.ts";
import { stageCommand } from "../../scripts/pipe.ts";
import { runStage } from "../../scripts/kafka/stage_proc.ts";
import {
  STAGE_V8_FLAGS,
  STAGE_V8_FLAGS_ARG,
} from "../../stages/shared/v8_flags.ts";

const root = new URL("../../", import.meta.url);

Deno.test("v8 flags: every binary is compiled with the stages' V8 flags", () => {
  for (const step of compilePlan({ targets: ["all"] })) {
    assert.ok(step.args.includes(STAGE_V8_FLAGS_ARG), step.output);
  }
});

Deno.test("v8 flags: each stage's deno task runs its CLI with the same flags", async () => {
  const { tasks } = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", root)),
  ) as { tasks: Record<string, string> };
  for (const bin of BINARIES) {
    const task = tasks[bin.replace(/^sentinel-/, "")];
    assert.equal(task, `deno run -A ${STAGE_V8_FLAGS_ARG} cli/${bin}.ts`);
  }
});

Deno.test("v8 flags: the project's launcher passes them, and this Deno accepts them", async () => {
  const cmd = stageCommand("sentinel-parser");
  assert.ok(cmd.includes(STAGE_V8_FLAGS_ARG));
  // Deno refuses a flag V8 does not know, so a stage that starts proves
  // every flag is spelled right.
  const { code, stdout, stderr } = await runStage("sentinel-parser", [
    "--version",
  ]);
  assert.equal(code, 0, stderr);
  assert.match(new TextDecoder().decode(stdout), /^sentinel-parser /);
  const typo = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--v8-flags=${STAGE_V8_FLAGS.replace("semi-space", "semi-spac")}`,
      new URL("cli/sentinel-parser.ts", root).pathname,
      "--version",
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.notEqual(typo.code, 0, "a misspelled V8 flag must stop the stage");
});
