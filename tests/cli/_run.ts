/** Runs a `cli/sentinel-*.ts` entry as a user would, with its own environment. */

/** Exit code and decoded output of one run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `cli/<binary>.ts` with `args`. The child gets only `env` plus PATH
 * and HOME, so a SENTINEL_* variable of the test runner cannot leak in.
 */
export async function runCli(
  binary: string,
  args: string[],
  env: Record<string, string> = {},
  stdin?: string,
): Promise<CliResult> {
  const cli = new URL(`../../cli/${binary}.ts`, import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli, ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "",
      NO_COLOR: "1",
      ...env,
    },
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}
