/** Runs the sink CLI as a subprocess, as a user's pipe would. */
const CLI = new URL("../../cli/sentinel-sink.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `sentinel-sink ARGS` with `input` on stdin. */
export async function sink(args: string[], input = ""): Promise<CliResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", CONFIG, CLI, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(input));
  await w.close();
  const o = await child.output();
  const dec = new TextDecoder();
  return {
    code: o.code,
    stdout: dec.decode(o.stdout),
    stderr: dec.decode(o.stderr),
  };
}

/** `sentinel-sink query --format json SQL` → rows. */
export async function queryRows(
  out: string,
  sql: string,
): Promise<Record<string, unknown>[]> {
  const r = await sink(["query", "--out", out, "--format", "json", sql]);
  if (r.code !== 0) throw new Error(`query failed (${r.code}): ${r.stderr}`);
  return r.stdout.trim()
    ? r.stdout.trim().split("\n").map((l) => JSON.parse(l))
    : [];
}
