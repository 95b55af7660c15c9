/**
 * The detector as a process, for the Sigma tests that run it as a user
 * does: `sentinel-detector ARGS` on its own, and raw syslog lines through
 * `sentinel-parser --in-format lines | sentinel-detector --rules ./sigma`.
 */
import assert from "node:assert/strict";
import { runStage } from "../../../scripts/kafka/stage_proc.ts";
import { runPipe } from "../../../scripts/pipe.ts";

/** The real syslog sample (in shared/, beside the repo). */
export const LINUX_2K = new URL(
  "../../../../shared/datasets/logs/Linux_2k.log",
  import.meta.url,
);

/** Exit code and decoded output of one run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `sentinel-detector ARGS` with `stdin` as its input, run to completion. */
export async function detector(args: string[], stdin = ""): Promise<CliResult> {
  const r = await runStage("sentinel-detector", args, {
    stdin: new TextEncoder().encode(stdin),
  });
  return {
    code: r.code,
    stdout: new TextDecoder().decode(r.stdout),
    stderr: r.stderr,
  };
}

/**
 * The alerts raised when `input` (syslog lines) goes through the parser and
 * the detector with the shipped ./sigma rules; both stages must exit 0.
 */
export async function alertsForLines<T>(
  input: string | Uint8Array,
): Promise<T[]> {
  const r = await runPipe([
    { bin: "sentinel-parser", args: ["--in-format", "lines"] },
    {
      bin: "sentinel-detector",
      args: ["--rules", "./sigma", "--anomaly", "off"],
    },
  ], {
    input: typeof input === "string" ? new TextEncoder().encode(input) : input,
  });
  for (const s of r.stages) assert.equal(s.code, 0, `${s.bin}: ${s.stderr}`);
  return new TextDecoder().decode(r.stdout).split("\n")
    .filter((l) => l.includes('"record":"alert"'))
    .map((l) => JSON.parse(l) as T);
}

/** True when `url` is a file here (shared data beside the repo may be missing). */
export function isFile(url: URL): boolean {
  try {
    return Deno.statSync(url).isFile;
  } catch {
    return false;
  }
}
