/**
 * `deno task bench [--quick] [--only AREA,…]`: runs every `bench/*_bench.ts`
 * module, prints one table of figures with their targets, and writes the
 * results as JSON to `bench/results/latest.json` (and a timestamped copy)
 * so runs can be compared. A `--quick` or `--only` run writes only its
 * timestamped `…-partial.json`, leaving latest.json to full runs.
 */
import { parseArgs } from "node:util";
import type { BenchModule, BenchResult } from "./types.ts";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
  },
});
const here = new URL(".", import.meta.url).pathname;
const only = values.only?.split(",").map((s) => s.trim());

const files: string[] = [];
for await (const e of Deno.readDir(here)) {
  if (e.isFile && e.name.endsWith("_bench.ts")) files.push(e.name);
}
// The whole-pipe benchmark last: it is the longest and the summary of all.
files.sort((
  a,
  b,
) => (a === "pipe_bench.ts"
  ? 1
  : b === "pipe_bench.ts"
  ? -1
  : a.localeCompare(b))
);

const results: BenchResult[] = [];
const failures: string[] = [];
for (const f of files) {
  const area = f.replace(/_bench\.ts$/, "");
  if (only && !only.includes(area)) continue;
  console.error(`\n== ${area} (${f})`);
  const started = performance.now();
  try {
    const mod = await import(`./${f}`) as BenchModule;
    const r = await mod.run({ quick: values.quick! });
    results.push(...r);
    printTable(r);
  } catch (e) {
    failures.push(`${area}: ${(e as Error)?.stack ?? e}`);
    console.error(`   failed: ${(e as Error)?.message ?? e}`);
  }
  console.error(`   (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

console.log("\n== all results");
printTable(results, console.log);
const machine = {
  cpus: navigator.hardwareConcurrency,
  deno: Deno.version.deno,
  os: `${Deno.build.os}-${Deno.build.arch}`,
};
const doc = {
  at: new Date().toISOString(),
  quick: values.quick,
  machine,
  results,
  failures,
};
await Deno.mkdir(`${here}results`, { recursive: true });
const text = JSON.stringify(doc, null, 2) + "\n";
const stamped = `results/${doc.at.replace(/[:.]/g, "-")}${
  only || values.quick ? "-partial" : ""
}.json`;
await Deno.writeTextFile(`${here}${stamped}`, text);
// Only a full run replaces latest.json: a partial or quick one would
// otherwise wipe the figures of every area it did not run.
const written = only || values.quick ? stamped : "results/latest.json";
if (written === "results/latest.json") {
  await Deno.writeTextFile(`${here}results/latest.json`, text);
}
console.log(
  `\nwrote bench/${written} (${results.length} figures${
    failures.length ? `, ${failures.length} benchmark(s) failed` : ""
  })`,
);
if (failures.length) {
  for (const f of failures) console.error(f);
  Deno.exit(1);
}

function fmt(v: number): string {
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString("en-US");
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(3);
}

function printTable(
  rows: BenchResult[],
  print: (s: string) => void = console.error,
) {
  const cells = rows.map((r) => [
    r.area,
    r.name,
    `${fmt(r.value)} ${r.unit}`,
    r.target ?? "",
    r.met === undefined ? "" : r.met ? "met" : "MISSED",
    r.notes ?? "",
  ]);
  const head = ["area", "measure", "value", "target", "", "notes"];
  const w = head.map((h, i) =>
    Math.max(h.length, ...cells.map((c) => c[i].length))
  );
  const line = (c: string[]) =>
    "   " + c.map((x, i) => i === 5 ? x : x.padEnd(w[i])).join("  ");
  print(line(head));
  for (const c of cells) print(line(c));
}
