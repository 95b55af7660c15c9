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
  const { code } = await new Deno.Command(npm, {
    // npm install rather than npm ci: see .ci/run for why.
    args: ["install", "--no-audit", "--no-fund"],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    console.error("setup: npm install failed; is Node.js/npm installed?");
    Deno.exit(code);
  }
}
