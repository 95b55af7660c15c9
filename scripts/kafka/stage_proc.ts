/**
 * Runs stage binaries (`cli/sentinel-<stage>.ts`) as subprocesses for the
 * tests and benchmarks (the Kafka ones and the CLI tests): started with
 * `deno run`, stderr collected (kept bounded) for failure messages, stopped
 * with SIGTERM or killed with SIGKILL.
 */

import { stageCommand } from "../pipe.ts";

const ROOT = new URL("../../", import.meta.url);

/** Path of a stage's CLI entry file. */
export function cliPath(bin: string): string {
  return new URL(`cli/${bin}.ts`, ROOT).pathname;
}

/** True when the stage's CLI entry exists in this checkout. */
export function hasCli(bin: string): boolean {
  try {
    return Deno.statSync(cliPath(bin)).isFile;
  } catch {
    return false;
  }
}

/** A running stage. */
export interface StageProcess {
  readonly bin: string;
  readonly child: Deno.ChildProcess;
  /** The last ~64 KiB of stderr. */
  stderr(): string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number>;
  /** SIGTERM (graceful), then the exit code. */
  stop(): Promise<number>;
  /** SIGKILL (crash), then the exit code. */
  kill(): Promise<number>;
}

const MAX_ERR = 64 * 1024;

/**
 * Extra `deno run` flags for every stage, from `SENTINEL_STAGE_RUN_FLAGS`
 * (space-separated), e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile
 * the stages of a Kafka bench run. Split on whitespace, without quoting.
 */
function runFlags(): string[] {
  const v = Deno.env.get("SENTINEL_STAGE_RUN_FLAGS")?.trim();
  return v ? v.split(/\s+/) : [];
}

/** `deno` and its arguments that run stage `bin` with `args`. */
function command(bin: string, args: string[]): [string, string[]] {
  const [cmd, ...pre] = stageCommand(bin, runFlags());
  return [cmd, [...pre, ...args]];
}

/** Starts `cli/<bin>.ts` with `args`; stdout is discarded unless `stdout` is "piped". */
export function spawnStage(
  bin: string,
  args: string[],
  opts: { env?: Record<string, string>; stdin?: Uint8Array } = {},
): StageProcess {
  const [cmd, argv] = command(bin, args);
  const child = new Deno.Command(cmd, {
    args: argv,
    cwd: ROOT.pathname,
    env: opts.env,
    stdin: opts.stdin ? "piped" : "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  if (opts.stdin) {
    const w = child.stdin.getWriter();
    w.write(opts.stdin).then(() => w.close()).catch(() => {});
  }
  let err = "";
  const dec = new TextDecoder();
  const reading = (async () => {
    for await (const chunk of child.stderr) {
      err += dec.decode(chunk, { stream: true });
      if (err.length > 2 * MAX_ERR) err = err.slice(-MAX_ERR);
    }
  })().catch(() => {});
  const exited = child.status.then(async (s) => {
    await reading;
    return s.code;
  });
  const signal = (sig: Deno.Signal) => {
    try {
      child.kill(sig);
    } catch {
      // already gone
    }
    return exited;
  };
  return {
    bin,
    child,
    stderr: () => err.slice(-MAX_ERR),
    exited,
    stop: () => signal("SIGTERM"),
    kill: () => signal("SIGKILL"),
  };
}

/** Runs `cli/<bin>.ts` to completion and returns its exit code, stdout and stderr. */
export async function runStage(
  bin: string,
  args: string[],
  opts: { env?: Record<string, string>; stdin?: Uint8Array } = {},
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const [cmd, argv] = command(bin, args);
  const child = new Deno.Command(cmd, {
    args: argv,
    cwd: ROOT.pathname,
    env: opts.env,
    stdin: opts.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin) {
    const w = child.stdin.getWriter();
    w.write(opts.stdin).then(() => w.close()).catch(() => {});
  }
  const r = await child.output();
  return {
    code: r.code,
    stdout: r.stdout,
    stderr: new TextDecoder().decode(r.stderr),
  };
}
