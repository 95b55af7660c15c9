/**
 * sentinel-detector as a process: `rules lint`, `rules test`, the detection
 * run over NDJSON, and SIGHUP reload (a bad reload keeps the running rules).
 */
import assert from "node:assert/strict";
import { event } from "./_helpers.ts";
import { detector as run } from "./_run.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;
const DENO = Deno.execPath();
const CLI = `${ROOT}cli/sentinel-detector.ts`;

const SUDO_RULE = `title: Sudo Used
id: 50000000-0000-4000-8000-000000000001
logsource: {}
detection:
  sel: { action: sudo }
  condition: sel
level: medium
`;
const SU_RULE = SUDO_RULE.replace("Sudo Used", "Su Used").replace(
  "-000000000001",
  "-000000000002",
)
  .replace("action: sudo", "action: su");

Deno.test("cli: rules lint and rules test pass on the project pack", async () => {
  const lint = await run(["rules", "lint", "sigma"]);
  assert.equal(lint.code, 0, lint.stdout + lint.stderr);
  assert.match(lint.stdout, /0 rejected/);
  const test = await run(["rules", "test", "sigma"]);
  assert.equal(test.code, 0, test.stdout + test.stderr);
  assert.match(test.stdout, /\d+ samples passed, 0 failed/);
});

