import assert from "node:assert/strict";
import {
  type CommandSpec,
  ExitRequest,
  intOption,
  parseCommand,
  splitEnvList,
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

const injectSpec: CommandSpec = {
  name: "sentinel-test",
  summary: "a test binary with a NAME:k=v,k=v list",
  usage: ["sentinel-test [--inject NAME[:k=v,...]]..."],
  options: {
    inject: { type: "string", multiple: true, description: "Scenarios." },
    tenant: { type: "string", multiple: true, description: "Tenants." },
  },
  examples: [],
};
const envOf = (vars: Record<string, string>) => (n: string) => vars[n];

Deno.test("a repeatable flag's env twin keeps the commas of a NAME:k=v,k=v value", () => {
  const values = (v: string) =>
    parseCommand(injectSpec, [], envOf({ SENTINEL_INJECT: v })).values.inject;
  // One scenario with two keys: the comma before source= is part of it.
  assert.deepEqual(values("port_scan:at=20,source=45.155.205.9"), [
    "port_scan:at=20,source=45.155.205.9",
  ]);
  // Several scenarios with options: ';' or newlines separate them.
  assert.deepEqual(
    values("port_scan:at=20,source=1.2.3.4;password_spray:via=ssh,count=20"),
    ["port_scan:at=20,source=1.2.3.4", "password_spray:via=ssh,count=20"],
  );
  assert.deepEqual(values("brute_force_ssh\nport_scan:at=5,span=10\n"), [
    "brute_force_ssh",
    "port_scan:at=5,span=10",
  ]);
  // A space after the comma (as people write lists) does not split either.
  assert.deepEqual(values("port_scan:at=20, source=45.155.205.9"), [
    "port_scan:at=20, source=45.155.205.9",
  ]);
  // A comma before a bare NAME still starts the next value.
  assert.deepEqual(values("port_scan:at=20,source=1.2.3.4,brute_force_ssh"), [
    "port_scan:at=20,source=1.2.3.4",
    "brute_force_ssh",
  ]);
});

Deno.test("simple comma lists in env twins still split; \\, is a literal comma", () => {
  const tenants = (v: string) =>
    parseCommand(injectSpec, [], envOf({ SENTINEL_TENANT: v })).values.tenant;
  assert.deepEqual(tenants("acme,globex"), ["acme", "globex"]);
  assert.deepEqual(tenants("acme, globex ,"), ["acme", "globex"]);
  assert.deepEqual(tenants("acme;globex"), ["acme", "globex"]);
  assert.deepEqual(splitEnvList("a\\,b,c\\;d;e"), ["a,b", "c;d", "e"]);
  // The flag still wins over its twin.
  assert.deepEqual(
    parseCommand(
      injectSpec,
      ["--tenant", "initech"],
      envOf({ SENTINEL_TENANT: "acme,globex" }),
    ).values.tenant,
    ["initech"],
  );
});

Deno.test("--help of a command with repeatable flags explains the env separators", () => {
  try {
    parseCommand(injectSpec, ["--help"], noEnv);
    assert.fail("expected ExitRequest");
  } catch (e) {
    assert.ok(e instanceof ExitRequest);
    assert.match(e.output!, /separate values with ';' or newlines/);
    assert.match(e.output!, /\\, and \\; are a literal comma/);
  }
  // Not shown where no flag is repeatable.
  try {
    parseCommand({ ...spec, options: { in: spec.options.in } }, ["-h"], noEnv);
  } catch (e) {
    assert.ok(e instanceof ExitRequest);
    assert.doesNotMatch(e.output!, /separate values/);
  }
});
