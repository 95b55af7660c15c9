/**
 * `deno task setup`: installs the npm packages (chdb, kafkajs, ajv, hono,
 * yaml, @clickhouse/client and the pinned Deno) with `npm ci` when
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
  console.error("setup: installing npm packages (npm ci)…");
  const npm = Deno.build.os === "windows" ? "npm.cmd" : "npm";
  const { code } = await new Deno.Command(npm, {
    args: ["ci", "--no-audit", "--no-fund"],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    console.error("setup: npm ci failed; is Node.js/npm installed?");
    Deno.exit(code);
  }
}
