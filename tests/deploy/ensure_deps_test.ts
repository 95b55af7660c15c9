/**
 * `deno task setup` (scripts/ensure_deps.ts, which `deno task demo` and
 * `deno task test` run first) on a machine with Deno but no Node.js: it
 * says what to install and exits non-zero, instead of an uncaught
 * "NotFound: Failed to spawn 'npm'" with a stack. A failing npm gets the
 * same advice.
 *
 * The script runs from a copy in a temp dir holding a package-lock.json
 * and no node_modules (a fresh clone), with PATH set to a dir that holds
 * only deno (and, in the second test, a fake npm).
 */
import assert from "node:assert/strict";

const SCRIPT = new URL("../../scripts/ensure_deps.ts", import.meta.url);

/** Runs the setup script in a fresh-clone-like dir with PATH = only `bin`. */
async function setupWithPath(
  fill: (bin: string) => Promise<void>,
): Promise<{ code: number; stderr: string }> {
  const dir = await Deno.makeTempDir({ prefix: "ensure_deps_" });
  try {
    await Deno.mkdir(`${dir}/scripts`);
    await Deno.mkdir(`${dir}/bin`);
    await Deno.copyFile(SCRIPT, `${dir}/scripts/ensure_deps.ts`);
    await Deno.writeTextFile(`${dir}/package-lock.json`, "{}\n");
    await Deno.symlink(Deno.execPath(), `${dir}/bin/deno`);
    await fill(`${dir}/bin`);
    const { code, stderr } = await new Deno.Command(`${dir}/bin/deno`, {
      args: [
        "run",
        "--no-config",
        "--allow-read",
        "--allow-run",
        `${dir}/scripts/ensure_deps.ts`,
      ],
      cwd: dir,
      clearEnv: true,
      env: { PATH: `${dir}/bin`, HOME: dir, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code, stderr: new TextDecoder().decode(stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name:
    "setup without npm on PATH: says to install Node.js (npm), exits 1, no stack",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const r = await setupWithPath(async () => {});
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /'npm' not found on PATH/);
    assert.match(r.stderr, /install Node\.js 20\+ \(it comes with npm\)/);
    assert.doesNotMatch(r.stderr, /Uncaught|NotFound|at file:|\.ts:\d+/);
  },
});

Deno.test({
  name: "setup when npm install fails: the same advice, npm's exit code",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const r = await setupWithPath(async (bin) => {
      await Deno.writeTextFile(
        `${bin}/npm`,
        "#!/bin/sh\necho 'npm ERR! simulated' >&2\nexit 3\n",
      );
      await Deno.chmod(`${bin}/npm`, 0o755);
    });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /npm install failed \(exit 3\)/);
    assert.match(r.stderr, /install Node\.js 20\+ \(it comes with npm\)/);
    assert.doesNotMatch(r.stderr, /Uncaught/);
  },
});
