/** Runs the sink CLI as a subprocess, as a user's pipe would. */
import { runStage } from "../../scripts/kafka/stage_proc.ts";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `sentinel-sink ARGS` with `input` on stdin. */
export async function sink(args: string[], input = ""): Promise<CliResult> {
  const r = await runStage("sentinel-sink", args, {
    stdin: new TextEncoder().encode(input),
  });
  return {
    code: r.code,
    stdout: new TextDecoder().decode(r.stdout),
    stderr: r.stderr,
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
