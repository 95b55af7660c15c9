/**
 * tools/deno/package-lock.json is the lock npm itself writes for the pinned
 * Deno: an entry for each of the deno package's platform packages
 * (@deno/darwin-*, linux-*, win32-*), each with its integrity hash. With one
 * missing, the README's `(cd tools/deno && npm install)` adds it and leaves
 * a fresh clone with a modified lock in `git status`.
 */
import assert from "node:assert/strict";

const LOCK = new URL("../../tools/deno/package-lock.json", import.meta.url);
const MANIFEST = new URL("../../tools/deno/package.json", import.meta.url);

interface LockEntry {
  version?: string;
  integrity?: string;
  optionalDependencies?: Record<string, string>;
}

Deno.test("tools/deno lock: every platform package of the pinned deno has its entry, as npm writes it", async () => {
  const lock = JSON.parse(await Deno.readTextFile(LOCK)) as {
    packages: Record<string, LockEntry>;
  };
  const manifest = JSON.parse(await Deno.readTextFile(MANIFEST));
  const deno = lock.packages["node_modules/deno"];
  assert.ok(deno, "no node_modules/deno entry");
  assert.equal(deno.version, manifest.dependencies.deno);
  const platforms = Object.entries(deno.optionalDependencies ?? {});
  assert.ok(platforms.length >= 6, JSON.stringify(deno.optionalDependencies));
  const missing = platforms.filter(([name, version]) => {
    const e = lock.packages[`node_modules/${name}`];
    return !e || e.version !== version || !e.integrity?.startsWith("sha512-");
  }).map(([name]) => name);
  assert.deepEqual(missing, [], "platform packages missing from the lock");
});
