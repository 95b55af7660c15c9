/**
 * Tests that open the embedded chDB store in the test process itself.
 *
 * chDB is one engine per process, bound to one data directory at a time,
 * while `deno test --parallel` runs test files on threads of one process.
 * Two files using in-process stores then meet inside the engine: besides
 * the directory clash, a file's worker tearing down releases engine state
 * another file is still querying (a query on a destroyed connection, seen
 * as a hang in a mutex or a segfault of the whole test run). So each such
 * test runs alone in a child `deno test` process: {@link chdbTest}
 * registers a test that spawns the child, filtered to this one test, and
 * passes when the child ran it and it passed (its output is shown when
 * not); in the child, the same call registers the body itself.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const CHILD_ENV = "SENTINEL_CHDB_TEST_CHILD";
const config = fileURLToPath(new URL("../../deno.json", import.meta.url));
/**
 * A child still running after this long is stopped and the test fails with
 * its output so far (an engine hang must not hang the whole run).
 */
const CHILD_TIMEOUT_MS = 10 * 60_000;

/** `Deno.test(name, fn)`, run in a process of its own (see the module doc). */
export function chdbTest(
  moduleUrl: string,
  name: string,
  fn: (t: Deno.TestContext) => Promise<void>,
): void {
  const child = Deno.env.get(CHILD_ENV);
  if (child !== undefined) {
    // In a child, only the test it was started for runs (and no other
    // chdbTest of the module spawns a process of its own).
    if (child === name) Deno.test(name, fn);
    return;
  }
  Deno.test(name, async () => {
    const deadline = AbortSignal.timeout(CHILD_TIMEOUT_MS);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "test",
        "-A",
        "--no-check", // the parent run has checked this module
        "--config",
        config,
        "--filter",
        // A regex matching this name exactly (a plain filter matches
        // substrings, which could pick up other tests of the module).
        `/^${name.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&")}$/`,
        fileURLToPath(moduleUrl),
      ],
      env: { [CHILD_ENV]: name, NO_COLOR: "1" },
      stdin: "null",
      signal: deadline,
    }).output();
    const text = new TextDecoder().decode(out.stdout) +
      new TextDecoder().decode(out.stderr);
    const summary = text.match(/\| (\d+) passed.* \| (\d+) failed/);
    assert.ok(
      out.code === 0 && summary?.[1] === "1" && summary[2] === "0",
      `child test process (${
        deadline.aborted
          ? `stopped after ${CHILD_TIMEOUT_MS / 60_000} min`
          : `exit ${out.code}`
      }):\n${text.slice(-6000)}`,
    );
  });
}
