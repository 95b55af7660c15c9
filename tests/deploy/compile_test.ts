/**
 * `deno task compile` (scripts/compile.ts): the plan for each binary and
 * target, the embedded files, the checksum file, and — when a local denort
 * is available through DENORT_BIN (deno compile otherwise downloads it) — a
 * real compile of one binary that then answers `--version`.
 */
import assert from "node:assert/strict";
import {
  BINARIES,
  compilePlan,
  EMBEDDED,
  EMBEDDED_BY_BINARY,
  mergeChecksums,
  sha256File,
  TARGETS,
} from "../../scripts/compile.ts";
import { VERSION } from "../../stages/shared/version.ts";

const root = new URL("../../", import.meta.url);
const exists = (p: string) =>
  Deno.stat(new URL(p, root)).then(() => true, () => false);

Deno.test("compile: all six binaries for the host by default, each embedding rules, schemas and init.sql", () => {
  const steps = compilePlan();
  assert.deepEqual(steps.map((s) => s.binary), [...BINARIES]);
  for (const s of steps) {
    assert.equal(s.args[0], "compile");
    assert.equal(s.args.at(-1), `cli/${s.binary}.ts`);
    assert.ok(!s.args.includes("--target"));
    for (const p of EMBEDDED) {
      const i = s.args.indexOf(p);
      assert.ok(i > 0 && s.args[i - 1] === "--include", `${s.binary}: ${p}`);
    }
    assert.match(s.output, new RegExp(`^dist/${s.binary}(\\.exe)?$`));
  }
});

Deno.test("compile: --target all gives 6 binaries x 5 platforms with distinct names, .exe on Windows", () => {
  const steps = compilePlan({ targets: ["all"], outDir: "dist/release/" });
  assert.equal(steps.length, BINARIES.length * TARGETS.length);
  assert.equal(new Set(steps.map((s) => s.output)).size, steps.length);
  for (const s of steps) {
    assert.ok(s.target && s.args.includes(s.target));
    assert.equal(s.args[s.args.indexOf("--target") + 1], s.target);
    assert.equal(
      s.output,
      `dist/release/${s.binary}-${s.target}${
        s.target.includes("windows") ? ".exe" : ""
      }`,
    );
  }
  for (
    const t of [
      "x86_64-unknown-linux-gnu",
      "aarch64-unknown-linux-gnu",
      "x86_64-apple-darwin",
      "aarch64-apple-darwin",
      "x86_64-pc-windows-msvc",
    ]
  ) assert.ok(steps.some((s) => s.target === t), t);
});

Deno.test("compile: unknown binaries and targets are refused with the valid names", () => {
  assert.throws(
    () => compilePlan({ binaries: ["sentinel-nope"] }),
    /unknown binary "sentinel-nope"; expected one of sentinel-generator/,
  );
  assert.throws(
    () => compilePlan({ targets: ["riscv64-linux"] }),
    /unknown target "riscv64-linux"; expected "all" or one of/,
  );
  assert.deepEqual(
    compilePlan({ binaries: ["sentinel-parser"], check: false })[0].args
      .includes("--no-check"),
    true,
  );
});

Deno.test("compile: only the parser embeds the GeoIP table (--geoip builtin), the other binaries stay small", () => {
  const geo = EMBEDDED_BY_BINARY["sentinel-parser"] ?? [];
  assert.ok(geo.some((p) => p.endsWith("-ipv4-num.csv")));
  assert.ok(geo.some((p) => p.endsWith("-ipv6-num.csv")));
  for (const s of compilePlan({ targets: ["all"] })) {
    for (const p of geo) {
      const i = s.args.indexOf(p);
      if (s.binary === "sentinel-parser") {
        assert.ok(i > 0 && s.args[i - 1] === "--include", `${s.output}: ${p}`);
      } else assert.equal(i, -1, `${s.output} embeds ${p}`);
    }
  }
});

for (const p of [...EMBEDDED, ...Object.values(EMBEDDED_BY_BINARY).flat()]) {
  Deno.test(`compile: embedded ${p} exists in the repo`, async () => {
    assert.ok(await exists(p), `${p} is embedded but missing`);
  });
}

Deno.test("compile: SHA256SUMS lines are sha256sum -c compatible and merge per file", async () => {
  const tmp = await Deno.makeTempFile();
  await Deno.writeTextFile(tmp, "abc");
  const hex = await sha256File(tmp);
  await Deno.remove(tmp);
  assert.equal(
    hex,
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  const merged = mergeChecksums(
    `${"0".repeat(64)}  sentinel-sink\n${"1".repeat(64)}  sentinel-parser\n`,
    { "sentinel-sink": hex },
  );
  assert.equal(
    merged,
    `${"1".repeat(64)}  sentinel-parser\n${hex}  sentinel-sink\n`,
  );
});

Deno.test("compile: --dry-run prints one deno compile command per binary and builds nothing", async () => {
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "scripts/compile.ts",
      "--dry-run",
      "--target",
      "aarch64-apple-darwin",
      "sentinel-parser",
      "sentinel-sink",
    ],
    cwd: root,
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.equal(code, 0);
  const lines = new TextDecoder().decode(stdout).trim().split("\n");
  assert.equal(lines.length, 2);
  assert.match(
    lines[0],
    / compile .*--target aarch64-apple-darwin .*cli\/sentinel-parser\.ts$/,
  );
  assert.match(lines[1], /--output dist\/sentinel-sink-aarch64-apple-darwin /);
});

const denort = Deno.env.get("DENORT_BIN");
Deno.test({
  name: denort
    ? "compile: sentinel-parser compiles with DENORT_BIN and answers --version"
    : "compile: a real compile and --version (ignored: DENORT_BIN is not set and deno compile cannot download denort offline)",
  ignore: !denort,
  fn: async () => {
    const out = await Deno.makeTempDir({ prefix: "sentinel-compile-" });
    try {
      const built = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "scripts/compile.ts",
          "--no-check",
          "--out-dir",
          out,
          "sentinel-parser",
        ],
        cwd: root,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(built.code, 0, new TextDecoder().decode(built.stderr));
      const exe = `${out}/sentinel-parser${
        Deno.build.os === "windows" ? ".exe" : ""
      }`;
      const ran = await new Deno.Command(exe, {
        args: ["--version"],
        stdout: "piped",
      }).output();
      assert.equal(ran.code, 0);
      assert.equal(
        new TextDecoder().decode(ran.stdout).trim(),
        `sentinel-parser ${VERSION}`,
      );
      const sums = await Deno.readTextFile(`${out}/SHA256SUMS`);
      assert.equal(sums, `${await sha256File(exe)}  sentinel-parser\n`);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
