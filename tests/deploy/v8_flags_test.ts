/**
 * The stages' V8 flags (stages/shared/v8_flags.ts) reach every way a stage
 * is started: the compiled binaries, the `deno task <stage>` entries, and
 * the project's own launcher (demo, pipe and Kafka tests, benchmarks).
 */
import assert from "node:assert/strict";
import { BINARIES, compilePlan } from "../../scripts/compile.ts";
import { stageCommand } from "../../scripts/pipe.ts";
import { runStage } from "../../scripts/kafka/stage_proc.ts";
import { stageV8Flags, stageV8FlagsArg } from "../../stages/shared/v8_flags.ts";

const root = new URL("../../", import.meta.url);

Deno.test("v8 flags: every binary is compiled with its V8 flags; the detector and the sink also bound heap growth", () => {
  for (const step of compilePlan({ targets: ["all"] })) {
    assert.ok(step.args.includes(stageV8FlagsArg(step.binary)), step.output);
    assert.match(stageV8Flags(step.binary), /--max-semi-space-size=32/);
  }
  assert.match(stageV8Flags("sentinel-detector"), /--heap-growing-percent=/);
  assert.match(stageV8Flags("sentinel-sink"), /--heap-growing-percent=50/);
  assert.doesNotMatch(stageV8Flags("sentinel-parser"), /heap-growing/);
});

Deno.test("v8 flags: each stage's deno task runs its CLI with the same flags", async () => {
  const { tasks } = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", root)),
  ) as { tasks: Record<string, string> };
  for (const bin of BINARIES) {
    const task = tasks[bin.replace(/^sentinel-/, "")];
    assert.equal(task, `deno run -A ${stageV8FlagsArg(bin)} cli/${bin}.ts`);
  }
});

Deno.test("v8 flags: the project's launcher passes them, and this Deno accepts them", async () => {
  for (const bin of ["sentinel-parser", "sentinel-detector"]) {
    assert.ok(stageCommand(bin).includes(stageV8FlagsArg(bin)), bin);
    // Deno refuses a flag V8 does not know, so a stage that starts proves
    // every flag is spelled right.
    const { code, stdout, stderr } = await runStage(bin, ["--version"]);
    assert.equal(code, 0, stderr);
    assert.match(new TextDecoder().decode(stdout), new RegExp(`^${bin} `));
  }
  const typo = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--v8-flags=${
        stageV8Flags("sentinel-detector").replace("growing", "growin")
      }`,
      new URL("cli/sentinel-parser.ts", root).pathname,
      "--version",
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.notEqual(typo.code, 0, "a misspelled V8 flag must stop the stage");
  assert.match(
    new TextDecoder().decode(typo.stderr),
    /did not recognize flag '--heap-growin-percent=75'/,
  );
});
