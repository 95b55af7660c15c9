/**
 * deno.json's import map and package.json pin the same npm versions, so an
 * automated update (Dependabot bumps package.json) cannot leave the stages
 * importing one version while npm installs another.
 */
import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url);
const denoJson = JSON.parse(
  await Deno.readTextFile(new URL("deno.json", root)),
);
const pkg = JSON.parse(await Deno.readTextFile(new URL("package.json", root)));

/** `npm:NAME@VERSION[/path]` or `npm:/NAME@VERSION/` → [name, version]. */
export function npmSpec(spec: string): [string, string] | null {
  const m = /^npm:\/?((?:@[^/@]+\/)?[^/@]+)@([^/]+)/.exec(spec);
  return m ? [m[1], m[2]] : null;
}

Deno.test("versions: every npm: import in deno.json matches package.json exactly", () => {
  const installed: Record<string, string> = {
    ...pkg.dependencies,
    ...pkg.devDependencies,
  };
  const specs = Object.values(denoJson.imports ?? {}) as string[];
  const npm = specs.map(npmSpec).filter((s) => s !== null);
  assert.ok(npm.length > 0, "deno.json imports no npm packages");
  for (const [name, version] of npm) {
    assert.equal(
      installed[name],
      version,
      `deno.json imports ${name}@${version}, package.json pins ${
        installed[name] ?? "nothing"
      }`,
    );
  }
});

Deno.test("versions: the npm spec parser reads scoped, plain and folder forms", () => {
  assert.deepEqual(npmSpec("npm:@clickhouse/client@1.23.1"), [
    "@clickhouse/client",
    "1.23.1",
  ]);
  assert.deepEqual(npmSpec("npm:/ajv@8.20.0/"), ["ajv", "8.20.0"]);
  assert.deepEqual(npmSpec("npm:yaml@2.9.1"), ["yaml", "2.9.1"]);
  assert.equal(npmSpec("./local.ts"), null);
});
