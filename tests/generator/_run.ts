/** Runs the sentinel-generator binary as a user does, for the CLI tests. */
import { runStage } from "../../scripts/kafka/stage_proc.ts";

/** The real syslog sample the replay tests read (in shared/, beside the repo). */
export const LINUX_LOG = new URL(
  "../../../shared/datasets/logs/Linux_2k.log",
  import.meta.url,
).pathname;

/** Exit code and decoded output of one run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `sentinel-generator ARGS` with no stdin, run to completion. */
export async function gen(args: string[]): Promise<CliResult> {
  const r = await runStage("sentinel-generator", args);
  return {
    code: r.code,
    stdout: new TextDecoder().decode(r.stdout),
    stderr: r.stderr,
  };
}