Deno.test("cli: rules lint names the file, rule id and reason of a rejected rule", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/good.yml`, SUDO_RULE);
    await Deno.writeTextFile(
      `${dir}/bad.yml`,
      SU_RULE.replace("action: su", "action|nope: su"),
    );
    const r = await run(["rules", "lint", dir]);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /REJECTED .*bad\.yml \[50000000-0000-4000-8000-000000000002\].*unknown modifier 'nope'/,
    );
    assert.match(
      r.stdout,
      /1 rules, 0 correlations, 0 filters compiled; 1 rejected/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: detects over NDJSON, forwards events, exit 0", async () => {
  const lines = [
    ...Array.from({ length: 12 }, (_, i) =>
      event({
        ts: `2026-11-24T10:00:${String(i).padStart(2, "0")}.000Z`,
        category: "auth",
        action: "ssh_login",
        outcome: "failure",
        format: "rfc3164",
        source: { ip: "203.0.113.9" },
        // Brute force counts failures per source and account.
        user: { name: "root" },
      })),
    event({
      ts: "2026-11-24T10:00:30.000Z",
      category: "auth",
      action: "ssh_login",
      outcome: "success",
      source: { ip: "203.0.113.9" },
    }),
  ].map((e) => JSON.stringify(e)).join("\n") + "\nnot json\n";
  const r = await run([
    "--rules",
    "sigma",
    "--anomaly",
    "off",
    "--log-level",
    "warn",
  ], lines);
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(out.filter((x) => x.record === "enriched_event").length, 13);
  assert.equal(out.filter((x) => x.record === "dead_letter").length, 1);
  const titles = out.filter((x) => x.record === "alert").map((x) =>
    x.rule.title
  );
  assert.deepEqual(titles, [
    "SSH Brute Force Attempts",
    "SSH Brute Force Followed By Successful Login",
  ]);
});

Deno.test("cli: nested-quantifier regexes run on the linear-time engine; back-references stay rejected", async () => {
  const dir = await Deno.makeTempDir();
  const rule = (id: string, title: string, re: string) =>
    SUDO_RULE.replace("Sudo Used", title)
      .replace("-000000000001", id)
      .replace(
        "sel: { action: sudo }",
        () => `sel:\n    CommandLine|re: '${re}'`,
      );
  try {
    // SigmaHQ's Invoke-Obfuscation VAR+ shape, and the textbook ReDoS one.
    await Deno.writeTextFile(
      `${dir}/obfuscation.yml`,
      rule(
        "-000000000011",
        "Obfuscated SET",
        String
          .raw`cmd.{0,5}(?:/c|/r)\s*"set\s[a-zA-Z]{3,6}.*(?:\{\d\}){1,}.*-f(?:.*\)){1,}.*"`,
      ),
    );
    await Deno.writeTextFile(
      `${dir}/redos.yml`,
      rule("-000000000012", "Repeated A", "^(a+)+$"),
    );
    await Deno.writeTextFile(
      `${dir}/backref.yml`,
      rule("-000000000013", "Doubled Word", String.raw`(\w+) \1`),
    );
    const lint = await run(["rules", "lint", dir]);
    assert.equal(lint.code, 1);
    assert.match(lint.stdout, /2 rules, 0 correlations, 0 filters compiled/);
    assert.match(
      lint.stdout,
      /REJECTED .*backref\.yml .*back-references are not allowed; V8's linear-time engine cannot run it either/,
    );
    const cmd = (command_line: string) =>
      JSON.stringify(event({ process: { command_line } }));
    const lines = [
      cmd(
        String
          .raw`cmd /c "set abcd=iex&& powershell ("{1}{0}" -f 'a','b') ; (x)"`,
      ),
      cmd("a".repeat(64)),
      // Exponential for a backtracking engine (2^64 paths): must not stall.
      cmd("a".repeat(64) + "!"),
      cmd(
        `cmd /c "set abcd ${"{1}".repeat(500)} -f${")".repeat(4000)}${
          "x".repeat(3000)
        }`,
      ),
    ].join("\n") + "\n";
    const r = await run(
      ["--rules", dir, "--anomaly", "off", "--log-level", "error"],
      lines,
    );
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(out.filter((x) => x.record === "enriched_event").length, 4);
    const titles = out.filter((x) => x.record === "alert").map((x) =>
      x.rule.title
    ).sort();
    assert.deepEqual(titles, ["Obfuscated SET", "Repeated A"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: unknown rules path exits 2", async () => {
  const r = await run(["--rules", "/nonexistent/rules", "--anomaly", "off"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /not found/);
});

Deno.test("cli: SIGHUP reloads rules; a bad reload keeps the running rules", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/rule.yml`, SUDO_RULE);
  const p = new Deno.Command(DENO, {
    args: [
      "run",
      "-A",
      CLI,
      "--rules",
      dir,
      "--anomaly",
      "off",
      "--suppress-window",
      "0s",
    ],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const errDone = (async () => {
    for await (const chunk of p.stderr.pipeThrough(new TextDecoderStream())) {
      stderr += chunk;
    }
  })();
  let stdout = "";
  const outDone = (async () => {
    for await (const chunk of p.stdout.pipeThrough(new TextDecoderStream())) {
      stdout += chunk;
    }
  })();
  const until = async (re: RegExp) => {
    for (let i = 0; i < 200 && !re.test(stderr); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(stderr, re);
  };
  const w = p.stdin.getWriter();
  const send = (e: Record<string, unknown>) =>
    w.write(new TextEncoder().encode(JSON.stringify(event(e)) + "\n"));
  try {
    await until(/rules loaded/);
    await send({ action: "sudo" });
    await Deno.writeTextFile(`${dir}/rule.yml`, "title: [broken\n");
    p.kill("SIGHUP");
    await until(/rule reload failed; keeping the running rules/);
    await send({ action: "sudo" });
    await Deno.writeTextFile(`${dir}/rule.yml`, SU_RULE);
    p.kill("SIGHUP");
    await until(/rules reloaded/);
    await send({ action: "sudo" });
    await send({ action: "su" });
    await w.close();
    const status = await p.status;
    await errDone;
    await outDone;
    assert.equal(status.code, 0, stderr);
    const titles = stdout.trim().split("\n").map((l) => JSON.parse(l)).filter((
      x,
    ) => x.record === "alert")
      .map((x) => x.rule.title);
    assert.deepEqual(titles, ["Sudo Used", "Sudo Used", "Su Used"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
