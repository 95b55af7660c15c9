/**
 * `deno task setup`: installs the npm packages (chdb, kafkajs, ajv, hono,
 * yaml, @clickhouse/client and the pinned Deno) with `npm install` when
 * node_modules is missing or older than package-lock.json. Imports nothing
 * from npm itself, so it runs on a fresh clone.
 */
const root = new URL("..", import.meta.url).pathname;

async function mtime(path: string): Promise<number | null> {
  try {
    return (await Deno.stat(path)).mtime?.getTime() ?? 0;
  } catch {
    return null;
  }
}

const lock = await mtime(`${root}package-lock.json`);
const installed = await mtime(`${root}node_modules/.package-lock.json`);
if (installed === null || (lock !== null && lock > installed)) {
  console.error(
    "setup: installing npm packages (npm install, honouring package-lock.json)…",
  );
  const npm = Deno.build.os === "windows" ? "npm.cmd" : "npm";
  // What to install, said the same way whether npm is missing or failed.
  const hint =
    "setup: the stages import npm packages (chdb, kafkajs, ajv, hono, yaml, " +
    "@clickhouse/client), and npm installs them: install Node.js 20+ " +
    "(it comes with npm), then run 'deno task setup' again.";
  let code: number;
  try {
    ({ code } = await new Deno.Command(npm, {
      // npm install rather than npm ci: see .ci/run for why.
      args: ["install", "--no-audit", "--no-fund"],
      cwd: root,
      stdout: "inherit",
      stderr: "inherit",
    }).output());
  } catch (e) {
    // Deno without Node.js: no npm on PATH. A friendly message, not a stack.
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    console.error(`setup: '${npm}' not found on PATH.\n${hint}`);
    Deno.exit(1);
  }
  if (code !== 0) {
    console.error(`setup: npm install failed (exit ${code}).\n${hint}`);
    Deno.exit(code);
  }
}
