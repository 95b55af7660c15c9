import assert from "node:assert/strict";
import {
  type CommandSpec,
  ExitRequest,
  intOption,
  parseCommand,
  UsageError,
} from "../../stages/shared/cli.ts";

const spec: CommandSpec = {
  name: "sentinel-test",
  summary: "a test binary",
  usage: ["sentinel-test [options]"],
  options: {
    in: { type: "string", default: "-", description: "Input." },
    "max-line-bytes": { type: "string", description: "Limit." },
    rules: { type: "string", multiple: true, description: "Rules." },
  },
  examples: ["sentinel-test --in file:x.ndjson"],
};
const noEnv = () => undefined;

Deno.test("unknown flags are a usage error that names the flag", () => {
  assert.throws(
    () => parseCommand(spec, ["--nope"], noEnv),
    (e) => e instanceof UsageError && /--nope/.test(e.message),
  );
});

Deno.test("flags beat their environment twins, which beat defaults", () => {
  const env = (n: string) =>
    ({
      SENTINEL_IN: "file:env.ndjson",
      SENTINEL_MAX_LINE_BYTES: "2048",
    } as Record<string, string>)[n];
  assert.equal(parseCommand(spec, [], env).values.in, "file:env.ndjson");
  assert.equal(parseCommand(spec, ["--in", "-"], env).values.in, "-");
  assert.equal(parseCommand(spec, [], noEnv).values.in, "-");
  assert.equal(
    intOption(parseCommand(spec, [], env).values, "max-line-bytes", { min: 1 }),
    2048,
  );
});

Deno.test("--help prints usage with examples and env names; --version prints the version", () => {
  try {
    parseCommand(spec, ["--help"], noEnv);
    assert.fail("expected ExitRequest");
  } catch (e) {
    assert.ok(e instanceof ExitRequest);
    assert.equal(e.code, 0);
    assert.match(e.output!, /Usage:\n {2}sentinel-test/);
    assert.match(e.output!, /SENTINEL_MAX_LINE_BYTES/);
    assert.match(e.output!, /Examples:/);
  }
  assert.throws(
    () => parseCommand(spec, ["-V"], noEnv),
    (e) => e instanceof ExitRequest && /^sentinel-test \d/.test(e.output!),
  );
});

Deno.test("bad numbers and log levels are rejected with the value in the message", () => {
  assert.throws(
    () => intOption({ "max-line-bytes": "12k" }, "max-line-bytes"),
    /--max-line-bytes: expected an integer, got '12k'/,
  );
  assert.throws(
    () => parseCommand(spec, ["--log-level", "loud"], noEnv),
    /--log-level: expected one of/,
  );
});
